"""A full extract's ending rules: which of the source's live records one load ends.

A full extract is the source's whole list: the live records it does not carry end
when it completes, but for any a newer extract set (an old extract sent again
never overrides newer values), none at all if a newer full extract has loaded,
and none if a row's record_id could not be read (that row may be any of them).
The same rules decide the mass-end guard in pass one. :class:`FullExtract` only
asks; the loader keeps what it returns and ends the records itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import false, func, select

from contactpoint.feeds.models import FeedLoad, FeedLoadKey, LoadMode, LoadStatus, RecordChange
from contactpoint.feeds.problems import Level, Problem
from contactpoint.feeds.records import END_BATCH, ChunkOutcome, last_sent_on
from contactpoint.provenance.models import SourceRecord, SourceRecordStatus

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from contactpoint.provenance.models import Feed, Source

MASS_END_SHARE: Final = 0.10
LINES_NAMED: Final = 5  # of the rows whose record_id could not be read, in the note


@dataclass(slots=True)
class Unreadable:
    """Rows rejected before their record_id could be read: how many, and the first lines."""

    count: int = 0
    first_lines: list[int] = field(default_factory=list)

    def add(self, line: int) -> None:
        self.count += 1
        if len(self.first_lines) < LINES_NAMED:
            self.first_lines.append(line)

    def note(self, missing: int) -> Problem:
        """A full extract's note: it ends none of the ``missing`` records it does not carry."""
        named = [str(line) for line in self.first_lines]
        one = self.count == 1
        if one:
            lines = f"line {named[0]}"
        else:
            rest = self.count - len(named)
            last = f"{rest:,} more" if rest else named.pop()
            lines = f"lines {', '.join(named)} and {last}"
        rows = "1 row" if one else f"{self.count:,} rows"
        records = "1 record" if missing == 1 else f"{missing:,} records"
        return Problem(
            Level.NOTE, 0, None,
            f"{rows} of this full extract ({lines}) {'was' if one else 'were'} rejected before"
            f" the record_id could be read: the load cannot tell which records"
            f" {'it was' if one else 'they were'}, so it ends none of the {records} it does not"
            f" carry. Mend {'it' if one else 'them'} and load the extract again",
        )  # fmt: skip


@dataclass(slots=True)
class Ending:
    """What a full extract's finish does: the notes it keeps, and the records it ends
    with their changes (logged before they end, for undo)."""

    notes: list[Problem] = field(default_factory=list)
    record_ids: list[int] = field(default_factory=list)
    changes: list[dict[str, object]] = field(default_factory=list)


class FullExtract:
    """The ending rules for one full load of a source's feed: made once a load, so that
    it asks once whether a newer full load of the source exists."""

    def __init__(self, session: Session, source: Source, feed: Feed, load: FeedLoad) -> None:
        self.session, self.source, self.feed, self.load = session, source, feed, load
        # The source's newer full load (or None), once asked: see newer_full.
        self._newer_full_found: tuple[FeedLoad | None] | None = None

    def unreadable_note(self, unreadable: Unreadable) -> Problem | None:
        """Pass one's note, if rows' record_ids could not be read and records it does
        not carry would otherwise end."""
        missing = self._count(self.missing())
        return unreadable.note(missing) if missing else None

    def mass_end(self, deleting: list[str]) -> Problem | None:
        """The guard's refusal, if this full extract would end more than its share: the
        records it leaves out and those its delete rows end, but for any a newer extract
        sent (those stay)."""
        live = self._count(self.live())
        ending = self._count(self.ending())
        deleting = sorted(set(deleting))  # a record_id repeated in the file ends once
        for start in range(0, len(deleting), END_BATCH):
            ending += self._count(self.live().where(
                SourceRecord.record_key.in_(deleting[start : start + END_BATCH]),
                last_sent_on() <= self.load.extracted_on,
            ))  # fmt: skip
        if live == 0 or ending <= MASS_END_SHARE * live:
            return None
        return Problem(
            Level.FILE, 0, None,
            f"this full extract would end {ending:,} of the source's {live:,} live records"
            f" ({ending / live:.0%}), more than the {MASS_END_SHARE:.0%} a full load may end:"
            " is the file complete? If it is, load it again with --allow-mass-end",
        )  # fmt: skip

    def end_missing(self) -> Ending:
        """The records this full extract no longer carries, to end, and which it kept."""
        load = self.load
        if load.rows_without_record_id:
            return Ending()  # it ends none: pass one's note says why
        newer = self.newer_full()
        if newer is not None:
            return Ending(notes=[Problem(
                Level.NOTE, 0, None,
                f"this full extract (extracted on {load.extracted_on.isoformat()}) is older"
                f" than the source's full extract of {newer.extracted_on.isoformat()} (load"
                f" {newer.id}): it ends none of the records it does not carry",
            )])  # fmt: skip
        notes = self.kept_newer()
        missing = list(self.session.scalars(select(SourceRecord).where(
            SourceRecord.id.in_(self.ending())
        )))  # fmt: skip
        log = ChunkOutcome()
        for record in missing:
            log.changing(record, RecordChange.ENDED)
        return Ending(notes, [record.id for record in missing], log.changes)

    def kept_newer(self) -> list[Problem]:
        """A note of the records this full extract does not carry but a newer one set."""
        load = self.load
        newer = select(func.count(), func.max(last_sent_on())).where(
            SourceRecord.id.in_(self.missing()), last_sent_on() > load.extracted_on
        )
        count, newest = self.session.execute(newer).one()
        if not count:
            return []
        one = count == 1
        return [Problem(
            Level.NOTE, 0, None,
            f"{'1 record' if one else f'{count:,} records'} that this full extract (extracted"
            f" on {load.extracted_on.isoformat()}) does not carry {'is' if one else 'are'} not"
            f" ended: this source sent {'it' if one else 'them'} in a newer extract (the newest"
            f" extracted on {newest.isoformat()})",
        )]  # fmt: skip

    def live(self) -> Any:
        return select(SourceRecord.id).where(
            SourceRecord.source_id == self.source.id,
            SourceRecord.feed == self.feed,
            SourceRecord.status == SourceRecordStatus.LIVE,
        )

    def missing(self) -> Any:
        """The source's live records that this (full) extract does not carry.

        NOT EXISTS, not NOT IN: PostgreSQL runs ``NOT IN (subquery)`` as a hashed
        subplan only while the subquery's keys fit in work_mem; past that (a full
        extract of a million records) it rescans them for every live record, and
        the query ran for hours. NOT EXISTS is an anti-join on both databases, using
        the (load_id, record_key) index."""
        carried = select(FeedLoadKey.id).where(
            FeedLoadKey.load_id == self.load.id,
            FeedLoadKey.record_key == SourceRecord.record_key,
        )
        return self.live().where(~carried.exists())

    def ending(self) -> Any:
        """The records this (full) extract ends: those it does not carry, but for any a
        newer extract set (an old extract sent again never overrides newer values), and
        none if a row's record_id could not be read (that row may be any of them)."""
        load = self.load
        if load.rows_without_record_id or self.newer_full() is not None:
            return self.missing().where(false())
        return self.missing().where(last_sent_on() <= load.extracted_on)

    def newer_full(self) -> FeedLoad | None:
        """The source's newest full extract of this feed, if one loaded is newer than this.

        An older full extract sent again ends nothing at all: the newer one is the
        source's whole list (records loaded before ``confirmed_on`` was kept carry no
        date of the newer extracts that carried them unchanged).
        Asked once a load: the source's lock keeps any other load from completing meanwhile."""
        if self._newer_full_found is not None:
            return self._newer_full_found[0]
        statement = (
            select(FeedLoad)
            .where(
                FeedLoad.source_id == self.source.id,
                FeedLoad.feed == self.feed,
                FeedLoad.mode == LoadMode.FULL,
                FeedLoad.status == LoadStatus.COMPLETED,
                FeedLoad.extracted_on > self.load.extracted_on,
            )
            .order_by(FeedLoad.extracted_on.desc(), FeedLoad.id.desc())
            .limit(1)
        )
        newer = self.session.scalar(statement)
        self._newer_full_found = (newer,)
        return newer

    def _count(self, statement: Any) -> int:
        return self.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
