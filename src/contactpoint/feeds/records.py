"""Source records of a chunk: finding them by record_id, ending them, and the chunk's counts.

A record's ``extracted_on`` is the date of the extract that last set it, or that
ended it, and its ``confirmed_on`` that of a newer extract that carried it
unchanged: no extract older than either changes, ends or brings back the record
(feeds.md: an old extract sent again never overrides newer values).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from sqlalchemy import ColumnElement, Select, bindparam, delete, func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from contactpoint.directory.models import Involvement
from contactpoint.directory.source_values import refresh_children, remove_values
from contactpoint.feeds.models import RecordChange
from contactpoint.feeds.problems import Level, Problem
from contactpoint.linkage.index import forget_records
from contactpoint.provenance.models import Feed, SourceRecord, SourceRecordStatus
from contactpoint.storage.models import table_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from contactpoint.linkage.services import LinkResult
    from contactpoint.provenance.models import Source


@dataclass(slots=True)
class ChunkCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    ended: int = 0
    rejected: int = 0
    linked_to_existing: int = 0
    new_children: int = 0
    held_for_review: int = 0

    def linked(self, results: Sequence[LinkResult]) -> None:
        for result in results:
            if result.new_child and result.held_for_review:
                self.held_for_review += 1
            elif result.new_child:
                self.new_children += 1
            else:
                self.linked_to_existing += 1


_PREVIOUS: Final = ("previous_payload", "previous_content_hash", "previous_extracted_on",
             "previous_status", "previous_child_id", "previous_confirmed_on")  # fmt: skip


def last_sent_on() -> ColumnElement[dt.date]:
    """SQL for :attr:`SourceRecord.last_sent_on`: the newest extract that sent, carried or
    ended the record (``confirmed_on`` is empty unless newer than ``extracted_on``)."""
    return func.coalesce(SourceRecord.confirmed_on, SourceRecord.extracted_on)


@dataclass(slots=True)
class ChunkOutcome:
    counts: ChunkCounts = field(default_factory=ChunkCounts)
    problems: list[Problem] = field(default_factory=list)
    changes: list[dict[str, object]] = field(default_factory=list)  # feed_load_change rows
    # Records confirmed on this extract's date: (id, the confirmed_on it replaces).
    confirmed: list[tuple[int, dt.date | None]] = field(default_factory=list)

    def inserted(self, source_record_id: int) -> None:
        # Every change names every column: a chunk's changes are one executemany, which
        # takes its columns from the first row (fewer dropped the rest; more failed).
        self.changes.append({
            "source_record_id": source_record_id, "change": RecordChange.INSERTED,
            **dict.fromkeys(_PREVIOUS),
        })  # fmt: skip

    def older(
        self, record: SourceRecord, *, line: int, extracted_on: dt.date, deleting: bool = False
    ) -> bool:
        """Whether the row is of an extract older than the newest that set, carried or
        ended its record: if so it changes nothing, and is counted unchanged with a note
        saying why."""
        if record.last_sent_on <= extracted_on:
            return False
        newer = record.last_sent_on.isoformat()
        if record.status is SourceRecordStatus.ENDED:
            reason = (
                f"this source ended the record in a newer extract (extracted on {newer});"
                " this older row does not bring it back"
            )
        else:
            reason = (
                f"this source sent the record in a newer extract (extracted on {newer});"
                f" this older row {'does not end it' if deleting else 'changes nothing'}"
            )
        self.counts.unchanged += 1
        self.problems.append(Problem(Level.NOTE, line, None, reason))
        return True

    def ending(
        self, record: SourceRecord | None, *, line: int, extracted_on: dt.date, ended: list[int]
    ) -> None:
        """A delta's delete: the record goes on ``ended`` (for ``end_records``) unless it
        is not live or a newer extract sent it; either way a note says why not."""
        if record is None or record.status is not SourceRecordStatus.LIVE:
            self.problems.append(Problem(
                Level.NOTE, line, "action",
                "no live record has this record_id; there is nothing to end",
            ))  # fmt: skip
            return
        if self.older(record, line=line, extracted_on=extracted_on, deleting=True):
            return
        self.changing(record, RecordChange.ENDED)
        ended.append(record.id)

    def changing(self, record: SourceRecord, change: RecordChange) -> None:
        """Call before the record changes: keeps what it was. The change sets its
        ``extracted_on``, so its ``confirmed_on`` is emptied (see ``end_records``)."""
        self.changes.append({
            "source_record_id": record.id, "change": change,
            "previous_payload": record.payload, "previous_content_hash": record.content_hash,
            "previous_extracted_on": record.extracted_on, "previous_status": record.status,
            "previous_child_id": record.child_id, "previous_confirmed_on": record.confirmed_on,
        })  # fmt: skip

    def carried(self, record: SourceRecord, *, extracted_on: dt.date) -> None:
        """A live record this extract carries unchanged: counted unchanged, and if the
        extract is newer than any that sent it, confirmed on its date (kept for undo in
        ``confirmed``), so that no older extract overrides it. Its values keep the date
        they were set on."""
        self.counts.unchanged += 1
        if extracted_on <= record.last_sent_on:
            return  # the same extract again, or an older one: nothing is written
        self.confirmed.append((record.id, record.confirmed_on))
        # Written by confirm(), a statement per run rather than an UPDATE per record.
        set_committed_value(record, "confirmed_on", extracted_on)

    def confirm(self, session: Session, *, extracted_on: dt.date) -> None:
        """Write the confirmations ``carried`` noted: one UPDATE per run of record ids."""
        date_runs(session, [
            (run["first_record_id"], run["last_record_id"], extracted_on)
            for run in confirmation_runs(self.confirmed)
        ])  # fmt: skip


def date_runs(session: Session, runs: Sequence[tuple[object, object, dt.date | None]]) -> None:
    """Set ``confirmed_on`` for runs of source record ids: (first id, last id, date)."""
    if not runs:
        return
    table = table_of(SourceRecord)
    session.execute(
        update(table)
        .where(table.c.id.between(bindparam("first"), bindparam("last")))
        .values(confirmed_on=bindparam("date")),
        [{"first": first, "last": last, "date": date} for first, last, date in runs],
    )


def existing_records(
    session: Session, *, source: Source, feed: Feed, keys: Sequence[str]
) -> dict[str, SourceRecord]:
    if not keys:
        return {}
    found = session.scalars(
        _records_keyed(), {"source_id": source.id, "feed": feed, "keys": list(keys)}
    )
    return {record.record_key: record for record in found}


@functools.cache
def _records_keyed() -> Select[SourceRecord]:
    """Built once: every load's chunk asks (see ``storage.queries.one_of_named``)."""
    return select(SourceRecord).where(
        SourceRecord.source_id == bindparam("source_id"),
        SourceRecord.feed == bindparam("feed"),
        SourceRecord.record_key.in_(bindparam("keys", expanding=True)),
    )


END_BATCH = 5000  # ids bound per statement: SQLite takes at most 32,766


def end_records(session: Session, record_ids: Sequence[int], *, extracted_on: dt.date) -> int:
    """End these source records: their values go; their children are chosen for again.

    Each keeps the date of the extract that ends it (``extracted_on``), so that no
    older extract brings it back; callers end no record a newer extract set.
    In batches: a full load may end hundreds of thousands of records at once.
    """
    for start in range(0, len(record_ids), END_BATCH):
        _end_batch(session, list(record_ids[start : start + END_BATCH]), extracted_on)
    return len(record_ids)


def _end_batch(session: Session, ids: list[int], extracted_on: dt.date) -> None:
    children = set(session.scalars(select(SourceRecord.child_id).where(SourceRecord.id.in_(ids))))
    feeds = set(session.scalars(select(SourceRecord.feed).where(SourceRecord.id.in_(ids))))
    session.execute(
        update(SourceRecord)
        .where(SourceRecord.id.in_(ids))
        .values(
            status=SourceRecordStatus.ENDED,
            ended_at=dt.datetime.now(dt.UTC),
            extracted_on=extracted_on,
            confirmed_on=None,
        )
    )
    if Feed.INVOLVEMENTS in feeds:
        session.execute(delete(Involvement).where(Involvement.source_record_id.in_(ids)))
    forget_records(session, ids)
    remove_values(session, ids)
    refresh_children(session, {child for child in children if child is not None})


def confirmation_runs(confirmed: Sequence[tuple[int, dt.date | None]]) -> list[dict[str, object]]:
    """``feed_load_confirmation`` rows (but the load's id) for these confirmed records: runs
    of consecutive ids that had the same date before. A chunk's records were inserted
    together, so a full extract's thousand unchanged rows make a run or a few."""
    runs: list[dict[str, object]] = []
    for record_id, previous in sorted(
        confirmed, key=lambda pair: (pair[1] or dt.date.min, pair[0])
    ):
        last = runs[-1] if runs else None
        if (
            last is not None
            and last["previous_confirmed_on"] == previous
            and (last["last_record_id"] == record_id - 1)
        ):
            last["last_record_id"] = record_id
        else:
            runs.append({"first_record_id": record_id, "last_record_id": record_id,
                         "previous_confirmed_on": previous})  # fmt: skip
    return runs
