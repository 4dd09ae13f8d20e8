"""`contactpoint` commands. Each fails with a clear message and a non-zero exit status."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
from typing import TYPE_CHECKING, Annotated, Final

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy.exc import OperationalError

from contactpoint.access.commands import operator, users_app
from contactpoint.access.demo import create_demo_users
from contactpoint.access.housekeeping import purge_expired
from contactpoint.audit.commands import audit_app
from contactpoint.cli.feed_commands import export_app, load, sources_app, undo_load_command
from contactpoint.cli.linkage_commands import linkage_app
from contactpoint.directory.services import directory_statistics
from contactpoint.logs import configure_logging
from contactpoint.organisations.services import councils
from contactpoint.schema.services import (
    SchemaOutOfDateError,
    current_revision,
    downgrade,
    head_revision,
    require_up_to_date,
    upgrade,
)
from contactpoint.settings import Mode, Settings, SettingsError, load_settings
from contactpoint.storage.engine import describe, engine_from_settings, session_factory
from contactpoint.synth.commands import synth as synth_command
from contactpoint.synth.demo_loading import DemoLoad, load_demo_population

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session, sessionmaker

app = typer.Typer(
    name="contactpoint",
    help="ContactPoint: who else is working with this child?",
    no_args_is_help=True,
    add_completion=False,
)
app.command("synth")(synth_command)
db_app = typer.Typer(help="Create or migrate the database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(users_app, name="users")
app.add_typer(sources_app, name="sources")
app.add_typer(export_app, name="export")
app.add_typer(linkage_app, name="linkage")
app.command("load")(load)
app.command("undo-load")(undo_load_command)

console = Console()
errors = Console(stderr=True)


@app.callback()
def _configure() -> None:
    """ContactPoint: who else is working with this child?"""
    configure_logging()


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


@app.command("housekeeping")
def housekeeping() -> None:
    """Delete expired sign-in records: throttle counters, pending sign-ins, passkey
    challenges, old one-time links and old sessions (never the audit trail).

    Safe to run at any time, for example daily from cron; the run is recorded in the
    audit trail (counts only). The retention periods are in
    contactpoint.access.housekeeping.
    """
    with reported_failures():
        settings = load_settings()
        with database(settings) as engine, session_factory(engine)() as session:
            purged = purge_expired(session, by=operator(), now=dt.datetime.now(dt.UTC))
            session.commit()
        table = Table(title="Deleted", show_header=False)
        for kind, count in purged.as_counts().items():
            table.add_row(kind.replace("_", " ").capitalize(), f"{count:,}")
        console.print(table)


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the web service over the configured database."""
    with reported_failures():
        settings = load_settings()
        serve_web(settings, host=host, port=port)


def serve_web(settings: Settings, *, host: str, port: int, banner: str = "") -> None:
    """Check the database and the app, then serve until interrupted."""
    # Only serving needs the web application: the other commands (loads most of all)
    # start about half a second sooner without importing it.
    import uvicorn  # noqa: PLC0415

    from contactpoint.web.app import create_app  # noqa: PLC0415

    with database(settings):
        pass
    web_app = create_app(settings)
    shown_host = "localhost" if host in {"127.0.0.1", "::1"} else host
    console.print(banner or f"ContactPoint is running on http://{shown_host}:{port}")
    console.print("Press Ctrl+C to stop.")
    # No access log: request paths and query strings can hold search terms (names).
    uvicorn.run(web_app, host=host, port=port, access_log=False, log_level="warning")


@app.command("demo")
def demo(
    children: Annotated[int, typer.Option(min=1, help="How many synthetic children.")] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic population.")] = 1,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    reset: Annotated[bool, typer.Option(help="Empty the database first.")] = False,
) -> None:
    """Set up the database, fill it with a synthetic population, and serve it (development mode)."""
    with reported_failures():
        settings = load_settings(mode=Mode.DEVELOPMENT)
        if "CONTACTPOINT_PUBLIC_URL" not in os.environ:
            # Passkeys are bound to the address the browser uses: localhost, this port.
            settings = settings.model_copy(update={"public_url": f"http://localhost:{port}"})
        with database(settings, up_to_date=False) as engine:
            if reset:
                downgrade(engine, "base")
            upgrade(engine)
            sessions = session_factory(engine)
            with sessions() as session:
                held = directory_statistics(session).active_children
            if held and not reset:
                console.print(
                    f"The database already holds {held:,} active children; "
                    "keeping them (--reset starts again)."
                )
            else:
                held = _seed_demo(sessions, settings, children=children, seed=seed)
            _show_demo_users(sessions, settings)
        banner = (
            f"ContactPoint demo is running on http://localhost:{port} over {held:,} active "
            f"synthetic children ({describe(engine)})."
        )
        serve_web(settings, host=host, port=port, banner=banner)


def _show_demo_users(sessions: sessionmaker[Session], settings: Settings) -> None:
    """Make (or put back) one ready user per role and say how to sign in as each."""
    with sessions() as session:
        council = councils(session)[0]
        users = create_demo_users(
            session, settings=settings, council_id=council.id, now=dt.datetime.now(dt.UTC)
        )
        session.commit()
        table = Table(title="Demo users (development mode only)")
        for column in ("username", "acting as", "organisation"):
            table.add_column(column)
        for user in users:
            roles = ", ".join(role.value for role in user.roles)
            if user.child_protection_officer:
                roles += " (may override a shield)"
            table.add_row(user.username, roles, user.organisation)
        console.print(table)
        console.print(
            f"Sign in with the password [bold]{users[0].password}[/] and a one-time code from\n"
            "  CONTACTPOINT_MODE=development .venv/bin/contactpoint users totp USERNAME",
            highlight=False,
        )


def _print_demo_load(done: DemoLoad) -> None:
    counts = done.report.counts
    console.print(
        f"  {done.source} {done.feed}: {counts['rows_read']:,} rows, "
        f"{counts['new_children']:,} new children, {counts['linked_to_existing']:,} linked, "
        f"{counts['held_for_review']:,} held for review, {counts['rejected']:,} rejected "
        f"({done.report.status})",
        highlight=False,
    )


def _seed_demo(
    sessions: sessionmaker[Session], settings: Settings, *, children: int, seed: int
) -> int:
    """Write the synthetic extracts and load them through the feeds, as an installation would."""
    folder = settings.data_dir / "synth" / "demo"
    console.print(
        f"Loading {children:,} synthetic children (seed {seed}) through the feeds, from {folder}:"
    )
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Loading the synthetic extracts", total=None)
        loaded_demo = load_demo_population(
            sessions, children=children, seed=seed, folder=folder, by=operator(),
            on_load=_print_demo_load, progress=lambda rows: progress.advance(task, rows),
        )  # fmt: skip
    console.print(
        f"Loaded {loaded_demo.links:,} source records into the directory, with "
        f"{loaded_demo.reference.organisations:,} organisations and "
        f"{loaded_demo.reference.practitioners:,} practitioners; shielded "
        f"{loaded_demo.shields.children_shielded:,} children as the council team would."
    )
    with sessions() as session:
        return directory_statistics(session).active_children


# Allocations between the garbage collector's youngest-generation passes (CPython's
# default is 700, 10, 10). A load keeps hundreds of thousands of linkage records and
# rows alive, and with the default the collector walked them again and again: about a
# quarter of a load's CPU time (69,657 records loaded into a directory of 100,000
# children: 102 s of CPU with the default, 73 s with these; the same peak memory).
GC_THRESHOLDS: Final = (100_000, 50, 100)


def run() -> None:
    gc.set_threshold(*GC_THRESHOLDS)
    app()


__all__ = ["app", "run"]
