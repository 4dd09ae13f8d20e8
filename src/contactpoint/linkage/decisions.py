"""What to do with an incoming record, given its best-scoring and runner-up candidate children.

Thresholds are match weights (log2 odds): they add like the evidence does.
Above the link threshold, one more check: a pair whose given names are only
near each other, and whose identifiers say "two children" or nothing at all,
may be twins, and is held for review rather than linked (:func:`may_be_twins`).
Below the review threshold, a record that shares an NHS number or UPN with a
child is still held for review: two children never hold one number, so either
a number was mistyped or the names were, and a person decides which.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Iterable

    from contactpoint.linkage.model import Scored


class Outcome(enum.StrEnum):
    LINK = "link"  # to the best candidate's child
    NEW_CHILD = "new_child"
    REVIEW = "review"  # a provisional new child, held in the council team's review queue


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Link at or above ``link``; a new child below ``review``; between them, a person decides.

    A best candidate at or above ``link`` is still held for review when another
    child scores within ``margin`` of it at or above ``review``: two children
    that fit almost equally well are for a person to tell apart.
    """

    link: float = 6.0  # match probability about 0.985
    review: float = 0.0  # match probability 0.5
    margin: float = 5.0

    def __post_init__(self) -> None:
        if self.review > self.link:
            raise ValueError("the review threshold must not be above the link threshold")
        if self.margin < 0:
            raise ValueError("the margin must not be negative")


DEFAULT_THRESHOLDS = Thresholds()

# Given names that are near but not the same: what twins' names often are (Ali and
# Albie, Jacob and Joshua Jacob), and also how one child's name is recorded.
_NEAR_GIVEN_NAMES: Final = frozenset(
    {"nickname", "swapped_with_middle", "typo", "similar", "initial"}
)
# Of those, the ones no common recording error explains: more than one letter
# apart and not a known nickname, or an initial.
_WEAK_GIVEN_NAMES: Final = frozenset({"similar", "initial"})


def may_be_twins(scored: Scored) -> bool:
    """Whether a pair above the link threshold may still be two children of one family.

    Twins share a date of birth, a family name and a home, so only their given
    names and identifiers tell them apart. The pair may be twins when its given
    names are only near and an NHS number or UPN differs (two valid numbers),
    or when its given names are weakly near (no typo or nickname explains them)
    and no identifier agrees.
    """
    levels = {evidence.comparison: evidence.level for evidence in scored.explanation}
    given = levels.get("given_name")
    if given not in _NEAR_GIVEN_NAMES:
        return False
    identifiers = (levels.get("nhs_number"), levels.get("upn"))
    if "other" in identifiers:
        return True
    return given in _WEAK_GIVEN_NAMES and "exact" not in identifiers


def decide(
    best: Scored | None,
    runner_up: Scored | None = None,
    *,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    best_child: Iterable[Scored] = (),
    shares_number: bool = False,
) -> Outcome:
    """The outcome for an incoming record.

    ``best`` and ``runner_up`` are the best scores of two *different* children
    (a child held from several sources scores as its best record), or None when
    there is no such candidate. ``best_child`` is every score of the best child's
    records: the twin check sees them all, since a brother's record without an
    NHS number matches a twin as well as him while his other record names
    another number. ``shares_number``: some candidate record has this record's
    NHS number or UPN; the record is then never a new child without a person
    deciding.
    """
    if best is None or best.match_weight < thresholds.review:
        return Outcome.REVIEW if shares_number else Outcome.NEW_CHILD
    if best.match_weight < thresholds.link:
        return Outcome.REVIEW
    if (
        runner_up is not None
        and runner_up.match_weight >= thresholds.review
        and best.match_weight - runner_up.match_weight < thresholds.margin
    ):
        return Outcome.REVIEW
    if may_be_twins(best) or any(map(may_be_twins, best_child)):
        return Outcome.REVIEW
    return Outcome.LINK
