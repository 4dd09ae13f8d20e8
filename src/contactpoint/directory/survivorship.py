"""Which of the values that sources disagree on is shown: the survivorship rule.

1. A value from a source trusted for that field beats one from a source that is not.
2. Among those, the most recently extracted wins (an old extract never overrides newer values).
   A value is dated by the extract that set it: a newer extract that carries it unchanged
   confirms it (``source_record.confirmed_on``, which keeps older extracts off it) but does
   not move it ahead of another source's value set in between.
3. Still tied, the record that reported it first (the lower record id) wins, so the
   choice never depends on the order rows were read in a query.

The other values are kept with their provenance; this only decides what is shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Reported(Generic[T]):
    value: T
    trusted: bool
    observed_on: dt.date
    order: int


def _rank(reported: Reported[T]) -> tuple[bool, dt.date, int]:
    return (reported.trusted, reported.observed_on, -reported.order)


def choose(candidates: Iterable[Reported[T]]) -> T | None:
    best = max(candidates, key=_rank, default=None)
    return None if best is None else best.value
