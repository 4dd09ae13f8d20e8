"""The Fellegi-Sunter model: trained m and u per comparison level, and the scoring of a pair.

A pair's match weight is the prior weight (the log2 odds that two records
picked at random are the same child) plus, for each comparison, the weight
``log2(m / u)`` of the level the pair falls in (0 for a missing value). A level
with a cap (``Level.weight_at_most``: a disagreeing NHS number or UPN) has its m
lowered to ``u * 2**cap`` whatever the model file says. Each
weight is rounded to a multiple of 2**-30 when the model is loaded: such
numbers add up exactly in floating point, so the weights an explanation shows
sum to the total exactly, in any order, and differ from Splink's unrounded
ones by less than 1e-9 each.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any, Final

from contactpoint.linkage.comparisons import COMPARISONS, Comparison, Level

if TYPE_CHECKING:
    from pathlib import Path

    from contactpoint.linkage.records import LinkageRecord

MODEL_FORMAT: Final = 1
DEFAULT_MODEL_FILE: Final = "default_model.json"
_QUANTUM: Final = 2.0**30
_EXPLAINED_KEPT: Final = 1 << 14  # patterns of levels a model keeps explained


class ModelFileError(ValueError):
    """A model file that does not fit the comparisons this code defines."""


def quantised(weight: float) -> float:
    return round(weight * _QUANTUM) / _QUANTUM


def weight_of(m: float, u: float) -> float:
    return quantised(math.log2(m / u))


def probability_of(match_weight: float) -> float:
    """The match probability for a match weight (log2 of the odds)."""
    if match_weight > 0:
        return 1.0 / (1.0 + math.pow(2.0, -match_weight))
    odds = math.pow(2.0, match_weight)
    return odds / (1.0 + odds)


def prior_for_records(prior: float, *, trained_on: int | None, records: int | None) -> float:
    """The prior for a directory of ``records`` records, from one trained on ``trained_on``.

    Two records picked at random from R are the same child with probability
    about (r - 1) / R, where r is the mean number of records per child: with the
    sources fixed, the prior falls as the directory grows. So the odds trained
    on T records become ``odds * T / R`` for R records (log2: ``- log2(R / T)``,
    6.6 bits lower at a hundred times the training size). A directory smaller
    than the training data keeps the trained prior: links are never made easier
    than the thresholds were set for.
    """
    if trained_on is None or records is None or records <= trained_on:
        return prior
    odds = prior / (1.0 - prior) * trained_on / records
    return odds / (1.0 + odds)


@dataclass(frozen=True, slots=True)
class LevelParameters:
    m: float
    u: float


def _capped(level: Level, values: LevelParameters) -> LevelParameters:
    if level.weight_at_most is None or values.m <= values.u * 2.0**level.weight_at_most:
        return values
    return LevelParameters(values.u * 2.0**level.weight_at_most, values.u)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One comparison's part in a score: the level the pair fell in, and its weight."""

    comparison: str
    level: str
    weight: float


@dataclass(frozen=True, slots=True)
class Scored:
    """A pair's score: ``prior_weight`` plus the evidence weights is exactly ``match_weight``."""

    match_weight: float
    prior_weight: float
    levels: tuple[int, ...]  # per comparison, in the model's order
    model: Model = field(repr=False, compare=False)

    @property
    def match_probability(self) -> float:
        return probability_of(self.match_weight)

    @property
    def model_version(self) -> str:
        return self.model.version

    @property
    def explanation(self) -> tuple[Evidence, ...]:
        return self.model.explain(self.levels)


class Model:
    """Level weights for :data:`~contactpoint.linkage.comparisons.COMPARISONS`, and scoring."""

    __slots__ = (
        "_explained",
        "_functions",
        "_weights",
        "directory_records",
        "parameters",
        "prior",
        "prior_weight",
        "trained_on_records",
        "trained_prior",
        "version",
    )

    def __init__(
        self,
        *,
        version: str,
        probability_two_random_records_match: float,
        parameters: tuple[tuple[LevelParameters, ...], ...],
        trained_on_records: int | None = None,
        directory_records: int | None = None,
    ) -> None:
        if len(parameters) != len(COMPARISONS) or any(
            len(levels) != len(comparison.levels)
            for levels, comparison in zip(parameters, COMPARISONS, strict=False)
        ):
            raise ModelFileError("the parameters do not fit the comparisons")
        self.version = version
        self.trained_prior = probability_two_random_records_match
        self.trained_on_records = trained_on_records
        self.directory_records = directory_records
        # The prior in use: the trained one, scaled to the directory's size when it is given.
        self.prior = prior_for_records(
            self.trained_prior, trained_on=trained_on_records, records=directory_records
        )
        self.prior_weight = weight_of(self.prior, 1.0 - self.prior)
        self.parameters = tuple(
            tuple(_capped(level, values) for level, values in zip(c.levels, levels, strict=True))
            for c, levels in zip(COMPARISONS, parameters, strict=True)
        )
        # Level 0 (a missing value) carries no weight.
        self._weights = tuple(
            (0.0, *(weight_of(level.m, level.u) for level in levels[1:]))
            for levels in self.parameters
        )
        self._functions = tuple(comparison.level_of for comparison in COMPARISONS)
        # Each pattern of levels explained once: a load meets the same few again and again.
        self._explained: dict[tuple[int, ...], tuple[Evidence, ...]] = {}

    @property
    def comparisons(self) -> tuple[Comparison, ...]:
        return COMPARISONS

    def for_records(self, records: int) -> Model:
        """This model with its prior for a directory of ``records`` live source records.

        See :func:`prior_for_records`; the weights of the comparisons do not change.
        """
        return Model(
            version=self.version,
            probability_two_random_records_match=self.trained_prior,
            parameters=self.parameters,
            trained_on_records=self.trained_on_records,
            directory_records=records,
        )

    def weight(self, comparison: int, level: int) -> float:
        return self._weights[comparison][level]

    def score(self, incoming: LinkageRecord, candidate: LinkageRecord) -> Scored:
        a = incoming.features
        b = candidate.features
        levels = tuple([level_of(a, b) for level_of in self._functions])
        total = self.prior_weight
        for weights, level in zip(self._weights, levels, strict=True):
            total += weights[level]
        return Scored(total, self.prior_weight, levels, self)

    def explain(self, levels: tuple[int, ...]) -> tuple[Evidence, ...]:
        explained = self._explained.get(levels)
        if explained is None:
            if len(self._explained) >= _EXPLAINED_KEPT:
                self._explained.clear()
            explained = tuple(
                Evidence(comparison.name, comparison.levels[level].name, weights[level])
                for comparison, weights, level in zip(
                    COMPARISONS, self._weights, levels, strict=True
                )
            )
            self._explained[levels] = explained
        return explained

    # Files ---------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The trained model (its prior as trained: a directory's size is not part of it)."""
        trained_on = {} if self.trained_on_records is None else {
            "trained_on_records": self.trained_on_records
        }  # fmt: skip
        return {
            "format": MODEL_FORMAT,
            "version": self.version,
            "probability_two_random_records_match": self.trained_prior,
            **trained_on,
            "comparisons": [
                {
                    "name": comparison.name,
                    "levels": [
                        {"name": definition.name, "m": level.m, "u": level.u}
                        for definition, level in zip(comparison.levels, levels, strict=True)
                    ],
                }
                for comparison, levels in zip(COMPARISONS, self.parameters, strict=True)
            ],
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> Model:
        if document.get("format") != MODEL_FORMAT:
            raise ModelFileError(f"unknown model format {document.get('format')!r}")
        by_name = {entry["name"]: entry for entry in document["comparisons"]}
        parameters = []
        for comparison in COMPARISONS:
            entry = by_name.get(comparison.name)
            if entry is None:
                raise ModelFileError(f"the model has no comparison {comparison.name!r}")
            names = tuple(level["name"] for level in entry["levels"])
            if names != comparison.level_names:
                raise ModelFileError(f"the levels of {comparison.name!r} differ: {names}")
            parameters.append(
                tuple(
                    LevelParameters(float(level["m"]), float(level["u"]))
                    for level in entry["levels"]
                )
            )
        return cls(
            version=str(document["version"]),
            probability_two_random_records_match=float(
                document["probability_two_random_records_match"]
            ),
            parameters=tuple(parameters),
            trained_on_records=_optional_int(document.get("trained_on_records")),
        )

    @classmethod
    def load(cls, path: Path) -> Model:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def default(cls) -> Model:
        """The model shipped with the product, trained without labels on synthetic data.

        Read once per process: a model is never changed once made (:meth:`for_records`
        makes another), and every load of the web service asks for it.
        """
        return _shipped_model()

    @classmethod
    def untrained(cls, *, version: str = "untrained") -> Model:
        """The comparisons' default m and u: a starting point for training."""
        return cls(
            version=version,
            probability_two_random_records_match=0.0001,
            parameters=tuple(
                tuple(LevelParameters(level.m, level.u) for level in comparison.levels)
                for comparison in COMPARISONS
            ),
        )


@functools.cache
def _shipped_model() -> Model:
    text = resources.files("contactpoint.linkage").joinpath(DEFAULT_MODEL_FILE).read_text()
    return Model.from_json(json.loads(text))


def _optional_int(value: object) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ModelFileError(f"trained_on_records must be a positive whole number: {value!r}")
    return value
