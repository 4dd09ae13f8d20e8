"""The synthetic population as a whole: reference data plus a replayable household stream.

Everything is drawn from random generators seeded from ``seed`` (and the
reference date), so the same seed and date give the same population, child for
child. The household stream has its own generator, separate from the source
errors drawn when extracts are written, so that the truth does not depend on
which extracts are made from it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass

from contactpoint.synth.households import HouseholdGenerator
from contactpoint.synth.places import Street, build_geography
from contactpoint.synth.population import Child, Household, ReferenceData
from contactpoint.synth.reference import CHILDREN_PER_HOUSEHOLD, build_reference


@dataclass(frozen=True, slots=True)
class Population:
    """A population of ``children`` children for ``seed`` on the reference date ``as_of``."""

    children: int
    seed: int
    as_of: dt.date
    reference: ReferenceData
    streets: dict[str, tuple[Street, ...]]

    def household_generator(self) -> HouseholdGenerator:
        """A fresh generator; its ``households`` stream is the same on every call."""
        rng = random.Random(f"contactpoint-synth:{self.seed}:{self.as_of.isoformat()}:households")
        return HouseholdGenerator(
            self.reference, self.streets, rng=rng, as_of=self.as_of, children=self.children
        )

    def households(self) -> Iterator[Household]:
        """Every household, in a fixed order; iterate again for the same households."""
        return self.household_generator().households()

    def each_child(self) -> Iterator[Child]:
        for household in self.households():
            yield from household.children


def generate_population(*, children: int, seed: int, as_of: dt.date | None = None) -> Population:
    """The population for ``seed`` on ``as_of`` (default: today); households stream lazily."""
    if children < 0:
        raise ValueError(f"children should be zero or more, not {children}")
    day = as_of if as_of is not None else dt.date.today()  # noqa: DTZ011 - a calendar date, local
    rng = random.Random(f"contactpoint-synth:{seed}:{day.isoformat()}:reference")
    households = max(1, round(children / CHILDREN_PER_HOUSEHOLD))
    streets = build_geography(rng, households=households)
    reference = build_reference(rng, streets, children=children)
    return Population(children, seed, day, reference, streets)
