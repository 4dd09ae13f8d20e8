"""Applying one chunk of accepted rows: source records, links, and the child's values.

Each row is compared with the source record of the same record_id: new rows are
inserted and linked to a child; changed rows replace their record's values;
unchanged rows (same digest) are left alone, but for the date of the newest extract
that carried them (``confirmed_on``). Any row of an extract older than the newest
that set, carried or ended its record changes nothing: an old extract sent again
never overrides newer values, never ends a record a newer one sent, and never
brings back a record a newer one ended.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import insert, select

from contactpoint.directory.source_values import (
    SourceValues,
    add_values,
    may_change_children,
    refresh_children,
    remove_values,
)
from contactpoint.feeds.involvements import apply_involvements
from contactpoint.feeds.models import RecordChange
from contactpoint.feeds.problems import Level, Problem
from contactpoint.feeds.records import (
    ChunkOutcome,
    end_records,
    existing_records,
)
from contactpoint.feeds.row_checks import Deletion
from contactpoint.linkage.services import Arrival, Linker
from contactpoint.organisations.models import Organisation, OrganisationKind
from contactpoint.provenance.models import Feed, SourceRecord, SourceRecordStatus
from contactpoint.provenance.reported import (
    ChildRow,
    InvolvementRow,
    child_from_payload,
    content_hash,
    payload,
)
from contactpoint.storage.models import table_of
from contactpoint.storage.queries import reserve_ids, update_by_id

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from contactpoint.provenance.models import Source

ChildChunkRow = ChildRow | Deletion


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _identity(row: ChildRow) -> dict[str, object]:
    """The source record's columns that linkage compares and provenance reports."""
    return {
        "given_name": row.given_name,
        "middle_names": row.middle_names,
        "family_name": row.family_name,
        "date_of_birth": row.date_of_birth,
        "gender": row.gender,
        "date_of_death": row.date_of_death,
        "nhs_number": row.nhs_number,
        "upn": row.upn,
    }


def _codes(session: Session, kind: OrganisationKind, codes: set[str]) -> dict[str, int]:
    if not codes:
        return {}
    statement = select(Organisation.code, Organisation.id).where(
        Organisation.kind == kind, Organisation.code.in_(codes)
    )
    return {code: id_ for code, id_ in session.execute(statement) if code is not None}


class _ChildChunk:
    def __init__(
        self, session: Session, *, source: Source, extracted_on: dt.date, linker: Linker
    ) -> None:
        self.session, self.source, self.extracted_on, self.linker = (
            session, source, extracted_on, linker,
        )  # fmt: skip
        self.outcome = ChunkOutcome()
        self.arrivals: list[tuple[ChildRow, str, str]] = []  # row, payload, digest
        self.changed: list[tuple[SourceRecord, ChildRow]] = []

    def apply(self, rows: Sequence[ChildChunkRow]) -> ChunkOutcome:
        held = existing_records(
            self.session, source=self.source, feed=Feed.CHILDREN, keys=[r.record_id for r in rows]
        )
        ended: list[int] = []
        for row in rows:
            record = held.get(row.record_id)
            if isinstance(row, Deletion):
                self.outcome.ending(record, line=row.line, extracted_on=self.extracted_on,
                                    ended=ended)  # fmt: skip
            else:
                self._upsert(row, record)
        self.outcome.confirm(self.session, extracted_on=self.extracted_on)
        self.outcome.counts.ended += end_records(
            self.session, ended, extracted_on=self.extracted_on
        )
        new = self._insert_and_link()
        self._values(new)
        return self.outcome

    def _upsert(self, row: ChildRow, record: SourceRecord | None) -> None:
        text = payload(row)
        digest = content_hash(text)
        counts = self.outcome.counts
        if record is None:
            self.arrivals.append((row, text, digest))
            counts.inserted += 1
            return
        if record.status is SourceRecordStatus.LIVE and record.content_hash == digest:
            self.outcome.carried(record, extracted_on=self.extracted_on)
            return
        if self.outcome.older(record, line=row.line, extracted_on=self.extracted_on):
            return
        counts.updated += 1
        self.outcome.changing(record, RecordChange.UPDATED)
        for name, value in _identity(row).items():
            setattr(record, name, value)
        record.payload, record.content_hash = text, digest
        record.extracted_on, record.confirmed_on = self.extracted_on, None
        record.updated_at = _now()
        record.status, record.ended_at = SourceRecordStatus.LIVE, None
        self.changed.append((record, row))

    def _insert_and_link(self) -> list[tuple[int, int, ChildRow]]:
        """Insert the new records and link each to a child: (record id, child id, row)."""
        if not self.arrivals:
            return []
        now = _now()
        table = table_of(SourceRecord)
        # Ids taken first, then a plain executemany: RETURNING with ordered parameters
        # would make SQLite insert row by row, and a query for the ids costs a chunk more.
        ids = reserve_ids(self.session, table, len(self.arrivals))
        values = [
            {"id": record_id, "source_id": self.source.id, "feed": Feed.CHILDREN,
             "record_key": row.record_id, "status": SourceRecordStatus.LIVE,
             "extracted_on": self.extracted_on, "content_hash": digest, "payload": text,
             "first_loaded_at": now, "updated_at": now, **_identity(row)}
            for record_id, (row, text, digest) in zip(ids, self.arrivals, strict=True)
        ]  # fmt: skip
        self.session.execute(insert(table), values)
        rows = [row for row, _, _ in self.arrivals]
        for record_id in ids:
            self.outcome.inserted(record_id)
        arrivals = [
            Arrival(record_id, row, digest)
            for record_id, (row, _, digest) in zip(ids, self.arrivals, strict=True)
        ]
        results = self.linker.link(self.session, arrivals, source=self.source)
        self.outcome.counts.linked(results)
        update_by_id(
            self.session, "source_record", "child_id",
            [(result.child_id, record_id) for record_id, result in zip(ids, results, strict=True)],
        )  # fmt: skip
        return [
            (record_id, result.child_id, row)
            for record_id, result, row in zip(ids, results, rows, strict=True)
        ]

    def _values(self, new: list[tuple[int, int, ChildRow]]) -> None:
        changed = [(r.id, r.child_id, row) for r, row in self.changed if r.child_id is not None]
        remove_values(self.session, [record_id for record_id, _, _ in changed])
        self.linker.rekey(self.session, [Arrival(record_id, row) for record_id, _, row in changed])
        items = new + changed
        urns = {row.school_urn for _, _, row in items if row.school_urn}
        ods_codes = {row.gp_practice_code for _, _, row in items if row.gp_practice_code}
        schools = _codes(self.session, OrganisationKind.SCHOOL, urns)
        practices = _codes(self.session, OrganisationKind.GP_PRACTICE, ods_codes)
        add_values(
            self.session,
            [self._source_values(record_id, child_id, row, schools, practices)
             for record_id, child_id, row in items],
        )  # fmt: skip
        # A child is chosen again when a changed record's values went, or a new record may
        # win (a child made for one record already shows its values: it is not).
        added = [(child_id, row) for _, child_id, row in new]
        refresh_children(
            self.session,
            {child_id for _, child_id, _ in changed} | may_change_children(self.session, added),
        )

    def _source_values(
        self,
        record_id: int,
        child_id: int,
        row: ChildRow,
        schools: dict[str, int],
        practices: dict[str, int],
    ) -> SourceValues:
        school = schools.get(row.school_urn) if row.school_urn else None
        practice = practices.get(row.gp_practice_code) if row.gp_practice_code else None
        if row.school_urn and school is None:
            self._unknown(row, "school_urn", f"no school with URN {row.school_urn} is known")
        if row.gp_practice_code and practice is None:
            self._unknown(
                row, "gp_practice_code", f"no GP practice {row.gp_practice_code} is known"
            )
        return SourceValues(child_id, record_id, self.extracted_on, row, school, practice)

    def _unknown(self, row: ChildRow, column: str, reason: str) -> None:
        self.outcome.problems.append(
            Problem(Level.FIELD, row.line, column, f"{reason}; the row loads without it")
        )


def restore_child_values(session: Session, records: Sequence[SourceRecord]) -> None:
    """Make these live child records' values again from their payloads (after an undo)."""
    items = [
        (record, child_from_payload(record.payload))
        for record in records
        if record.payload is not None and record.child_id is not None
    ]
    urns = {row.school_urn for _, row in items if row.school_urn}
    ods_codes = {row.gp_practice_code for _, row in items if row.gp_practice_code}
    schools = _codes(session, OrganisationKind.SCHOOL, urns)
    practices = _codes(session, OrganisationKind.GP_PRACTICE, ods_codes)
    add_values(
        session,
        [SourceValues(record.child_id, record.id, record.extracted_on, row,  # type: ignore[arg-type]
                      schools.get(row.school_urn or ""), practices.get(row.gp_practice_code or ""))
         for record, row in items],
    )  # fmt: skip


def apply_child_chunk(
    session: Session,
    *,
    source: Source,
    extracted_on: dt.date,
    rows: Sequence[object],
    linker: Linker,
) -> ChunkOutcome:
    chunk_rows = [row for row in rows if isinstance(row, ChildRow | Deletion)]
    return _ChildChunk(session, source=source, extracted_on=extracted_on, linker=linker).apply(
        chunk_rows
    )


def apply_involvement_chunk(
    session: Session,
    *,
    source: Source,
    extracted_on: dt.date,
    rows: Sequence[object],
    linker: Linker,  # noqa: ARG001 - involvements follow their child's link
) -> ChunkOutcome:
    outcome = ChunkOutcome()
    chunk_rows = [row for row in rows if isinstance(row, InvolvementRow | Deletion)]
    apply_involvements(
        session, source=source, extracted_on=extracted_on, rows=chunk_rows, outcome=outcome
    )
    return outcome
