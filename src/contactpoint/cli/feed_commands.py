"""`contactpoint sources`, `load` and `export`: the feeds contract from the command line.

The command line acts as the local operator: no sign-in, and what it does is
recorded in the audit trail under the operating-system account that ran it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import OperationalError

from contactpoint.access.commands import operator
from contactpoint.access.policy import AccessDeniedError
from contactpoint.feeds.exports import write_link_export
from contactpoint.feeds.loading import LoadReport, LoadRequest, run_load
from contactpoint.feeds.models import LoadMode, LoadStatus
from contactpoint.feeds.sources import SourceError, add_source
from contactpoint.feeds.undo import undo_load
from contactpoint.feeds.values import iso_date
from contactpoint.linkage.services import default_linker
from contactpoint.provenance.models import Feed, SourceKind
from contactpoint.schema.services import SchemaOutOfDateError, require_up_to_date
from contactpoint.settings import SettingsError, load_settings
from contactpoint.storage.engine import engine_from_settings, session_factory

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

sources_app = typer.Typer(help="Register the sources that send extracts.", no_args_is_help=True)
export_app = typer.Typer(help="Export what the directory holds.", no_args_is_help=True)
console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)
PROBLEMS_SHOWN: Final = 50


class FeedCommandError(Exception):
    """A failure the operator can act on; printed as one line."""


@contextlib.contextmanager
def _reported_failures() -> Iterator[None]:
    try:
        yield
    except (
        AccessDeniedError, FeedCommandError, SchemaOutOfDateError, SettingsError, SourceError,
    ) as error:  # fmt: skip
        errors.print(f"[bold red]Error:[/] {error}")
        raise typer.Exit(1) from None
    except OperationalError as error:
        errors.print(
            f"[bold red]Error:[/] cannot use the database: {error.orig}. "
            "Check CONTACTPOINT_DATABASE_URL."
        )
        raise typer.Exit(1) from None


@contextlib.contextmanager
def _sessions() -> Iterator[sessionmaker[Session]]:
    engine = engine_from_settings(load_settings())
    try:
        require_up_to_date(engine)
        yield session_factory(engine)
    finally:
        engine.dispose()


@sources_app.command("add")
def sources_add(
    name: Annotated[str, typer.Argument(help="The source's name, such as health.")],
    kind: Annotated[SourceKind, typer.Option("--kind", help="national or local.")],
    trusted_for: Annotated[
        list[str] | None,
        typer.Option("--trusted-for", help="A field this source is trusted for (repeatable)."),
    ] = None,
) -> None:
    """Register a source once; adding it again with the same kind changes nothing."""
    with _reported_failures(), _sessions() as sessions, sessions() as session:
        added = add_source(
            session, by=operator(), name=name, kind=kind, trusted_for=trusted_for or ()
        )
        session.commit()
        if added.created:
            console.print(f"Registered the {kind} source {name}.")
        else:
            console.print(f"The {kind} source {name} is already registered; nothing changed.")


def _extracted_on(value: str | None) -> dt.date:
    today = dt.datetime.now(dt.UTC).date()
    if value is None:
        return today
    try:
        day = iso_date(value)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    # As the upload page and the API refuse it: a date to come would outrank every later
    # extract for ever (an old extract sent again never overrides newer values).
    if day > max(today, dt.datetime.now(dt.UTC).astimezone().date()):  # the local date too
        raise typer.BadParameter(f"{value!r} is after today: give the day the extract was taken")
    return day


def load(  # noqa: PLR0917 - the contract's options, as Typer takes them
    path: Annotated[
        Path, typer.Argument(help="The extract: a CSV file, or FHIR (a Bundle or NDJSON).")
    ],
    source: Annotated[str, typer.Option("--source", help="The registered source's name.")],
    full: Annotated[
        bool,
        typer.Option(
            "--full/--delta", help="A full extract ends the records it lacks; a delta does not."
        ),
    ] = True,
    feed: Annotated[Feed, typer.Option("--feed", help="children or involvements.")] = Feed.CHILDREN,
    file_format: Annotated[str, typer.Option("--format", help="csv or fhir.")] = "csv",
    extracted_on: Annotated[
        str | None,
        typer.Option(
            "--extracted-on",
            help="The day the source took the extract (YYYY-MM-DD); default today.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check, link and report; change nothing.")
    ] = False,
    allow_mass_end: Annotated[
        bool,
        typer.Option(
            "--allow-mass-end", help="Let a full extract end more than 10% of the source's records."
        ),
    ] = False,
) -> None:
    """Load one extract of a source: check every row, link it, and report."""
    with _reported_failures():
        if not path.is_file():
            raise FeedCommandError(f"there is no file at {path}")
        if file_format not in {"csv", "fhir"}:
            raise FeedCommandError(f"--format is csv or fhir, not {file_format!r}")
        if file_format == "fhir" and feed is not Feed.CHILDREN:
            raise FeedCommandError("--format fhir carries children (Patient resources) only")
        request = LoadRequest(
            source=source, path=path, extracted_on=_extracted_on(extracted_on),
            extracted_on_stated=extracted_on is not None, feed=feed,
            mode=LoadMode.FULL if full else LoadMode.DELTA, dry_run=dry_run,
            allow_mass_end=allow_mass_end, file_format=file_format,
        )  # fmt: skip
        with _sessions() as sessions, _progress() as advance:
            report = run_load(
                sessions,
                request,
                by=operator(),
                linker=default_linker(load_settings()),
                progress=advance,
            )
        _print_report(report)
        if report.status is LoadStatus.REFUSED:
            raise typer.Exit(1)


@contextlib.contextmanager
def _progress() -> Iterator[Callable[[int], None] | None]:
    if not sys.stderr.isatty():
        yield None
        return
    columns = (TextColumn("rows"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=errors, transient=True) as progress:
        task = progress.add_task("rows", total=None)

        def advance(rows: int) -> None:
            progress.advance(task, rows)

        yield advance


def _print_report(report: LoadReport) -> None:
    title = "Dry run: nothing was changed" if report.dry_run else f"Load {report.load_id}"
    table = Table(title=f"{title} ({report.status})", show_header=False)
    for name, count in report.counts.items():
        table.add_row(name.replace("_", " ").capitalize(), f"{count:,}")
    console.print(table)
    if report.refusal:
        errors.print(f"[bold red]Nothing was loaded:[/] {report.refusal}")
    for problem in report.problems[:PROBLEMS_SHOWN]:
        console.print(f"  {problem.level}: {problem}")
    hidden = len(report.problems) - PROBLEMS_SHOWN
    if hidden > 0:
        console.print(f"  ... and {hidden:,} more problems in the load's report.")


def undo_load_command(
    load_id: Annotated[int, typer.Argument(help="The load's number, as its report gives it.")],
) -> None:
    """Undo a whole load while no later load depends on it: records get their previous version."""
    with _reported_failures(), _sessions() as sessions, sessions() as session:
        undone = undo_load(session, by=operator(), load_id=load_id)
        session.commit()
        console.print(
            f"Undid load {undone.load_id}: removed {undone.records_removed:,} records and"
            f" {undone.children_removed:,} children it made; restored"
            f" {undone.records_restored:,} records to their previous version."
        )


@export_app.command("links")
def export_links(
    output: Annotated[Path, typer.Option("--output", help="Where to write the CSV.")],
) -> None:
    """Write which child each live source record is linked to (source, record_id, child_id)."""
    with _reported_failures(), _sessions() as sessions, sessions() as session:
        with output.open("w", encoding="utf-8", newline="") as stream:
            rows = write_link_export(session, stream, by=operator())
        session.commit()
        console.print(f"Wrote {rows:,} links to {output}.")
