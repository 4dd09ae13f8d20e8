"""Applying involvement rows: each belongs to a live child record of the same source.

The service and practitioner named in a row are found, or added, as organisations
and practitioners; the involvement is kept with the source record it came from,
so that a later extract replaces it and a delete or a full extract ends it. As
with children, a row of an extract older than the one that last set or ended its
record changes nothing: it neither replaces, ends nor brings back the involvement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select

from contactpoint.directory.models import Involvement
from contactpoint.feeds.models import RecordChange
from contactpoint.feeds.problems import Level, Problem
from contactpoint.feeds.records import end_records, existing_records
from contactpoint.feeds.row_checks import Deletion
from contactpoint.organisations.models import Organisation, OrganisationKind, Practitioner
from contactpoint.provenance.models import Feed, SourceRecord, SourceRecordStatus
from contactpoint.provenance.reported import InvolvementRow, content_hash, payload

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from contactpoint.feeds.records import ChunkOutcome
    from contactpoint.provenance.models import Source


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _children(session: Session, source: Source, keys: set[str]) -> dict[str, int]:
    """The child each of these live child records of ``source`` is linked to."""
    if not keys:
        return {}
    statement = select(SourceRecord.record_key, SourceRecord.child_id).where(
        SourceRecord.source_id == source.id,
        SourceRecord.feed == Feed.CHILDREN,
        SourceRecord.status == SourceRecordStatus.LIVE,
        SourceRecord.record_key.in_(keys),
    )
    return {key: child for key, child in session.execute(statement) if child is not None}


def apply_involvements(
    session: Session,
    *,
    source: Source,
    extracted_on: dt.date,
    rows: Sequence[InvolvementRow | Deletion],
    outcome: ChunkOutcome,
) -> None:
    held = existing_records(
        session, source=source, feed=Feed.INVOLVEMENTS, keys=[row.record_id for row in rows]
    )
    children = _children(
        session, source, {row.child_record_id for row in rows if isinstance(row, InvolvementRow)}
    )
    ended: list[int] = []
    for row in rows:
        record = held.get(row.record_id)
        if isinstance(row, Deletion):
            outcome.ending(record, line=row.line, extracted_on=extracted_on, ended=ended)
            continue
        child_id = children.get(row.child_record_id)
        if child_id is None:
            outcome.counts.rejected += 1
            outcome.problems.append(Problem(
                Level.ROW, row.line, "child_record_id",
                f"no live child record {row.child_record_id!r} of this source: send the"
                " child's row in the child feed first",
            ))  # fmt: skip
            continue
        _upsert(session, source, extracted_on, row, record, child_id, outcome)
    outcome.confirm(session, extracted_on=extracted_on)
    outcome.counts.ended += end_records(session, ended, extracted_on=extracted_on)


def _upsert(  # noqa: PLR0917 - one row's context, private
    session: Session,
    source: Source,
    extracted_on: dt.date,
    row: InvolvementRow,
    record: SourceRecord | None,
    child_id: int,
    outcome: ChunkOutcome,
) -> None:
    text = payload(row)
    digest = content_hash(text)
    counts = outcome.counts
    if record is not None:
        if record.status is SourceRecordStatus.LIVE and record.content_hash == digest:
            outcome.carried(record, extracted_on=extracted_on)
            return
        if outcome.older(record, line=row.line, extracted_on=extracted_on):
            return
    is_new = record is None
    if record is None:
        record = SourceRecord(
            source_id=source.id, feed=Feed.INVOLVEMENTS, record_key=row.record_id,
            first_loaded_at=_now(),
        )  # fmt: skip
        session.add(record)
        counts.inserted += 1
    else:
        outcome.changing(record, RecordChange.UPDATED)
        session.execute(delete(Involvement).where(Involvement.source_record_id == record.id))
        counts.updated += 1
    record.child_id, record.payload, record.content_hash = child_id, text, digest
    record.extracted_on, record.confirmed_on, record.updated_at = extracted_on, None, _now()
    record.status, record.ended_at = SourceRecordStatus.LIVE, None
    session.flush()
    if is_new:
        outcome.inserted(record.id)
    add_involvement(
        session, source=source, record_id=record.id, child_id=child_id, row=row,
        observed_on=extracted_on,
    )  # fmt: skip


def add_involvement(
    session: Session,
    *,
    source: Source,
    record_id: int,
    child_id: int,
    row: InvolvementRow,
    observed_on: dt.date,
) -> None:
    """The involvement a source record reports, with its service and practitioner."""
    service = _service(session, source, row)
    practitioner = _practitioner(session, service, row)
    session.execute(
        insert(Involvement),
        [{
            "child_id": child_id, "service_id": service.id,
            "practitioner_id": None if practitioner is None else practitioner.id,
            "service_type": row.service_type, "start_date": row.start_date,
            "end_date": row.end_date, "lead_professional": row.lead_professional,
            "assessment_held": row.assessment_held, "sensitive": row.sensitive,
            "consent_basis": row.consent_basis, "observed_on": observed_on,
            "source_record_id": record_id,
        }],
    )  # fmt: skip


def _service(session: Session, source: Source, row: InvolvementRow) -> Organisation:
    council_id = None if source.organisation is None else source.organisation.own_council_id
    found = session.scalar(
        select(Organisation)
        .where(Organisation.kind == OrganisationKind.SERVICE, Organisation.name == row.service_name)
        .order_by(Organisation.id)
        .limit(1)
    )
    if found is None:
        found = Organisation(
            kind=OrganisationKind.SERVICE, name=row.service_name, council_id=council_id
        )
        session.add(found)
    if row.practitioner_name is None:
        found.phone = row.phone or found.phone
        found.email = row.email or found.email
    session.flush()
    return found


def _practitioner(
    session: Session, service: Organisation, row: InvolvementRow
) -> Practitioner | None:
    if row.practitioner_name is None:
        return None
    found = session.scalar(
        select(Practitioner).where(
            Practitioner.organisation_id == service.id,
            Practitioner.name == row.practitioner_name,
        )
    )
    if found is None:
        found = Practitioner(organisation_id=service.id, name=row.practitioner_name)
        session.add(found)
    found.role = row.practitioner_role or found.role
    found.phone = row.phone or found.phone
    found.email = row.email or found.email
    session.flush()
    return found
