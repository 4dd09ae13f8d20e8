"""Loading one extract: two passes, committed in chunks, resumable, reported.

Pass one reads the whole file, keeps each row's record_id (``feed_load_key``),
counts the rows rejected before their record_id could be read (a full extract
with any ends none of the records it does not carry: they may be any of them)
and decides whether the load may go ahead: a file problem anywhere, or a full
extract that would end more than a tenth of the source's live records, stops it
before anything changes. Pass two applies the rows chunk by chunk; each chunk
commits with the line it reached, so a load killed at any point is completed by
running the same command again, and ends exactly where an uninterrupted load
would. ``--dry-run`` runs both passes in one transaction and rolls it back.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

from sqlalchemy import Select, Update, bindparam, delete, false, func, insert, select, update
from sqlalchemy.orm.attributes import set_committed_value

from contactpoint.access.permissions import Permission
from contactpoint.access.policy import decide, require
from contactpoint.feeds import audit_trail as feeds_audit
from contactpoint.feeds.applying import apply_child_chunk, apply_involvement_chunk
from contactpoint.feeds.extracts import child_rows, involvement_rows
from contactpoint.feeds.fhir import fhir_child_rows
from contactpoint.feeds.models import (
    REASON_LENGTH,
    FeedLoad,
    FeedLoadChange,
    FeedLoadKey,
    FeedLoadProblem,
    LoadMode,
    LoadStatus,
    RecordChange,
)
from contactpoint.feeds.problems import FeedFileError, Level, Problem, file_error
from contactpoint.feeds.reading import DEFAULT_SIZE_CAP
from contactpoint.feeds.records import (
    END_BATCH,
    ChunkCounts,
    ChunkOutcome,
    end_records,
    last_sent_on,
)
from contactpoint.feeds.row_checks import Accepted, Deletion, DuplicatesInMemory, Rejected
from contactpoint.feeds.sources import SourceError, lock_source, require_source, source_target
from contactpoint.linkage.index import IndexOutOfDateError, require_current_keys
from contactpoint.provenance.models import Feed, SourceRecord, SourceRecordStatus
from contactpoint.storage.models import table_of
from contactpoint.storage.queries import add_written, refresh_statistics

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from contactpoint.access.policy import Principal
    from contactpoint.linkage.models import LinkageIndexState
    from contactpoint.linkage.services import Linker
    from contactpoint.provenance.models import Source

MASS_END_SHARE: Final = 0.10
CHUNK_ROWS: Final = 1000
KEY_BATCH: Final = 5000
DIGEST_BLOCK: Final = 1 << 20
# A file up to this size with no more lines than a chunk keeps its rows from pass one.
ONE_CHUNK_BYTES: Final = 1 << 20
LINES_NAMED: Final = 5  # of the rows whose record_id could not be read, in the note

Result = Accepted[Any] | Rejected


@dataclass(frozen=True, slots=True)
class LoadRequest:
    source: str
    path: Path
    extracted_on: dt.date
    feed: Feed = Feed.CHILDREN
    mode: LoadMode = LoadMode.FULL
    dry_run: bool = False
    allow_mass_end: bool = False
    file_name: str | None = None  # as the sender named it (uploads); default: the path's name
    size_cap: int = DEFAULT_SIZE_CAP
    file_format: str = "csv"  # or "fhir": Patient resources, a Bundle or NDJSON (children only)
    # False when the sender left the date out and today was assumed: a rerun of an
    # interrupted load of the same file then completes it as of its own date, even
    # if today has changed since ("running the same command again completes it").
    extracted_on_stated: bool = True


@dataclass(slots=True)
class LoadReport:
    status: LoadStatus
    load_id: int | None
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    refusal: str | None = None
    resumed: bool = False
    extracted_on: dt.date | None = None  # the date the load ran as of (a resumed one: its own)


class LoadCannotStartError(SourceError):
    """The load cannot start now; the message says why and what to do first."""


class LoadInProgressError(LoadCannotStartError):
    """Another extract of this source is part-applied; it must be completed first."""


class IndexNotCurrentError(LoadCannotStartError):
    """The linkage index holds another release's keys; ``linkage reindex`` comes first."""


def run_load(
    sessions: sessionmaker[Session],
    request: LoadRequest,
    *,
    by: Principal,
    linker: Linker,
    progress: Callable[[int], None] | None = None,
) -> LoadReport:
    """Load ``request.path`` for its source and say what happened.

    Raises :class:`SourceError` (unknown source; :class:`LoadCannotStartError`: another
    load part-applied, or a linkage index of another release's keys) and
    :class:`~contactpoint.access.policy.AccessDeniedError`; a file problem or the
    mass-end guard gives a ``refused`` report instead, and changes nothing else.
    """
    file = _read(request)
    if request.dry_run:
        with sessions() as session:
            try:
                return _Load(session, request, by=by, file=file, linker=linker).run(
                    commit=session.flush, progress=progress
                )
            finally:
                session.rollback()
    with sessions() as session:
        return _Load(session, request, by=by, file=file, linker=linker).run(
            commit=session.commit, progress=progress
        )


@dataclass(frozen=True, slots=True)
class _File:
    digest: str  # SHA-256 of the bytes: a rerun of the same file resumes it
    # Surely no more rows than a chunk: a CSV file of at most ONE_CHUNK_BYTES with no more
    # lines than a chunk (a CSV row takes at least a line), such as an API's one-record
    # load. Never a FHIR file: a Bundle can hold many resources on one line.
    one_chunk: bool


def _read(request: LoadRequest) -> _File:
    """The file's digest and whether it is one chunk, in one read of it."""
    sha = hashlib.sha256()
    size = lines = 0
    with request.path.open("rb") as stream:
        while block := stream.read(DIGEST_BLOCK):
            sha.update(block)
            size += len(block)
            if size <= ONE_CHUNK_BYTES:
                lines += block.count(b"\n")
    small = size <= ONE_CHUNK_BYTES and lines <= CHUNK_ROWS
    return _File(sha.hexdigest(), one_chunk=request.file_format == "csv" and small)


# A load's progress in its row, and what pass one found. Once the load applies, the
# loader changes these only through ``_hold`` and writes them itself (``_Load._write_row``)
# with one UPDATE, built once: left to the unit of work, the next query's autoflush would
# write them, and for a one-record load that flush cost more than the UPDATE.
_PROGRESS: Final = (
    "status", "applied_through_line", "finished_at", "rows_without_record_id",
    *feeds_audit.LOAD_COUNTS,
)  # fmt: skip


def _hold(load: FeedLoad, **values: object) -> None:
    """Set these columns of the load's row as if stored: the loader writes them itself."""
    for name, value in values.items():
        set_committed_value(load, name, value)


@functools.cache
def _progress_statement() -> Update:
    table = table_of(FeedLoad)
    return (
        update(table)
        .where(table.c.id == bindparam("load_id"))
        .values({name: bindparam(f"new_{name}") for name in _PROGRESS})
    )


@functools.cache
def _applying() -> Select[FeedLoad]:
    """A source's part-applied load: every load asks, so it is built once (see
    ``storage.queries.one_of_named``)."""
    return select(FeedLoad).where(
        FeedLoad.source_id == bindparam("source_id"),
        FeedLoad.feed == bindparam("feed"),
        FeedLoad.status == LoadStatus.APPLYING,
    )


def _take(
    load: FeedLoad,
    result: Result,
    staged: list[dict[str, object]],
    unreadable: _Unreadable,
    deleting: list[str],
) -> None:
    """Pass one's note of a row: its record_id staged (or counted unreadable), and kept
    apart if it is an accepted delete row (a full extract's guard counts those)."""
    key = _key(result)
    if key:
        staged.append({"load_id": load.id, "record_key": key, "line": _line(result),
                       "accepted": isinstance(result, Accepted)})  # fmt: skip
        if isinstance(result, Accepted) and isinstance(result.row, Deletion):
            deleting.append(key)
    elif not isinstance(result, Rejected) or result.a_record:
        unreadable.add(_line(result))


@dataclass(slots=True)
class _Unreadable:
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


class _NoDuplicates:
    """Pass one stages every key; duplicates are found afterwards, in the database."""

    def first_line(self, record_id: str, line: int) -> int | None:  # noqa: ARG002 - the protocol
        return None


@dataclass(frozen=True, slots=True)
class _KnownDuplicates:
    first_lines: dict[str, int]

    def first_line(self, record_id: str, line: int) -> int | None:
        first = self.first_lines.get(record_id)
        return None if first is None or first == line else first


class _Load:
    def __init__(
        self,
        session: Session,
        request: LoadRequest,
        *,
        by: Principal,
        file: _File,
        linker: Linker,
    ) -> None:
        self.session, self.request, self.by, self.file = session, request, by, file
        self.linker = linker
        self._chunks_applied = 0
        # A delta of one chunk keeps its keys here, not in feed_load_key: it is one
        # transaction (nothing to resume) and a delta ends nothing (no query needs them).
        self._held_keys: list[dict[str, object]] | None = None
        # A file of one chunk at most is read and checked once: pass one keeps its rows,
        # with repeated record_ids found as it goes, and pass two applies them.
        self._kept: list[Result] | None = None
        # A one-chunk load's problems, as written (None: read them back for the report).
        self._problems: list[Problem] | None = None
        # A one-chunk load's rows, written with its counts when it ends (None: written).
        self._rows_read: int | None = None
        # The source's newer full load (or None), once asked: see _newer_full.
        self._newer_full_found: tuple[FeedLoad | None] | None = None
        # Notes from pass one, kept with the load's problems once it goes ahead.
        self._pass_one_notes: list[Problem] = []
        # Held, never read here: see _require_current_keys.
        self._index_state: LinkageIndexState | None = None
        self.source: Source = require_source(session, request.source)
        permission = Permission.FEEDS_LOAD_SUBMIT
        require(decide(by, permission, target=source_target(self.source)))

    def run(
        self, *, commit: Callable[[], None], progress: Callable[[int], None] | None
    ) -> LoadReport:
        lock_source(self.session, self.source)
        load = self._interrupted()
        resumed = load is not None
        step = commit  # what ends each step that a rerun resumes after
        if load is None:
            # A new load only: an interrupted one is completed as it began (`linkage
            # reindex` waits for it), so the two never wait on each other.
            self._index_state = self._require_current_keys()
            load = self._new_load()
            rows, refusal = self._check(load)
            if refusal is not None:
                load.rows_read = rows
                return self._refuse(load, refusal, commit=commit)
            if rows <= CHUNK_ROWS:
                # One chunk: the whole load is one transaction. Killed part way, it
                # leaves nothing behind, and the same command simply runs again. Its
                # steps need no writes of their own: the load's row, inserted above,
                # is updated once, at the end, with its status, rows and counts; its
                # problems are reported from memory.
                step = _nothing
                self._problems = []
                self._rows_read = rows
            else:
                _hold(load, status=LoadStatus.APPLYING, rows_read=rows)
                self._write_row(load)
            self._keep_problems(load, self._pass_one_notes)
            step()
        self._apply(load, commit=step, progress=progress)
        if self._rows_read is not None:
            _hold(load, rows_read=self._rows_read)
        self._finish(load)
        report = self._report(load)  # read before the commit: no second transaction
        commit()
        report.resumed = resumed
        return report

    # --- finding or starting the load -------------------------------------------------

    def _require_current_keys(self) -> LinkageIndexState | None:
        """The index's state row, checked: the caller holds it while the load runs, so that
        the linker's read of it (the kept directory size) finds it in the session again
        rather than querying (the session holds unchanged rows only weakly)."""
        if self.request.feed is not Feed.CHILDREN:
            return None
        try:
            return require_current_keys(self.session)
        except IndexOutOfDateError as error:
            raise IndexNotCurrentError(str(error)) from error

    def _interrupted(self) -> FeedLoad | None:
        """A part-applied load of this very file is resumed; of another file, refused."""
        applying = self.session.scalar(
            _applying(), {"source_id": self.source.id, "feed": self.request.feed}
        )
        if applying is None:
            return None
        request = self.request
        same = (
            applying.file_digest == self.file.digest
            and applying.mode is request.mode
            and (applying.extracted_on == request.extracted_on or not request.extracted_on_stated)
        )
        if not same:
            raise LoadInProgressError(
                f"load {applying.id} of {applying.file_name} for {self.source.name} was"
                " interrupted part way; run that same command again to complete it before"
                " loading another extract"
            )
        if applying.extracted_on != request.extracted_on:  # assumed today, on another day
            self.request = replace(request, extracted_on=applying.extracted_on)
        return applying

    def _new_load(self) -> FeedLoad:
        values = {
            "source_id": self.source.id,
            "feed": self.request.feed,
            "mode": self.request.mode,
            "status": LoadStatus.CHECKING,
            "file_name": (self.request.file_name or self.request.path.name)[:255],
            "file_digest": self.file.digest,
            "extracted_on": self.request.extracted_on,
            "allow_mass_end": self.request.allow_mass_end,
            "loaded_by": self.by.name[:200],
            "applied_through_line": 0,
            "started_at": dt.datetime.now(dt.UTC),
            "finished_at": None,
            "refusal": None,
            "rows_without_record_id": 0,
            **dict.fromkeys(feeds_audit.LOAD_COUNTS, 0),
        }
        return add_written(self.session, FeedLoad, values)

    # --- pass one ----------------------------------------------------------------------

    def _results(self, stream: IO[bytes], duplicates: object) -> Iterator[Result]:
        request = self.request
        if request.feed is Feed.CHILDREN:
            rows = fhir_child_rows if request.file_format == "fhir" else child_rows
            yield from rows(
                stream,
                extracted_on=request.extracted_on,
                duplicates=duplicates,  # type: ignore[arg-type]
                size_cap=request.size_cap,
            )
        elif request.file_format == "fhir":
            raise file_error("a FHIR extract carries children (Patient resources) only")
        else:
            yield from involvement_rows(
                stream,
                duplicates=duplicates,  # type: ignore[arg-type]
                size_cap=request.size_cap,
            )

    def _check(self, load: FeedLoad) -> tuple[int, Problem | None]:
        """Stage every key; the rows read, and the problem that stops the load, if any."""
        staged: list[dict[str, object]] = []
        rows = 0
        kept: list[Result] | None = [] if self.file.one_chunk else None
        duplicates = _NoDuplicates() if kept is None else DuplicatesInMemory()
        unreadable = _Unreadable()
        deleting: list[str] = []  # a full extract's delete rows: the guard counts them too
        try:
            with self.request.path.open("rb") as stream:
                for result in self._results(stream, duplicates):
                    rows += 1
                    if kept is not None:
                        kept.append(result)
                    _take(load, result, staged, unreadable, deleting)
                    if len(staged) >= KEY_BATCH:
                        self._stage(staged)
        except FeedFileError as error:
            return 0, error.problem
        if kept is not None and rows > CHUNK_ROWS:  # pass two would not find its repeats
            raise RuntimeError(f"{rows} rows were read from a file taken to hold one chunk")
        self._kept = kept
        if rows <= min(CHUNK_ROWS, KEY_BATCH) and self.request.mode is LoadMode.DELTA:
            self._held_keys = staged  # all of them: no batch was staged on the way
        else:
            self._stage(staged)
        if rows > CHUNK_ROWS and not self.request.dry_run:  # a dry run holds no locks for it
            refresh_statistics(self.session)
        self._keep_unreadable(load, unreadable)
        return rows, self._mass_end(load, deleting)

    def _keep_unreadable(self, load: FeedLoad, unreadable: _Unreadable) -> None:
        """Keep the count in the load's row, and note what it means for a full extract."""
        _hold(load, rows_without_record_id=unreadable.count)
        if unreadable.count and self.request.mode is LoadMode.FULL:
            missing = self._count(self._missing(load))
            if missing:
                self._pass_one_notes.append(unreadable.note(missing))

    def _stage(self, staged: list[dict[str, object]]) -> None:
        if staged:
            self.session.execute(insert(table_of(FeedLoadKey)), staged)
            staged.clear()

    def _live(self) -> Any:
        return select(SourceRecord.id).where(
            SourceRecord.source_id == self.source.id,
            SourceRecord.feed == self.request.feed,
            SourceRecord.status == SourceRecordStatus.LIVE,
        )

    def _missing(self, load: FeedLoad) -> Any:
        """The source's live records that this (full) extract does not carry.

        NOT EXISTS, not NOT IN: PostgreSQL runs ``NOT IN (subquery)`` as a hashed
        subplan only while the subquery's keys fit in work_mem; past that (a full
        extract of a million records) it rescans them for every live record, and
        the query ran for hours. NOT EXISTS is an anti-join on both databases, using
        the (load_id, record_key) index."""
        carried = select(FeedLoadKey.id).where(
            FeedLoadKey.load_id == load.id, FeedLoadKey.record_key == SourceRecord.record_key
        )
        return self._live().where(~carried.exists())

    def _ending(self, load: FeedLoad) -> Any:
        """The records this (full) extract ends: those it does not carry, but for any a
        newer extract set (an old extract sent again never overrides newer values), and
        none if a row's record_id could not be read (that row may be any of them)."""
        if load.rows_without_record_id or self._newer_full(load) is not None:
            return self._missing(load).where(false())
        return self._missing(load).where(last_sent_on() <= load.extracted_on)

    def _newer_full(self, load: FeedLoad) -> FeedLoad | None:
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
                FeedLoad.feed == self.request.feed,
                FeedLoad.mode == LoadMode.FULL,
                FeedLoad.status == LoadStatus.COMPLETED,
                FeedLoad.extracted_on > load.extracted_on,
            )
            .order_by(FeedLoad.extracted_on.desc(), FeedLoad.id.desc())
            .limit(1)
        )
        newer = self.session.scalar(statement)
        self._newer_full_found = (newer,)
        return newer

    def _mass_end(self, load: FeedLoad, deleting: list[str]) -> Problem | None:
        """The guard's refusal, if this full extract would end more than its share: the
        records it leaves out and those its delete rows end, but for any a newer extract
        sent (those stay)."""
        if self.request.mode is not LoadMode.FULL or self.request.allow_mass_end:
            return None
        live = self._count(self._live())
        ending = self._count(self._ending(load))
        for start in range(0, len(deleting), END_BATCH):
            ending += self._count(self._live().where(
                SourceRecord.record_key.in_(deleting[start : start + END_BATCH]),
                last_sent_on() <= load.extracted_on,
            ))  # fmt: skip
        if live == 0 or ending <= MASS_END_SHARE * live:
            return None
        return Problem(
            Level.FILE, 0, None,
            f"this full extract would end {ending:,} of the source's {live:,} live records"
            f" ({ending / live:.0%}), more than the {MASS_END_SHARE:.0%} a full load may end:"
            " is the file complete? If it is, load it again with --allow-mass-end",
        )  # fmt: skip

    def _count(self, statement: Any) -> int:
        return self.session.scalar(select(func.count()).select_from(statement.subquery())) or 0

    def _refuse(
        self, load: FeedLoad, problem: Problem, *, commit: Callable[[], None]
    ) -> LoadReport:
        self.session.execute(delete(FeedLoadKey).where(FeedLoadKey.load_id == load.id))
        load.status = LoadStatus.REFUSED
        load.refusal = str(problem)[:REASON_LENGTH]
        load.finished_at = dt.datetime.now(dt.UTC)
        self._keep_problems(load, [problem])
        feeds_audit.load_finished(self.session, by=self.by, load=load)
        report = self._report(load)
        commit()
        report.refusal = str(problem)
        return report

    # --- pass two ----------------------------------------------------------------------

    def _duplicates(self, load: FeedLoad) -> _KnownDuplicates:
        if self._held_keys is not None:
            return _duplicates_among(self._held_keys)
        statement = (
            select(FeedLoadKey.record_key, func.min(FeedLoadKey.line))
            .where(FeedLoadKey.load_id == load.id, FeedLoadKey.accepted)
            .group_by(FeedLoadKey.record_key)
            .having(func.count() > 1)
        )
        return _KnownDuplicates({key: line for key, line in self.session.execute(statement)})  # noqa: C416

    def _apply(
        self,
        load: FeedLoad,
        *,
        commit: Callable[[], None],
        progress: Callable[[int], None] | None,
    ) -> None:
        if self._kept is not None:  # one chunk, read and checked in pass one
            chunk, self._kept = self._kept, None
            if chunk:
                self._apply_chunk(load, chunk, commit=commit, progress=progress)
            return
        duplicates = self._duplicates(load)
        chunk = []
        with self.request.path.open("rb") as stream:
            for result in self._results(stream, duplicates):
                if _line(result) <= load.applied_through_line:
                    continue
                chunk.append(result)
                if len(chunk) >= CHUNK_ROWS:
                    self._apply_chunk(load, chunk, commit=commit, progress=progress)
        if chunk:
            self._apply_chunk(load, chunk, commit=commit, progress=progress)

    def _apply_chunk(
        self,
        load: FeedLoad,
        chunk: list[Result],
        *,
        commit: Callable[[], None],
        progress: Callable[[int], None] | None,
    ) -> None:
        accepted = [result for result in chunk if isinstance(result, Accepted)]
        problems = [problem for result in chunk for problem in result.problems]
        apply = apply_child_chunk if self.request.feed is Feed.CHILDREN else apply_involvement_chunk
        outcome = apply(
            self.session,
            source=self.source,
            extracted_on=self.request.extracted_on,
            rows=[result.row for result in accepted],
            linker=self.linker,
        )
        problems.extend(outcome.problems)
        self._keep_changes(load, outcome.changes)
        self._keep_problems(load, problems)
        self._count_chunk(load, chunk, outcome.counts)
        _hold(load, applied_through_line=_line(chunk[-1]))
        if self._rows_read is None:  # a step a rerun resumes after: its progress is kept
            self._write_row(load)
        commit()
        self._chunks_applied += 1
        big = self._rows_read is None and not self.request.dry_run  # more than one chunk
        if big and _power_of_two(self._chunks_applied):
            refresh_statistics(self.session)  # after 1, 2, 4, 8... chunks of a big load
            commit()
        if progress is not None:
            progress(len(chunk))
        chunk.clear()

    def _count_chunk(self, load: FeedLoad, chunk: list[Result], counts: ChunkCounts) -> None:
        rejected = sum(isinstance(result, Rejected) for result in chunk) + counts.rejected
        added = {name: getattr(counts, name) for name in ("inserted", "updated", "unchanged",
                 "ended", "linked_to_existing", "new_children", "held_for_review")}  # fmt: skip
        added["rejected"] = rejected
        _hold(load, **{name: getattr(load, name) + count for name, count in added.items()})

    def _keep_changes(self, load: FeedLoad, changes: Sequence[dict[str, object]]) -> None:
        if changes:
            self.session.execute(
                insert(table_of(FeedLoadChange)),
                [{"load_id": load.id, **change} for change in changes],
            )

    def _keep_problems(self, load: FeedLoad, problems: Sequence[Problem]) -> None:
        if not problems:
            return
        kept = [Problem(p.level, p.line, p.column, p.reason[:REASON_LENGTH]) for p in problems]
        self.session.execute(
            insert(table_of(FeedLoadProblem)),
            [{"load_id": load.id, "level": p.level, "line": p.line, "column": p.column,
              "reason": p.reason} for p in kept],
        )  # fmt: skip
        if self._problems is not None:
            self._problems.extend(kept)

    # --- finishing ---------------------------------------------------------------------

    def _finish(self, load: FeedLoad) -> None:
        if self.request.mode is LoadMode.FULL:
            self._end_missing(load)
        if self._held_keys is None:
            self.session.execute(delete(FeedLoadKey).where(FeedLoadKey.load_id == load.id))
        _hold(load, status=LoadStatus.COMPLETED, finished_at=dt.datetime.now(dt.UTC))
        self._write_row(load)
        feeds_audit.load_finished(self.session, by=self.by, load=load)

    def _end_missing(self, load: FeedLoad) -> None:
        """End the records this full extract no longer carries, and say which it kept."""
        if load.rows_without_record_id:
            return  # it ends none: pass one's note says why
        newer = self._newer_full(load)
        if newer is not None:
            self._keep_problems(load, [Problem(
                Level.NOTE, 0, None,
                f"this full extract (extracted on {load.extracted_on.isoformat()}) is older"
                f" than the source's full extract of {newer.extracted_on.isoformat()} (load"
                f" {newer.id}): it ends none of the records it does not carry",
            )])  # fmt: skip
            return
        self._keep_problems(load, self._kept_newer(load))
        missing = list(self.session.scalars(select(SourceRecord).where(
            SourceRecord.id.in_(self._ending(load))
        )))  # fmt: skip
        log = ChunkOutcome()
        for record in missing:
            log.changing(record, RecordChange.ENDED)
        self._keep_changes(load, log.changes)
        ended = end_records(
            self.session, [record.id for record in missing], extracted_on=load.extracted_on
        )
        _hold(load, ended=load.ended + ended)

    def _kept_newer(self, load: FeedLoad) -> list[Problem]:
        """A note of the records this full extract does not carry but a newer one set."""
        newer = select(func.count(), func.max(last_sent_on())).where(
            SourceRecord.id.in_(self._missing(load)), last_sent_on() > load.extracted_on
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

    def _write_row(self, load: FeedLoad) -> None:
        """The load's status, progress and counts, as held, written by one UPDATE."""
        values = {f"new_{name}": getattr(load, name) for name in _PROGRESS}
        self.session.connection().execute(_progress_statement(), {"load_id": load.id, **values})

    def _report(self, load: FeedLoad) -> LoadReport:
        if self._problems is not None:  # in the order they were written, by line
            problems = sorted(self._problems, key=lambda problem: problem.line)
        else:
            problems = [
                Problem(p.level, p.line, p.column, p.reason)
                for p in self.session.scalars(
                    select(FeedLoadProblem)
                    .where(FeedLoadProblem.load_id == load.id)
                    .order_by(FeedLoadProblem.line, FeedLoadProblem.id)
                )
            ]
        return LoadReport(
            status=load.status,
            load_id=None if self.request.dry_run else load.id,
            dry_run=self.request.dry_run,
            counts={name: getattr(load, name) for name in feeds_audit.LOAD_COUNTS},
            problems=problems,
            extracted_on=load.extracted_on,
        )


def _duplicates_among(keys: Sequence[dict[str, object]]) -> _KnownDuplicates:
    """The first line of each accepted record_id that comes more than once (in memory)."""
    lines: dict[str, list[int]] = {}
    for key in keys:
        if key["accepted"]:
            lines.setdefault(str(key["record_key"]), []).append(int(str(key["line"])))
    return _KnownDuplicates({key: min(found) for key, found in lines.items() if len(found) > 1})


def _nothing() -> None:
    """A one-chunk load's step: the load's one transaction commits at its end."""


def _power_of_two(number: int) -> bool:
    return number > 0 and number & (number - 1) == 0


def _key(result: Result) -> str | None:
    if isinstance(result, Rejected):
        return result.record_id
    return getattr(result.row, "record_id", None)


def _line(result: Result) -> int:
    if isinstance(result, Rejected):
        return result.line
    return int(getattr(result.row, "line", 0))
