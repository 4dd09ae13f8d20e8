"""Our model as Splink sees it: the input table of features, and the settings with m and u.

Splink (and DuckDB) are imported only here and in ``training``, on use, so that
scoring never loads them. :func:`predict_pairs` is the batch re-link's scoring:
Splink's ``predict`` with the model's fixed m and u over the pairs the loader
would score.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Final

from contactpoint.linkage.comparisons import COMPARISONS
from contactpoint.linkage.model import LevelParameters, Model
from contactpoint.linkage.records import Features, blocking_keys

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pyarrow as pa

    from contactpoint.linkage.records import LinkageRecord

UNIQUE_ID: Final = "unique_id"
BLOCKING_KEYS: Final = "blocking_keys"  # the loader's keys, a list per record (re-link only)
M_FLOOR: Final = 0.001
U_FLOOR: Final = 1e-7
_LIST_COLUMNS: Final = frozenset(
    item.name for item in fields(Features) if item.type.startswith(("frozenset", "tuple"))
)
_INTEGER_COLUMNS: Final = frozenset({"dob_day"})
_FEATURE_COLUMNS: Final = tuple(item.name for item in fields(Features))
# Blocking for Splink's own predictions and EM; our blocking keys do the loader's.
PREDICTION_BLOCKING_RULES: Final = (
    "l.nhs_number = r.nhs_number AND l.nhs_number <> ''",
    "l.upn = r.upn AND l.upn <> ''",
    "l.dob = r.dob AND l.family = r.family",
    "l.dob = r.dob AND l.given = r.given",
    "l.postcode = r.postcode AND l.given = r.given AND l.postcode <> ''",
    "substr(l.dob, 1, 4) = substr(r.dob, 1, 4) AND l.given = r.given AND l.family = r.family",
    "l.dob = r.dob AND l.given = r.family AND l.family = r.given AND l.given <> ''",
)


def feature_table(records: Sequence[LinkageRecord], unique_ids: Sequence[str]) -> pa.Table:
    """One row per record: its unique id and its features, sets as sorted lists."""
    import pyarrow as pa  # noqa: PLC0415 - heavy, and only training needs it

    columns: dict[str, Any] = {UNIQUE_ID: pa.array(list(unique_ids), pa.string())}
    for name in _FEATURE_COLUMNS:
        values = [getattr(record.features, name) for record in records]
        if name in _LIST_COLUMNS:
            columns[name] = pa.array([sorted(value) for value in values], pa.list_(pa.string()))
        elif name in _INTEGER_COLUMNS:
            columns[name] = pa.array(values, pa.int64())
        else:
            columns[name] = pa.array(values, pa.string())
    return pa.table(columns)


def _level_settings(comparison_index: int, model: Model) -> list[dict[str, Any]]:
    comparison = COMPARISONS[comparison_index]
    parameters = model.parameters[comparison_index]
    levels: list[dict[str, Any]] = []
    for position, (level, values) in enumerate(zip(comparison.levels, parameters, strict=True)):
        entry: dict[str, Any] = {"sql_condition": level.sql, "label_for_charts": level.name}
        if position == 0:
            entry["is_null_level"] = True
        else:
            entry["m_probability"] = values.m
            entry["u_probability"] = values.u
        if level.fixed_weight is not None:
            entry["fix_m_probability"] = True
        levels.append(entry)
    return levels


def splink_settings(model: Model) -> dict[str, Any]:
    """Splink settings (a deduplication) whose comparisons and parameters are the model's."""
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": UNIQUE_ID,
        "probability_two_random_records_match": model.prior,
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": rule} for rule in PREDICTION_BLOCKING_RULES
        ],
        "comparisons": [
            {
                "output_column_name": comparison.name,
                "comparison_description": comparison.name,
                "comparison_levels": _level_settings(index, model),
            }
            for index, comparison in enumerate(COMPARISONS)
        ],
        "retain_intermediate_calculation_columns": True,
        "retain_matching_columns": True,
    }


def model_from_splink(
    document: dict[str, Any],
    *,
    version: str,
    untrained: frozenset[tuple[str, str]] = frozenset(),
    trained_on_records: int | None = None,
) -> Model:
    """Our model from Splink's saved settings, with untrained or extreme values made safe.

    A level that no matching pair fell in during training (``untrained`` names
    them as (comparison, level); Splink leaves their m as it was) keeps the
    comparison's default m and u: its u alone, from chance agreement in this
    data, would give it a weight it has not earned.
    No m is below :data:`M_FLOOR`: that training saw no error of a kind does
    not make the error impossible. A level with a fixed weight has its m set
    from its trained u; a level with a cap on its weight is capped by :class:`Model`.
    """
    by_name = {entry["output_column_name"]: entry for entry in document["comparisons"]}
    parameters = []
    for comparison in COMPARISONS:
        trained = by_name[comparison.name]["comparison_levels"]
        levels = []
        for level, entry in zip(comparison.levels, trained, strict=True):
            m, u = entry.get("m_probability"), entry.get("u_probability")
            if (
                (comparison.name, level.name) in untrained
                or not isinstance(m, int | float)
                or not isinstance(u, int | float)
            ):
                levels.append(LevelParameters(level.m, level.u))
                continue
            u = min(max(float(u), U_FLOOR), 1.0)
            m = min(max(float(m), M_FLOOR), 1.0)
            if level.fixed_weight is not None:
                m = u * 2.0**level.fixed_weight
            levels.append(LevelParameters(m, u))
        parameters.append(tuple(levels))
    return Model(
        version=version,
        probability_two_random_records_match=float(
            document["probability_two_random_records_match"]
        ),
        parameters=tuple(parameters),
        trained_on_records=trained_on_records,
    )


# The batch re-link -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PredictedPair:
    """One pair as Splink scored it: positions in the records given, its weight and levels."""

    left: int
    right: int
    match_weight: float
    levels: tuple[int, ...]  # per comparison, as :attr:`Scored.levels` numbers them


def relink_table(records: Sequence[LinkageRecord], unique_ids: Sequence[str]) -> pa.Table:
    """:func:`feature_table` with each record's blocking keys, the loader's, as a sorted list."""
    import pyarrow as pa  # noqa: PLC0415 - heavy, and only Splink's runs need it

    keys = [sorted(blocking_keys(record)) for record in records]
    table = feature_table(records, unique_ids)
    return table.append_column(BLOCKING_KEYS, pa.array(keys, pa.list_(pa.string())))


def relink_settings(model: Model) -> dict[str, Any]:
    """:func:`splink_settings`, with the loader's candidates: the pairs sharing a blocking key.

    Splink explodes the key lists and joins on a key, each pair once however
    many keys it shares: the same pairs the loader scores, not
    :data:`PREDICTION_BLOCKING_RULES`'. No m or u is estimated from them.
    """
    from splink import block_on  # noqa: PLC0415 - heavy: only Splink's runs load it

    settings = splink_settings(model)
    settings["blocking_rules_to_generate_predictions"] = [
        block_on(BLOCKING_KEYS, arrays_to_explode=[BLOCKING_KEYS])
    ]
    return settings


def predict_pairs(records: Sequence[LinkageRecord], model: Model) -> list[PredictedPair]:
    """Every pair of ``records`` sharing a blocking key, scored by Splink 5's ``predict`` on
    DuckDB with the model's m and u and its prior (``model.prior``)."""
    from splink import DuckDBAPI, Linker  # noqa: PLC0415 - heavy: only Splink's runs load it

    if len(records) < 2:  # noqa: PLR2004 - no pair to score
        return []
    db_api = DuckDBAPI()
    frame = db_api.register(
        relink_table(records, [str(n) for n in range(len(records))]), dataset_display_name="live"
    )
    linker = Linker(frame, relink_settings(model), log_level=None)
    gammas = [f"gamma_{comparison.name}" for comparison in COMPARISONS]
    # Splink leaves this one method unannotated.
    predictions = linker.inference.predict().as_pyarrow_table()  # type: ignore[no-untyped-call]
    return _predicted_pairs(
        predictions.select(["unique_id_l", "unique_id_r", "match_weight", *gammas]).to_pydict()
    )


def _predicted_pairs(columns: dict[str, list[Any]]) -> list[PredictedPair]:
    levels = zip(
        *(
            [_level(comparison.levels, gamma) for gamma in columns[f"gamma_{comparison.name}"]]
            for comparison in COMPARISONS
        ),
        strict=True,
    )
    return [
        PredictedPair(int(left), int(right), float(weight), tuple(pair_levels))
        for left, right, weight, pair_levels in zip(
            columns["unique_id_l"],
            columns["unique_id_r"],
            columns["match_weight"],
            levels,
            strict=True,
        )
    ]


def _level(levels: Sequence[object], gamma: int) -> int:
    """Our level number from Splink's gamma: -1 is the null level (0), then best (highest) first."""
    return 0 if gamma == -1 else len(levels) - 1 - gamma
