"""Deciding a review item: merge the two children (accept), or keep them apart (reject).

Accepting merges the provisional child into the candidate. Its source records and
their values move to the survivor; the merged-away child keeps its row and ContactPoint
ID, pointing at the survivor (chains are collapsed, so one step always reaches it); a
shield of either child ends up on the survivor (a new identity's before any other, see
:func:`.review_items.copy_shield`). Its link decisions stay with the child
they were made for, and each of its other records gains a ``merged`` decision naming the
survivor: a split (:mod:`.review_splits`) reads which records a merged-away child
brought, to give its ID back with them, and the re-link report which children a split
set apart. Either way the decision is a link decision signed by the person who made it,
and an audit event.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select, update

from contactpoint.directory.models import Child
from contactpoint.directory.source_values import refresh_children
from contactpoint.linkage import audit_trail
from contactpoint.linkage.models import LinkDecision, LinkOutcome, ReviewItem, ReviewStatus
from contactpoint.linkage.review_items import (
    MOVED_WITH_CHILD,
    PERSON_MODEL,
    AlreadyDecidedError,
    copy_shield,
    decided_by,
    held_decision,
    open_review_item,
    require_shield_views,
    surviving_child,
)
from contactpoint.provenance.models import Feed, SourceRecord

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from contactpoint.access.policy import Principal

__all__ = ["MatchDecision", "accept_match", "reject_match"]


class MatchDecision(Protocol):
    """How each decision is called (:func:`accept_match`, :func:`reject_match`)."""

    def __call__(self, session: Session, *, by: Principal, item_id: int) -> Child:
        """Decide the open item; the child that stands for the record now."""


def accept_match(session: Session, *, by: Principal, item_id: int) -> Child:
    """Merge the item's provisional child into its candidate; the surviving child."""
    item, merged, survivor = _open_pair(session, by=by, item_id=item_id)
    if merged.id == survivor.id:
        raise AlreadyDecidedError("These records are already one child.")
    require_shield_views(session, by=by, children=(merged, survivor))
    shield = _merge(session, by=by, item=item, merged=merged, survivor=survivor)
    _record(session, item, by=by, child=survivor, outcome=LinkOutcome.MERGED)
    audit_trail.match_accepted(
        session,
        by=by,
        item_id=item.id,
        merged=merged.contactpoint_id,
        survivor=survivor.contactpoint_id,
        shield=shield,
    )
    session.flush()
    return survivor


def reject_match(session: Session, *, by: Principal, item_id: int) -> Child:
    """Keep the provisional child apart from the candidate; the provisional child."""
    item, provisional, candidate = _open_pair(session, by=by, item_id=item_id)
    require_shield_views(session, by=by, children=(provisional, candidate))
    _record(session, item, by=by, child=provisional, outcome=LinkOutcome.KEPT_SEPARATE)
    audit_trail.match_rejected(
        session,
        by=by,
        item_id=item.id,
        provisional=provisional.contactpoint_id,
        candidate=candidate.contactpoint_id,
    )
    session.flush()
    return provisional


def _open_pair(session: Session, *, by: Principal, item_id: int) -> tuple[ReviewItem, Child, Child]:
    """The open item (locked), its provisional child and its candidate, as each now stands."""
    item = open_review_item(session, by=by, item_id=item_id)
    provisional = surviving_child(session, item.provisional_child_id)
    return item, provisional, surviving_child(session, item.candidate_child_id)


def _record(
    session: Session, item: ReviewItem, *, by: Principal, child: Child, outcome: LinkOutcome
) -> None:
    """The person's decision, with the model's weight and explanation it was held with."""
    held = held_decision(session, item)
    signed = decided_by(by)
    session.add(
        LinkDecision(
            source_record_id=item.source_record_id,
            child_id=child.id,
            outcome=outcome,
            match_weight=item.match_weight,
            model_version=PERSON_MODEL if held is None else held.model_version,
            explanation=None if held is None else held.explanation,
            decided_by=signed,
        )
    )
    item.status = (
        ReviewStatus.MERGED if outcome is LinkOutcome.MERGED else ReviewStatus.KEPT_SEPARATE
    )
    item.decided_at = dt.datetime.now(dt.UTC)
    item.decided_by = signed


def _merge(
    session: Session, *, by: Principal, item: ReviewItem, merged: Child, survivor: Child
) -> audit_trail.ShieldChange | None:
    """The records of ``merged`` and their values move to ``survivor``; its ID then points
    there, in one step. Its link decisions stay, the history a split reads; each record
    but the item's (which :func:`_record` decides) gains a ``merged`` decision. The
    survivor's shield change, if a shield was carried onto it."""
    others = session.scalars(
        select(SourceRecord.id).where(
            SourceRecord.child_id == merged.id,
            SourceRecord.feed == Feed.CHILDREN,
            SourceRecord.id != item.source_record_id,
        )
    ).all()
    # First: it refuses a merge across councils' shields before anything has moved.
    shield = copy_shield(session, from_child=merged, to_child=survivor)
    for table in (SourceRecord, *MOVED_WITH_CHILD):
        session.execute(
            update(table).where(table.child_id == merged.id).values(child_id=survivor.id)
        )
    signed = decided_by(by)
    session.add_all(
        LinkDecision(source_record_id=record_id, child_id=survivor.id, outcome=LinkOutcome.MERGED,
                     match_weight=None, model_version=PERSON_MODEL, explanation=None,
                     decided_by=signed)
        for record_id in others
    )  # fmt: skip
    # Children merged into the merged-away child earlier now point at the survivor too.
    session.execute(
        update(Child).where(Child.merged_into_id == merged.id).values(merged_into_id=survivor.id)
    )
    now = dt.datetime.now(dt.UTC)
    merged.merged_into_id, merged.updated_at, survivor.updated_at = survivor.id, now, now
    session.flush()
    session.expire(survivor)
    refresh_children(session, [survivor.id])
    return shield
