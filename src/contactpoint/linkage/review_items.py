"""What every step of the review queue shares: its refusals, the item and its children, who
may see them, and how a person's decision is signed.

An item names children by the ids they had when the record was held; a child may
since have been merged away, so :func:`surviving_child` follows it to the child it is now.
The hidden details of a shielded child need ``directory:shielded_child:view`` within
the shield's council (:func:`require_shield_views`, the policy of :mod:`.shields` that
``linkage explain`` asks too), on top of ``linkage:review:work`` within the item's
council (:func:`review_item`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Final

from sqlalchemy import select

from contactpoint.access.permissions import Permission
from contactpoint.access.policy import Target, decide, require
from contactpoint.audit.events import ActorKind
from contactpoint.directory.models import Child, Involvement, Shield
from contactpoint.directory.source_values import VALUE_TABLES
from contactpoint.linkage import shields
from contactpoint.linkage.models import LinkDecision, LinkOutcome, ReviewItem, ReviewStatus

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.orm import Session

    from contactpoint.access.policy import Principal
    from contactpoint.linkage.audit_trail import ShieldChange

__all__ = [
    "MOVED_WITH_CHILD",
    "PERSON_MODEL",
    "REVIEW",
    "AlreadyDecidedError",
    "NoSuchChildError",
    "NoSuchReviewItemError",
    "ReviewError",
    "ShieldConflictError",
    "copy_shield",
    "decided_by",
    "held_decision",
    "open_review_item",
    "require_shield_views",
    "review_item",
    "surviving_child",
]

PERSON_MODEL: Final = "person"  # the model version of a decision a person made
REVIEW: Final = Permission.LINKAGE_REVIEW_WORK
MOVED_WITH_CHILD: Final = (*VALUE_TABLES, Involvement)  # the rows a source record takes along


class ReviewError(Exception):
    """A request the queue cannot carry out; ``status`` is the HTTP answer that fits."""

    status = 400


class NoSuchReviewItemError(ReviewError):
    status = 404

    def __init__(self, item_id: int) -> None:
        super().__init__(f"There is no review item {item_id}.")


class NoSuchChildError(ReviewError):
    status = 404

    def __init__(self) -> None:
        super().__init__("There is no child with that ContactPoint ID.")


class AlreadyDecidedError(ReviewError):
    status = 409


class ShieldConflictError(ReviewError):
    """A merge would move a child's hidden details under another council's shield."""

    status = 409


def review_item(session: Session, *, by: Principal, item_id: int, lock: bool = False) -> ReviewItem:
    """The item, if ``by`` may work the queue of its council."""
    item = session.get(ReviewItem, item_id, with_for_update=lock)
    if item is None:
        raise NoSuchReviewItemError(item_id)
    require(decide(by, REVIEW, target=Target(organisation_id=None, council_id=item.council_id)))
    return item


def open_review_item(session: Session, *, by: Principal, item_id: int) -> ReviewItem:
    """The item, locked for a decision; :class:`AlreadyDecidedError` once decided."""
    item = review_item(session, by=by, item_id=item_id, lock=True)
    if item.status is not ReviewStatus.OPEN:
        decided = item.status.value.replace("_", " ")
        raise AlreadyDecidedError(f"Review item {item_id} has already been decided: {decided}.")
    return item


def _require_one_council(carried: Shield, own: Shield) -> None:
    if carried.council_id != own.council_id:
        raise ShieldConflictError(
            "These children are shielded by different councils, and the shield of the child"
            " merged in (a new identity) would replace the other's. A shield's council decides"
            " who may see the child's hidden details, so the two councils must first agree"
            " which shield the child keeps: end one of the shields, then merge."
        )


def surviving_child(session: Session, child_id: int) -> Child:
    """The child, or the child it was merged into (merges collapse chains; loop-safe)."""
    child = session.get(Child, child_id)
    seen: set[int] = set()
    while child is not None and child.merged_into_id is not None and child.id not in seen:
        seen.add(child.id)
        child = session.get(Child, child.merged_into_id)
    if child is None:  # foreign keys make this impossible
        raise NoSuchChildError
    return child


def require_shield_views(session: Session, *, by: Principal, children: Sequence[Child]) -> bool:
    """Refuse unless ``by`` may see the hidden details of each shielded child; any shielded."""
    return shields.require_shield_views(session, by=by, children=[c.id for c in children])


def held_decision(session: Session, item: ReviewItem) -> LinkDecision | None:
    """The model's decision that held the item's record for review (the newest, if several)."""
    return session.scalar(
        select(LinkDecision)
        .where(
            LinkDecision.source_record_id == item.source_record_id,
            LinkDecision.outcome == LinkOutcome.HELD_FOR_REVIEW,
        )
        .order_by(LinkDecision.id.desc())
        .limit(1)
    )


def decided_by(by: Principal) -> str:
    """Who decided, by identifier: ``user:12``; the operator by account, a system by name."""
    if by.user_id is not None:
        return f"user:{by.user_id}"
    kind = ActorKind.OPERATOR.value if by.kind.value == "operator" else ActorKind.SERVICE.value
    return f"{kind}:{by.name}"[:200]


def copy_shield(
    session: Session, *, from_child: Child, to_child: Child, replace_weaker: bool = True
) -> ShieldChange | None:
    """No shield is lost: a shield of ``from_child`` shields ``to_child`` too.

    If ``to_child`` has its own open shield, that one stays, unless (``replace_weaker``,
    a merge) the shield carried over guards a new identity (adoption, protection) and its
    own does not: the child is then the new identity, so its own shield ends (kept as
    history) and the carried one takes its place; else the loader would link a record of
    the old identity to it. Only within one council (:class:`ShieldConflictError`
    otherwise, before anything changes): a shield's council decides who may see the
    child's hidden details. A split (not ``replace_weaker``) keeps the shield the child
    the records go to has. What changed on ``to_child`` (the reason of the shield it
    had, if any, and of the one it has now), for the audit trail; None if nothing did.
    """
    found = shields.open_shields(session, children=(from_child.id, to_child.id))
    carried, own = found.get(from_child.id), found.get(to_child.id)
    if carried is None:
        return None
    if own is not None:
        if not (replace_weaker and shields.outranks(carried.reason, own.reason)):
            return None
        _require_one_council(carried, own)
    today = dt.datetime.now(dt.UTC).date()
    if own is not None:
        own.ended_on = max(today, own.started_on)
        session.flush()  # a child has one open shield at a time
    session.add(
        Shield(
            child_id=to_child.id,
            council_id=carried.council_id,
            reason=carried.reason,
            started_on=today,
            review_on=max(carried.review_on, today),
        )
    )
    session.flush()
    return (None if own is None else own.reason), carried.reason
