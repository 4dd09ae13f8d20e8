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

A full extract's ending rules (and the guard's count) are ``feeds.full_extracts``;
pass one's row keys ``feeds.load_keys``; the load's own rows ``feeds.load_progress``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import IO, TYPE_CHECKING, Final

from sqlalchemy import delete, func, insert, select

from contactpoint.access.permissions import Permission
from contactpoint.access.policy import decide, require
from contactpoint.feeds import audit_trail as feeds_audit
from contactpoint.feeds.applying import apply_child_chunk, apply_involvement_chunk
from contactpoint.feeds.extracts import child_rows, involvement_rows
from contactpoint.feeds.fhir import fhir_child_rows
from contactpoint.feeds.full_extracts import FullExtract, Unreadable
from contactpoint.feeds.load_keys import (
    KnownDuplicates,
    NoDuplicates,
    Result,
    duplicates_among,
    line_of,
    note_row,
)
from contactpoint.feeds.load_progress import (
    hold,
    keep_changes,
    keep_confirmations,
    keep_problems,
    part_applied,
    problems_kept,
    write_progress,
)
from contactpoint.feeds.load_requests import (
    IndexNotCurrentError,
    LoadCannotStartError,
    LoadInProgressError,
    LoadReport,
    LoadRequest,
)
from contactpoint.feeds.models import (
    REASON_LENGTH,
    FeedLoad,
    FeedLoadKey,
    LoadMode,
    LoadStatus,
)
from contactpoint.feeds.problems import FeedFileError, Problem, file_error
from contactpoint.feeds.records import ChunkCounts, end_records
from contactpoint.feeds.row_checks import Accepted, DuplicatesInMemory, Rejected
from contactpoint.feeds.sources import lock_source, require_source, source_target
from contactpoint.linkage.index import (
    SMALL_BATCH,
    IndexOutOfDateError,
    keep_directory_size,
    require_current_keys,
)
from contactpoint.provenance.models import Feed
from contactpoint.storage.models import table_of
from contactpoint.storage.queries import add_written, refresh_statistics

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from contactpoint.access.policy import Principal
    from contactpoint.linkage.models import LinkageIndexState
    from contactpoint.linkage.services import Linker
    from contactpoint.provenance.models import Source

__all__ = [
    "IndexNotCurrentError",
    "LoadCannotStartError",
    "LoadInProgressError",
    "LoadReport",
    "LoadRequest",
    "run_load",
]

CHUNK_ROWS: Final = 1000
KEY_BATCH: Final = 5000
DIGEST_BLOCK: Final = 1 << 20
# A file up to this size with no more lines than a chunk keeps its rows from pass one.
ONE_CHUNK_BYTES: Final = 1 << 20


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
        # A full load's ending rules, made once the load is known: see _full.
        self._full_extract: FullExtract | None = None
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
                hold(load, status=LoadStatus.APPLYING, rows_read=rows)
                write_progress(self.session, load)
            self._keep_problems(load, self._pass_one_notes)
            step()
        self._apply(load, commit=step, progress=progress)
        if self._rows_read is not None:
            hold(load, rows_read=self._rows_read)
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
        applying = part_applied(self.session, self.source.id, self.request.feed)
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
        duplicates = NoDuplicates() if kept is None else DuplicatesInMemory()
        unreadable = Unreadable()
        deleting: list[str] = []  # a full extract's delete rows: the guard counts them too
        try:
            with self.request.path.open("rb") as stream:
                for result in self._results(stream, duplicates):
                    rows += 1
                    if kept is not None:
                        kept.append(result)
                    note_row(load, result, staged, unreadable, deleting)
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
        guarded = self.request.mode is LoadMode.FULL and not self.request.allow_mass_end
        return rows, self._full(load).mass_end(deleting) if guarded else None

    def _keep_unreadable(self, load: FeedLoad, unreadable: Unreadable) -> None:
        """Keep the count in the load's row, and note what it means for a full extract."""
        hold(load, rows_without_record_id=unreadable.count)
        if unreadable.count and self.request.mode is LoadMode.FULL:
            note = self._full(load).unreadable_note(unreadable)
            if note is not None:
                self._pass_one_notes.append(note)

    def _stage(self, staged: list[dict[str, object]]) -> None:
        if staged:
            self.session.execute(insert(table_of(FeedLoadKey)), staged)
            staged.clear()

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

    def _duplicates(self, load: FeedLoad) -> KnownDuplicates:
        if self._held_keys is not None:
            return duplicates_among(self._held_keys)
        statement = (
            select(FeedLoadKey.record_key, func.min(FeedLoadKey.line))
            .where(FeedLoadKey.load_id == load.id, FeedLoadKey.accepted)
            .group_by(FeedLoadKey.record_key)
            .having(func.count() > 1)
        )
        return KnownDuplicates({key: line for key, line in self.session.execute(statement)})  # noqa: C416

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
                if line_of(result) <= load.applied_through_line:
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
        keep_changes(self.session, load, outcome.changes)
        keep_confirmations(self.session, load, outcome.confirmed)
        self._keep_problems(load, problems)
        self._count_chunk(load, chunk, outcome.counts)
        hold(load, applied_through_line=line_of(chunk[-1]))
        if self._rows_read is None:  # a step a rerun resumes after: its progress is kept
            write_progress(self.session, load)
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
        hold(load, **{name: getattr(load, name) + count for name, count in added.items()})

    def _keep_problems(self, load: FeedLoad, problems: Sequence[Problem]) -> None:
        kept = keep_problems(self.session, load, problems)
        if kept and self._problems is not None:
            self._problems.extend(kept)

    # --- finishing ---------------------------------------------------------------------

    def _finish(self, load: FeedLoad) -> None:
        if self.request.mode is LoadMode.FULL:
            self._end_missing(load)
        if self._held_keys is None:
            self.session.execute(delete(FeedLoadKey).where(FeedLoadKey.load_id == load.id))
        if load.feed is Feed.CHILDREN and load.inserted + load.ended >= SMALL_BATCH:
            keep_directory_size(self.session)
        hold(load, status=LoadStatus.COMPLETED, finished_at=dt.datetime.now(dt.UTC))
        write_progress(self.session, load)
        feeds_audit.load_finished(self.session, by=self.by, load=load)

    def _end_missing(self, load: FeedLoad) -> None:
        """End the records this full extract no longer carries, and say which it kept."""
        ending = self._full(load).end_missing()
        self._keep_problems(load, ending.notes)
        keep_changes(self.session, load, ending.changes)
        ended = end_records(self.session, ending.record_ids, extracted_on=load.extracted_on)
        hold(load, ended=load.ended + ended)

    def _full(self, load: FeedLoad) -> FullExtract:
        """The full extract's ending rules for this load, made once: so a full load asks
        once whether a newer full load of its source exists (pass one's guard and the
        finish's ending both need to know)."""
        if self._full_extract is None:
            self._full_extract = FullExtract(self.session, self.source, self.request.feed, load)
        return self._full_extract

    def _report(self, load: FeedLoad) -> LoadReport:
        if self._problems is not None:  # in the order they were written, by line
            problems = sorted(self._problems, key=lambda problem: problem.line)
        else:
            problems = problems_kept(self.session, load)
        return LoadReport(
            status=load.status,
            load_id=None if self.request.dry_run else load.id,
            dry_run=self.request.dry_run,
            counts={name: getattr(load, name) for name in feeds_audit.LOAD_COUNTS},
            problems=problems,
            extracted_on=load.extracted_on,
        )


def _nothing() -> None:
    """A one-chunk load's step: the load's one transaction commits at its end."""


def _power_of_two(number: int) -> bool:
    return number > 0 and number & (number - 1) == 0
