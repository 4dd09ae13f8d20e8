"""Undoing a whole load while no later load depends on it.

Every load keeps a log of what it did to each source record and what the record
was before (``feed_load_change``). Undoing puts every record back: records the
load inserted go, with their values, blocking keys, link decisions and review
items, and so do the children they made that nothing else holds; records it
changed or ended get their previous version, values and keys back; records it
carried unchanged get back the date they were confirmed on before.

A load can be undone only while nothing depends on it:
- no later load has run (any later load may have linked to what this one made);
- no person has decided a match since it began (a merge or split would be lost);
- nobody has opened a child it made (their ContactPoint ID must keep resolving).
Where any of these holds, the undo refuses with the reason and changes nothing;
correcting the source and loading again is the way forward then.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select

from contactpoint.access.permissions import Permission
from contactpoint.access.policy import decide, require
from contactpoint.audit.models import AuditEventRow
from contactpoint.directory.models import Child, Involvement, Shield
from contactpoint.directory.source_values import refresh_children, remove_values
from contactpoint.feeds import audit_trail as feeds_audit
from contactpoint.feeds.applying import restore_child_values
from contactpoint.feeds.involvements import add_involvement
from contactpoint.feeds.models import (
    FeedLoad,
    FeedLoadChange,
    FeedLoadConfirmation,
    LoadStatus,
    RecordChange,
)
from contactpoint.feeds.records import date_runs
from contactpoint.feeds.sources import SourceError, lock_source, source_target
from contactpoint.linkage.index import forget_records
from contactpoint.linkage.models import LinkDecision, ReviewItem
from contactpoint.linkage.services import LINKED_BY, Arrival, index_records
from contactpoint.provenance.models import Feed, SourceRecord, SourceRecordStatus
from contactpoint.provenance.reported import child_from_payload, involvement_from_payload
from contactpoint.storage.queries import one_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from contactpoint.access.policy import Principal


class UndoRefusedError(SourceError):
    """The load cannot be undone; the message says why and what to do instead."""


@dataclass(frozen=True, slots=True)
class UndoReport:
    load_id: int
    records_removed: int
    records_restored: int
    children_removed: int


def undo_load(session: Session, *, by: Principal, load_id: int) -> UndoReport:
    load = session.get(FeedLoad, load_id)
    if load is None:
        raise UndoRefusedError(f"there is no load {load_id}")
    require(decide(by, Permission.FEEDS_LOAD_RUN, target=source_target(load.source)))
    lock_source(session, load.source)
    session.refresh(load)  # as it is now that no load of its source is running
    _require_nothing_depends_on(session, load)
    changes = list(
        session.scalars(
            select(FeedLoadChange)
            .where(FeedLoadChange.load_id == load.id)
            .order_by(FeedLoadChange.id.desc())
        )
    )
    inserted = [c.source_record_id for c in changes if c.change is RecordChange.INSERTED]
    made = _children_only_held_by(session, inserted)
    _require_unopened(session, made)
    _unconfirm(session, load)
    restored = _restore(session, [c for c in changes if c.change is not RecordChange.INSERTED])
    session.execute(delete(FeedLoadChange).where(FeedLoadChange.load_id == load.id))
    _remove(session, inserted, made)
    load.status = LoadStatus.UNDONE
    session.flush()
    feeds_audit.load_finished(session, by=by, load=load)
    return UndoReport(load.id, len(inserted), len(restored), len(made))


def _require_nothing_depends_on(session: Session, load: FeedLoad) -> None:
    if load.status is not LoadStatus.COMPLETED:
        raise UndoRefusedError(f"load {load.id} is {load.status}: only a completed load is undone")
    later = session.scalar(
        select(func.min(FeedLoad.id)).where(
            FeedLoad.id > load.id,
            FeedLoad.status.in_([LoadStatus.COMPLETED, LoadStatus.APPLYING]),
        )
    )
    if later is not None:
        raise UndoRefusedError(
            f"load {later} came after load {load.id} and may depend on it: undo that one first,"
            " or correct the source and load again"
        )
    decided = session.scalar(
        select(func.count())
        .select_from(LinkDecision)
        .where(LinkDecision.decided_at >= load.started_at, LinkDecision.decided_by != LINKED_BY)
    )
    if decided:
        raise UndoRefusedError(
            f"a person has decided {decided} match(es) since load {load.id} began; undoing it"
            " would lose them: correct the source and load again"
        )


def _children_only_held_by(session: Session, record_ids: list[int]) -> dict[int, str]:
    """The children (id: ContactPoint ID) of these records that hold no other record."""
    if not record_ids:
        return {}
    children = set(
        session.scalars(
            select(SourceRecord.child_id).where(one_of(session, SourceRecord.id, record_ids))
        )
    )
    others = set(
        session.scalars(
            select(SourceRecord.child_id).where(
                one_of(session, SourceRecord.child_id, children),
                ~one_of(session, SourceRecord.id, record_ids),
            )
        )
    )
    lonely = {child for child in children if child is not None and child not in others}
    rows = session.execute(
        select(Child.id, Child.contactpoint_id).where(one_of(session, Child.id, lonely))
    )
    return {child_id: number for child_id, number in rows}  # noqa: C416 - Rows, not pairs


def _require_unopened(session: Session, children: dict[int, str]) -> None:
    if not children:
        return
    opened = session.scalar(
        select(AuditEventRow.subject_ref)
        .where(one_of(session, AuditEventRow.subject_ref, list(children.values())))
        .limit(1)
    )
    if opened is not None:
        raise UndoRefusedError(
            f"child {opened}, made by this load, appears in the audit trail (someone opened or"
            " changed it); undoing would lose it: correct the source and load again"
        )


def _unconfirm(session: Session, load: FeedLoad) -> None:
    """Records the load carried unchanged: only their ``confirmed_on`` goes back."""
    runs = list(
        session.scalars(select(FeedLoadConfirmation).where(FeedLoadConfirmation.load_id == load.id))
    )
    date_runs(session, [
        (run.first_record_id, run.last_record_id, run.previous_confirmed_on) for run in runs
    ])  # fmt: skip
    session.execute(delete(FeedLoadConfirmation).where(FeedLoadConfirmation.load_id == load.id))


def _restore(session: Session, changes: list[FeedLoadChange]) -> list[SourceRecord]:
    ids = [change.source_record_id for change in changes]
    records = {
        r.id: r
        for r in session.scalars(select(SourceRecord).where(one_of(session, SourceRecord.id, ids)))
    }
    remove_values(session, ids)
    session.execute(delete(Involvement).where(one_of(session, Involvement.source_record_id, ids)))
    forget_records(session, ids)
    for change in changes:  # newest first, so the oldest previous version is left standing
        record = records[change.source_record_id]
        record.payload, record.content_hash = change.previous_payload, change.previous_content_hash
        record.extracted_on = change.previous_extracted_on or record.extracted_on
        record.confirmed_on = change.previous_confirmed_on
        record.status = change.previous_status or SourceRecordStatus.LIVE
        record.child_id = change.previous_child_id
        record.ended_at = None if record.status is SourceRecordStatus.LIVE else record.ended_at
        if record.feed is Feed.CHILDREN and record.payload is not None:
            row = child_from_payload(record.payload)
            record.given_name, record.middle_names = row.given_name, row.middle_names
            record.family_name, record.date_of_birth = row.family_name, row.date_of_birth
            record.gender, record.date_of_death = row.gender, row.date_of_death
            record.nhs_number, record.upn = row.nhs_number, row.upn
    session.flush()
    live = [r for r in records.values() if r.status is SourceRecordStatus.LIVE]
    children = [r for r in live if r.feed is Feed.CHILDREN]
    restore_child_values(session, children)
    index_records(
        session, [Arrival(r.id, child_from_payload(r.payload)) for r in children if r.payload]
    )
    for record in live:
        if record.feed is Feed.INVOLVEMENTS and record.payload and record.child_id:
            add_involvement(
                session, source=record.source, record_id=record.id, child_id=record.child_id,
                row=involvement_from_payload(record.payload), observed_on=record.extracted_on,
            )  # fmt: skip
    refresh_children(session, {r.child_id for r in records.values() if r.child_id is not None})
    return list(records.values())


def _remove(session: Session, record_ids: list[int], children: dict[int, str]) -> None:
    if not record_ids:
        return
    held = set(
        session.scalars(
            select(SourceRecord.child_id).where(one_of(session, SourceRecord.id, record_ids))
        )
    )
    remove_values(session, record_ids)
    session.execute(
        delete(Involvement).where(one_of(session, Involvement.source_record_id, record_ids))
    )
    forget_records(session, record_ids)
    session.execute(
        delete(ReviewItem).where(one_of(session, ReviewItem.source_record_id, record_ids))
    )
    session.execute(
        delete(LinkDecision).where(one_of(session, LinkDecision.source_record_id, record_ids))
    )
    session.execute(delete(SourceRecord).where(one_of(session, SourceRecord.id, record_ids)))
    gone = list(children)
    if gone:
        session.execute(delete(Shield).where(one_of(session, Shield.child_id, gone)))
        session.execute(
            delete(ReviewItem).where(
                one_of(session, ReviewItem.provisional_child_id, gone)
                | one_of(session, ReviewItem.candidate_child_id, gone)
            )
        )
        session.execute(delete(LinkDecision).where(one_of(session, LinkDecision.child_id, gone)))
        session.execute(delete(Child).where(one_of(session, Child.id, gone)))
    refresh_children(session, {child for child in held if child is not None} - set(gone))
