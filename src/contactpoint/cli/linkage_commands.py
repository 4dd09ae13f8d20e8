"""`contactpoint linkage train`, `relink` and `reindex`: over the directory's own records."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from contactpoint.access.audit_trail import actor_for
from contactpoint.access.commands import operator
from contactpoint.audit.events import export_event
from contactpoint.audit.services import record
from contactpoint.feeds.sources import hold_every_source
from contactpoint.linkage.batch import Engine, live_records, relink_report
from contactpoint.linkage.explanations import (
    ExplainedDecision,
    ShieldedRecordError,
    UnknownRecordError,
    explain_record,
)
from contactpoint.linkage.index import live_child_records, rebuild_index
from contactpoint.linkage.services import default_linker
from contactpoint.linkage.training import train_model
from contactpoint.schema.services import SchemaOutOfDateError, require_up_to_date
from contactpoint.settings import SettingsError, load_settings
from contactpoint.storage.engine import engine_from_settings, session_factory

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

linkage_app = typer.Typer(
    help="Retrain the linkage model, re-link in batch, rebuild the blocking-key index.",
    no_args_is_help=True,
)
console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)
FEWEST_RECORDS: Final = 1000  # fewer than this trains no useful model


class LinkageCommandError(Exception):
    """A failure the operator can act on; printed as one line."""


@contextlib.contextmanager
def _sessions() -> Iterator[sessionmaker[Session]]:
    try:
        settings = load_settings()
        engine = engine_from_settings(settings)
        try:
            require_up_to_date(engine)
            yield session_factory(engine)
        finally:
            engine.dispose()
    except (LinkageCommandError, SchemaOutOfDateError, SettingsError) as error:
        errors.print(f"[bold red]Error:[/] {error}")
        raise typer.Exit(1) from None


@linkage_app.command("train")
def train(
    output: Annotated[Path, typer.Option("--output", help="Where to write the new model (JSON).")],
) -> None:
    """Train a model without labels on the directory's live child records.

    Nothing changes until the operator points CONTACTPOINT_LINKAGE_MODEL_FILE at
    the new file: a load never retrains by itself, and each link records the
    version of the model that made it.
    """
    with _sessions() as sessions, sessions() as session:
        records = [held.record for held in live_records(session)]
        if len(records) < FEWEST_RECORDS:
            raise LinkageCommandError(
                f"the directory holds {len(records):,} live child records; training needs at"
                f" least {FEWEST_RECORDS:,}"
            )
        today = dt.datetime.now(dt.UTC).date().isoformat()
        model = train_model(records, version=f"{today}-directory-{len(records)}")
        model.save(output)
        console.print(
            f"Trained model {model.version} on {len(records):,} records and wrote it to {output}."
            " Set CONTACTPOINT_LINKAGE_MODEL_FILE to use it."
        )


@linkage_app.command("relink")
def relink(
    output: Annotated[Path, typer.Option("--output", help="Where to write the report (CSV).")],
    engine: Annotated[
        Engine,
        typer.Option(
            "--engine",
            help="What scores the pairs: Splink on DuckDB, or the loader's own Python scorer"
            " (the same pairs and weights; for comparison).",
        ),
    ] = Engine.SPLINK,
) -> None:
    """Re-link every live record with the model and thresholds loads use
    (CONTACTPOINT_LINKAGE_*) and report where they would decide differently. Changes nothing."""
    with _sessions() as sessions, sessions() as session:
        linker = default_linker(load_settings())
        model = linker.model
        with output.open("w", encoding="utf-8", newline="") as stream:
            summary = relink_report(
                session, stream, model=model, thresholds=linker.thresholds, engine=engine
            )
        rows = summary.would_merge + summary.would_review + summary.would_split
        record(session, export_event(actor_for(operator()), export="relink_report", rows=rows))
        session.commit()
        console.print(
            f"Model {model.version}: {summary.records:,} records, {summary.pairs_scored:,} pairs"
            f" scored ({engine}); {summary.would_merge:,} pairs it would merge,"
            f" {summary.would_review:,} it would hold for review and {summary.would_split:,}"
            " records it would split off."
            f" Report: {output}"
        )


@linkage_app.command("explain")
def explain(
    record_id: Annotated[str, typer.Argument(help="The source's record_id of the child record.")],
    source: Annotated[str, typer.Option("--source", help="The registered source's name.")],
    reason: Annotated[
        str, typer.Option("--reason", help="Why you need to see it (kept in the audit trail).")
    ],
) -> None:
    """Why a source record belongs to its child: each link decision, newest first, with the
    model's prior and comparison weights that add up to the match weight that decided."""
    with _sessions() as sessions, sessions() as session:
        if not reason.strip():
            raise LinkageCommandError("say why you need to see it: --reason is empty")
        by = operator()
        try:
            decisions = explain_record(
                session, by=by, source=source, record_id=record_id, reason=reason
            )
        except (UnknownRecordError, ShieldedRecordError) as error:
            raise LinkageCommandError(str(error)) from None
        except ValueError as error:  # a reason too long, or of characters not allowed
            raise LinkageCommandError(f"--reason: {error}") from None
        session.commit()
        for decision in decisions:
            _print_decision(decision)


def _print_decision(decision: ExplainedDecision) -> None:
    now = (
        ""
        if decision.resolves_to == decision.contactpoint_id
        else (f" (now {decision.resolves_to})")
    )
    weight = "" if decision.match_weight is None else f", match weight {decision.match_weight:.2f}"
    console.print(
        f"{decision.decided_at:%Y-%m-%d %H:%M} {decision.outcome}: child"
        f" {decision.contactpoint_id}{now}{weight}; model {decision.model_version};"
        f" by {decision.decided_by}"
    )
    if decision.prior is None or not decision.comparisons:
        return
    table = Table("comparison", "level", "weight", show_header=True)
    table.add_row("prior", "", f"{decision.prior:+.2f}")
    for part in decision.comparisons:
        table.add_row(part.comparison, part.level, f"{part.weight:+.2f}")
    total = decision.prior + sum(part.weight for part in decision.comparisons)
    table.add_row("total", "", f"{total:+.2f}")
    console.print(table)


@linkage_app.command("reindex")
def reindex() -> None:
    """Make every live child record's blocking keys again (after a release changes the keys).

    Records indexed by an older release lack the keys a newer one adds, so they
    would not be found as candidates through them. One transaction: loads and
    searches see the old index until the new one is complete, and no load starts
    meanwhile; it is refused while a load is part-applied.
    """
    with _sessions() as sessions, sessions() as session:
        unfinished = hold_every_source(session)
        if unfinished:
            raise LinkageCommandError(
                f"{'; '.join(unfinished)} is part-applied: run that load again to complete it,"
                " then reindex; nothing was changed"
            )
        total = live_child_records(session)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Indexing live child records", total=total)
            records, keys = rebuild_index(
                session, progress=lambda done: progress.advance(task, done)
            )
        session.commit()
        console.print(f"Indexed {records:,} live child records under {keys:,} blocking keys.")
