"""Unmerging: split chosen source records off a wrongly merged child to a new child.

A child merged wrongly (by a person or by the model) gives the chosen child records,
with their values and the involvement records that hang on them, to a new child; a
shield of the child shields the new one too. The split also answers who the audit
trail shows with the wrongly merged child, so the council can tell them. No record is
deleted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from contactpoint.access.policy import Target, decide, require
from contactpoint.audit.events import ActorKind
from contactpoint.audit.reports import who_viewed_child
from contactpoint.directory.models import Child
from contactpoint.directory.services import register_child
from contactpoint.directory.source_values import refresh_children
from contactpoint.identifiers.contactpoint_id import normalise_contactpoint_id
from contactpoint.identifiers.errors import InvalidIdentifierError
from contactpoint.linkage import audit_trail
from contactpoint.linkage.models import LinkDecision, LinkOutcome, ReviewItem
from contactpoint.linkage.review_items import (
    MOVED_WITH_CHILD,
    PERSON_MODEL,
    REVIEW,
    NoSuchChildError,
    ReviewError,
    copy_shield,
    decided_by,
    require_shield_views,
    surviving_child,
)
from contactpoint.organisations.models import Organisation
from contactpoint.provenance.models import Feed, Source, SourceRecord

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Collection

    from sqlalchemy.orm import Session

    from contactpoint.access.policy import Principal

__all__ = ["SplitError", "SplitResult", "Viewer", "child_to_split", "split_child"]


class SplitError(ReviewError):
    """Which records to split off makes no sense for this child; the message says why."""

    status = 422


@dataclass(frozen=True, slots=True)
class Viewer:
    """A user the audit trail shows with a wrongly merged child, by identifier."""

    user_id: int
    role: str | None
    organisation_id: int | None
    last_seen_at: dt.datetime


@dataclass(frozen=True, slots=True)
class SplitResult:
    contactpoint_id: str  # the child split from
    new_contactpoint_id: str
    moved_source_record_ids: list[int]
    viewers: list[Viewer]


def split_child(
    session: Session, *, by: Principal, contactpoint_id: str, source_record_ids: Collection[int]
) -> SplitResult:
    """Move the chosen child records (with their values and involvements) to a new child."""
    child = child_to_split(session, by=by, contactpoint_id=contactpoint_id)
    chosen = set(source_record_ids)
    moved = _records_to_split(session, child=child, chosen=chosen)
    new_child = register_child(session, date_of_birth=child.date_of_birth, gender=child.gender)
    _move_records(session, moved, from_child=child.id, to_child=new_child.id)
    copy_shield(session, from_child=child, to_child=new_child)
    refresh_children(session, [child.id, new_child.id])
    signed = decided_by(by)
    session.add_all(
        LinkDecision(source_record_id=record_id, child_id=new_child.id, outcome=LinkOutcome.SPLIT,
                     match_weight=None, model_version=PERSON_MODEL, explanation=None,
                     decided_by=signed)
        for record_id in sorted(chosen)
    )  # fmt: skip
    audit_trail.child_split(
        session,
        by=by,
        split_from=child.contactpoint_id,
        new_child=new_child.contactpoint_id,
        records_moved=len(chosen),
    )
    viewers = _viewers(session, child)
    audit_trail.viewers_listed(
        session, by=by, contactpoint_id=child.contactpoint_id, rows=len(viewers)
    )
    session.flush()
    return SplitResult(child.contactpoint_id, new_child.contactpoint_id, sorted(moved), viewers)


def child_to_split(session: Session, *, by: Principal, contactpoint_id: str) -> Child:
    """The child whose records may be split off, if ``by`` reviews in a council it is known to."""
    require(decide(by, REVIEW))
    try:
        wanted = normalise_contactpoint_id(contactpoint_id)
    except InvalidIdentifierError:
        raise NoSuchChildError from None
    child = session.scalar(select(Child).where(Child.contactpoint_id == wanted))
    if child is None:
        raise NoSuchChildError
    child = surviving_child(session, child.id)
    councils = _councils_of(session, child)
    decisions = [decide(by, REVIEW, target=Target(None, council_id=c)) for c in councils]
    allowed = [d for d in decisions if d.allowed]
    if not allowed:
        require(decisions[0] if decisions else decide(by, REVIEW, target=Target(None, None)))
    require_shield_views(session, by=by, children=(child,))
    return child


def _councils_of(session: Session, child: Child) -> list[int]:
    """The councils a child is known to: its sources' organisations', and its review items'."""
    organisations = session.scalars(
        select(Organisation)
        .join(Source, Source.organisation_id == Organisation.id)
        .join(SourceRecord, SourceRecord.source_id == Source.id)
        .where(SourceRecord.child_id == child.id)
        .distinct()
    )
    councils = {o.own_council_id for o in organisations if o.own_council_id is not None}
    merged_in = select(Child.id).where(Child.merged_into_id == child.id)
    items = session.scalars(
        select(ReviewItem.council_id).where(
            ReviewItem.council_id.is_not(None),
            ReviewItem.candidate_child_id.in_(merged_in)
            | ReviewItem.provisional_child_id.in_(merged_in)
            | (ReviewItem.candidate_child_id == child.id)
            | (ReviewItem.provisional_child_id == child.id),
        )
    )
    councils.update(council for council in items if council is not None)
    return sorted(councils)


def _records_to_split(session: Session, *, child: Child, chosen: set[int]) -> dict[int, str]:
    """The chosen child records (id to source and key), or :class:`SplitError` saying why not."""
    held = {
        record.id: record
        for record in session.scalars(
            select(SourceRecord).where(
                SourceRecord.child_id == child.id, SourceRecord.feed == Feed.CHILDREN
            )
        )
    }
    if not chosen:
        raise SplitError("Choose at least one record to split off.")
    strangers = sorted(chosen - held.keys())
    if strangers:
        listed = ", ".join(str(record_id) for record_id in strangers)
        raise SplitError(f"Not records of this child: {listed}.")
    if chosen >= held.keys():
        raise SplitError("Leave at least one record with this child: choose fewer to split off.")
    return {record_id: f"{held[record_id].source_id}:{held[record_id].record_key}"
            for record_id in chosen}  # fmt: skip


def _move_records(
    session: Session, moved: dict[int, str], *, from_child: int, to_child: int
) -> None:
    """The chosen child records, the involvement records that hang on them, and all values."""
    involvement_records = [
        record.id
        for record in session.scalars(
            select(SourceRecord).where(
                SourceRecord.child_id == from_child, SourceRecord.feed == Feed.INVOLVEMENTS
            )
        )
        if record.payload is not None
        and f"{record.source_id}:{json.loads(record.payload).get('child_record_id')}"
        in moved.values()
    ]
    ids = [*moved, *involvement_records]
    session.execute(update(SourceRecord).where(SourceRecord.id.in_(ids)).values(child_id=to_child))
    for table in MOVED_WITH_CHILD:
        session.execute(
            update(table)
            .where(table.child_id == from_child, table.source_record_id.in_(ids))
            .values(child_id=to_child)
        )


def _viewers(session: Session, child: Child) -> list[Viewer]:
    """Every user the trail shows with this child (or an ID merged into it), last seen first."""
    merged_in = session.scalars(
        select(Child.contactpoint_id).where(Child.merged_into_id == child.id)
    )
    latest: dict[int, Viewer] = {}
    for contactpoint_id in {child.contactpoint_id, *merged_in}:
        for row in who_viewed_child(session, contactpoint_id):
            if row.actor_kind is not ActorKind.USER or row.actor_user_id is None:
                continue
            seen = latest.get(row.actor_user_id)
            if seen is None or row.occurred_at > seen.last_seen_at:
                latest[row.actor_user_id] = Viewer(
                    row.actor_user_id, row.actor_role, row.actor_organisation_id, row.occurred_at
                )
    return sorted(latest.values(), key=lambda viewer: viewer.last_seen_at, reverse=True)
