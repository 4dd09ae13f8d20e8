"""Unmerging: split chosen source records off a wrongly merged child.

The chosen child records, with their values and the involvement records that hang on
them, go to the child they belong to. A merged-away ContactPoint ID keeps leading to
the child that holds its records, so a practitioner holding it never opens another
child's record:

- a child merged into this one whose live records are all among those chosen is
  revived: its ID stops pointing here and the records go back to it, with the ended
  records it brought (a load never re-links a record, so one left here that an extract
  sent again would be live here again, on the wrong child). If the chosen records are
  all the live records of several such children, the one that brought the most (the
  oldest, on a tie) is revived and the others' IDs point at it, and their ended records go
  there too;
- otherwise the records go to a new child with a new ContactPoint ID, and a merged-away
  child only some of whose live records move keeps pointing here, where the rest stay.

Which records a merged-away child brought comes from the link decisions: a record's
newest decision other than a merge names the child it was linked to, made for, held
with or split to (merges leave decisions where they were made, see
:mod:`.review_decisions`). Merges made before that moved the decisions to the
survivor; for them a merged record's review item still names the child it was held
with.

A shield of the child shields the one the records go to. Every merged-away ID the
split moves is audited (``unmerge_child``: where it led, and where it leads now, none
when revived) beside the split itself. The split also answers who the audit trail
shows with the wrongly merged child, under its own ID or any ID merged into it, so the
council can tell them. No record is deleted.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
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
from contactpoint.linkage.models import LinkDecision, LinkOutcome, ReviewItem, ReviewStatus
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
from contactpoint.provenance.models import Feed, Source, SourceRecord, SourceRecordStatus

if TYPE_CHECKING:
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
    new_contactpoint_id: str  # the child the records went to: a new one, or one revived
    moved_source_record_ids: list[int]
    viewers: list[Viewer]
    revived: bool = False  # new_contactpoint_id had been merged into the child split from
    merged_ids_moved: list[str] = field(default_factory=list)  # others now leading there


def split_child(
    session: Session, *, by: Principal, contactpoint_id: str, source_record_ids: Collection[int]
) -> SplitResult:
    """Move the chosen child records (with their values and involvements) to the child they
    belong to: a merged-away child whose live records they all are, revived with its ended
    records too, or a new one."""
    child = child_to_split(session, by=by, contactpoint_id=contactpoint_id)
    chosen = set(source_record_ids)
    held = _held_records(session, child=child, chosen=chosen)
    viewers = _viewers(session, child)  # while every ID merged into it still leads here
    brought = _brought_by(session, child)
    going = _going_along(session, brought=brought, chosen=chosen)
    going_ids = {merged.id for merged in going}
    brought_going = {r: c for r, c in brought.items() if c in going_ids}
    # Their ended records go with them: an extract sending one again must not revive it here.
    moved = _records_to_split(held, moving=chosen | brought_going.keys())
    target = going[0] if going else _new_child_like(session, child)
    _move_records(session, moved, from_child=child.id, to_child=target.id)
    _move_ids(session, by=by, going=going, split_from=child, to_child=target)
    shield = copy_shield(session, from_child=child, to_child=target, replace_weaker=False)
    _record_split(session, by=by, moved=moved.keys(), to_child=target.id, brought=brought_going)
    session.flush()
    session.expire(child)  # their shown values are chosen again around the ORM
    session.expire(target)
    refresh_children(session, [child.id, target.id])
    audit_trail.child_split(
        session, by=by, split_from=child.contactpoint_id,
        new_child=target.contactpoint_id, records_moved=len(moved), shield=shield,
    )  # fmt: skip
    audit_trail.viewers_listed(
        session, by=by, contactpoint_id=child.contactpoint_id, rows=len(viewers)
    )
    session.flush()
    return SplitResult(
        child.contactpoint_id, target.contactpoint_id, sorted(moved), viewers,
        revived=bool(going), merged_ids_moved=sorted(c.contactpoint_id for c in going[1:]),
    )  # fmt: skip


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


def _held_records(session: Session, *, child: Child, chosen: set[int]) -> dict[int, SourceRecord]:
    """The child records of ``child`` by id, if ``chosen`` are among them; else
    :class:`SplitError` saying why not."""
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
    return held


def _records_to_split(held: dict[int, SourceRecord], *, moving: set[int]) -> dict[int, str]:
    """The records moving (id to source and key), if they leave the child one; else
    :class:`SplitError`."""
    if moving >= held.keys():
        raise SplitError("Leave at least one record with this child: choose fewer to split off.")
    return {record_id: f"{held[record_id].source_id}:{held[record_id].record_key}"
            for record_id in moving}  # fmt: skip


def _brought_by(session: Session, child: Child) -> dict[int, int]:
    """The child records of ``child`` that a child merged into it brought, to that child's id.

    A record's newest link decision other than a merge names the child it was placed
    with; a merge made before merges left decisions where they were made moved them to
    the survivor, and then the record's merged review item names the child it was held
    with. Chains are collapsed, so each such child points here directly.
    """
    merged_in = set(session.scalars(select(Child.id).where(Child.merged_into_id == child.id)))
    if not merged_in:
        return {}
    records = select(SourceRecord.id).where(
        SourceRecord.child_id == child.id, SourceRecord.feed == Feed.CHILDREN
    )
    placed = {  # the newest decision of a record comes last, and stays
        decision.source_record_id: decision.child_id
        for decision in session.execute(
            select(LinkDecision.source_record_id, LinkDecision.child_id)
            .where(LinkDecision.source_record_id.in_(records))
            .where(LinkDecision.outcome != LinkOutcome.MERGED)
            .order_by(LinkDecision.id)
        )
    }
    for record_id, provisional in session.execute(
        select(ReviewItem.source_record_id, ReviewItem.provisional_child_id).where(
            ReviewItem.source_record_id.in_(records), ReviewItem.status == ReviewStatus.MERGED
        )
    ):
        if placed.get(record_id) not in merged_in:
            placed[record_id] = provisional
    return {record_id: origin for record_id, origin in placed.items() if origin in merged_in}


def _going_along(session: Session, *, brought: dict[int, int], chosen: set[int]) -> list[Child]:
    """The merged-away children whose live records here are all chosen: the one to revive
    (that brought the most of them, the oldest on a tie) first."""
    live = set(
        session.scalars(
            select(SourceRecord.id).where(
                SourceRecord.id.in_(brought), SourceRecord.status == SourceRecordStatus.LIVE
            )
        )
    )
    records_of: dict[int, set[int]] = {}
    for record_id, merged_id in brought.items():
        if record_id in live:
            records_of.setdefault(merged_id, set()).add(record_id)
    going = [merged_id for merged_id, records in records_of.items() if records <= chosen]
    going.sort(key=lambda merged_id: (-len(records_of[merged_id]), merged_id))
    return [session.get_one(Child, merged_id) for merged_id in going]


def _new_child_like(session: Session, child: Child) -> Child:
    """A new child; its shown values are chosen from its records once they have moved."""
    return register_child(session, date_of_birth=child.date_of_birth, gender=child.gender)


def _move_ids(
    session: Session, *, by: Principal, going: list[Child], split_from: Child, to_child: Child
) -> None:
    """The IDs of ``going`` lead to ``to_child`` now (the first is it, revived); each audited."""
    now = dt.datetime.now(dt.UTC)
    for merged in going:
        leads_to = None if merged.id == to_child.id else to_child
        merged.merged_into_id = None if leads_to is None else leads_to.id
        merged.updated_at = now
        audit_trail.child_unmerged(
            session, by=by, merged=merged.contactpoint_id, split_from=split_from.contactpoint_id,
            leads_to=None if leads_to is None else leads_to.contactpoint_id,
        )  # fmt: skip


def _record_split(
    session: Session, *, by: Principal, moved: Collection[int], to_child: int,
    brought: dict[int, int],
) -> None:  # fmt: skip
    """A split decision for each moved record, naming the child it went with: the
    merged-away child that brought it, if that child's ID went along, else ``to_child``."""
    signed = decided_by(by)
    session.add_all(
        LinkDecision(source_record_id=record_id, child_id=brought.get(record_id, to_child),
                     outcome=LinkOutcome.SPLIT, match_weight=None, model_version=PERSON_MODEL,
                     explanation=None, decided_by=signed)
        for record_id in sorted(moved)
    )  # fmt: skip


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
