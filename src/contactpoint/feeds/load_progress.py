"""A load's own rows: its progress in ``feed_load``, held and written by the loader
itself, the problems and changes kept with it, and a source's part-applied load."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from sqlalchemy import Select, Update, bindparam, insert, select, update
from sqlalchemy.orm.attributes import set_committed_value

from contactpoint.feeds import audit_trail as feeds_audit
from contactpoint.feeds.models import (
    REASON_LENGTH,
    FeedLoad,
    FeedLoadChange,
    FeedLoadConfirmation,
    FeedLoadProblem,
    LoadStatus,
)
from contactpoint.feeds.problems import Problem
from contactpoint.feeds.records import confirmation_runs
from contactpoint.storage.models import table_of

if TYPE_CHECKING:
    import datetime as dt

    from sqlalchemy.orm import Session

    from contactpoint.provenance.models import Feed

# A load's progress in its row, and what pass one found. Once the load applies, the
# loader changes these only through ``hold`` and writes them itself (``write_progress``)
# with one UPDATE, built once: left to the unit of work, the next query's autoflush would
# write them, and for a one-record load that flush cost more than the UPDATE.
PROGRESS: Final = (
    "status", "applied_through_line", "finished_at", "rows_without_record_id",
    *feeds_audit.LOAD_COUNTS,
)  # fmt: skip


def hold(load: FeedLoad, **values: object) -> None:
    """Set these columns of the load's row as if stored: the loader writes them itself."""
    for name, value in values.items():
        set_committed_value(load, name, value)


def write_progress(session: Session, load: FeedLoad) -> None:
    """The load's status, progress and counts, as held, written by one UPDATE."""
    values = {f"new_{name}": getattr(load, name) for name in PROGRESS}
    session.connection().execute(_progress_statement(), {"load_id": load.id, **values})


@functools.cache
def _progress_statement() -> Update:
    table = table_of(FeedLoad)
    return (
        update(table)
        .where(table.c.id == bindparam("load_id"))
        .values({name: bindparam(f"new_{name}") for name in PROGRESS})
    )


def part_applied(session: Session, source_id: int, feed: Feed) -> FeedLoad | None:
    """The source's load of this feed that was interrupted part way, if any."""
    return session.scalar(_applying(), {"source_id": source_id, "feed": feed})


@functools.cache
def _applying() -> Select[FeedLoad]:
    """A source's part-applied load: every load asks, so it is built once (see
    ``storage.queries.one_of_named``)."""
    return select(FeedLoad).where(
        FeedLoad.source_id == bindparam("source_id"),
        FeedLoad.feed == bindparam("feed"),
        FeedLoad.status == LoadStatus.APPLYING,
    )


def keep_changes(session: Session, load: FeedLoad, changes: Sequence[dict[str, object]]) -> None:
    if changes:
        session.execute(
            insert(table_of(FeedLoadChange)),
            [{"load_id": load.id, **change} for change in changes],
        )


def keep_confirmations(
    session: Session, load: FeedLoad, confirmed: Sequence[tuple[int, dt.date | None]]
) -> None:
    """Undo's note of the records a chunk confirmed (``ChunkOutcome.confirmed``), in runs."""
    if confirmed:
        session.execute(
            insert(table_of(FeedLoadConfirmation)),
            [{"load_id": load.id, **run} for run in confirmation_runs(confirmed)],
        )


def keep_problems(session: Session, load: FeedLoad, problems: Sequence[Problem]) -> list[Problem]:
    """Write the load's problems, each reason cut to the column's length; those written."""
    if not problems:
        return []
    kept = [Problem(p.level, p.line, p.column, p.reason[:REASON_LENGTH]) for p in problems]
    session.execute(
        insert(table_of(FeedLoadProblem)),
        [{"load_id": load.id, "level": p.level, "line": p.line, "column": p.column,
          "reason": p.reason} for p in kept],
    )  # fmt: skip
    return kept


def problems_kept(session: Session, load: FeedLoad) -> list[Problem]:
    """The load's problems as written, by line."""
    return [
        Problem(p.level, p.line, p.column, p.reason)
        for p in session.scalars(
            select(FeedLoadProblem)
            .where(FeedLoadProblem.load_id == load.id)
            .order_by(FeedLoadProblem.line, FeedLoadProblem.id)
        )
    ]
