"""`contactpoint` commands. Each fails with a clear message and a non-zero exit status."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import OperationalError

from contactpoint.directory.services import directory_statistics
from contactpoint.schema.services import (
    SchemaOutOfDateError,
    current_revision,
    head_revision,
    require_up_to_date,
    upgrade,
)
from contactpoint.settings import Settings, SettingsError, load_settings
from contactpoint.storage.engine import describe, engine_from_settings, session_factory

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy.engine import Engine

app = typer.Typer(
    name="contactpoint",
    help="ContactPoint: who else is working with this child?",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Create or migrate the database.", no_args_is_help=True)
app.add_typer(db_app, name="db")

console = Console()
errors = Console(stderr=True)


class CommandError(Exception):
    """A failure the operator can act on; its message is printed without a traceback."""


@contextlib.contextmanager
def reported_failures() -> Iterator[None]:
    """Turn known failures into one clear line on stderr and exit status 1."""
    try:
        yield
    except (CommandError, SettingsError, SchemaOutOfDateError) as error:
        errors.print(f"[bold red]Error:[/] {error}", highlight=False)
        raise typer.Exit(1) from None
    except OperationalError as error:
        errors.print(
            f"[bold red]Error:[/] cannot use the database: {error.orig}. "
            "Check CONTACTPOINT_DATABASE_URL.",
            highlight=False,
        )
        raise typer.Exit(1) from None


@contextlib.contextmanager
def database(settings: Settings, *, up_to_date: bool = True) -> Iterator[Engine]:
    engine = engine_from_settings(settings)
    try:
        if up_to_date:
            require_up_to_date(engine)
        yield engine
    finally:
        engine.dispose()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the database, or bring it up to the latest schema."""
    with reported_failures():
        settings = load_settings()
        with database(settings, up_to_date=False) as engine:
            before = current_revision(engine)
            upgrade(engine)
            after = head_revision()
        where = describe(engine)
        if before == after:
            console.print(f"The database {where} is already up to date (revision {after}).")
        else:
            console.print(f"Upgraded {where} from {before or 'empty'} to revision {after}.")


@app.command("stats")
def stats() -> None:
    """Show how many children, sources and involvements the directory holds."""
    with reported_failures():
        settings = load_settings()
        with database(settings) as engine, session_factory(engine)() as session:
            figures = directory_statistics(session)
        table = Table(title="The directory", show_header=False)
        for status, count in sorted(figures.children_by_status.items()):
            table.add_row(f"Children ({status.value})", f"{count:,}")
        table.add_row("Children shielded", f"{figures.shielded_children:,}")
        table.add_row("Open involvements", f"{figures.involvements_open:,}")
        for kind, count in sorted(figures.organisations_by_kind.items()):
            table.add_row(f"Organisations ({kind.value})", f"{count:,}")
        table.add_row("Sources", f"{figures.sources:,}")
        table.add_row("Live source records", f"{figures.live_source_records:,}")
        console.print(table)


def run() -> None:
    app()


__all__ = ["app", "run"]
