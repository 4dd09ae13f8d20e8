"""``contactpoint synth``: write a synthetic population's source extracts to a folder."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from contactpoint.synth.bundle import SynthSummary, write_synthetic_extracts

__all__ = ["synth", "write_synthetic_extracts"]


def _reference_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date: use YYYY-MM-DD", param_hint="--as-of"
        ) from None


def _write_with_progress(
    console: Console, *, children: int, seed: int, output: Path, as_of: dt.date | None
) -> SynthSummary:
    columns = (TextColumn("Children"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("children", total=children)
        return write_synthetic_extracts(
            children=children,
            seed=seed,
            output=output,
            as_of=as_of,
            progress=lambda made: progress.advance(task, made),
        )


def _report(console: Console, summary: SynthSummary, seconds: float) -> None:
    console.print(
        f"Wrote {summary.children:,} children in {summary.households:,} households"
        f" (seed {summary.seed}, as of {summary.as_of.isoformat()}) to {summary.output}"
        f" in {seconds:.1f}s:"
    )
    for name, rows in summary.rows.items():
        console.print(f"  {name}: {rows:,} rows")
    if summary.children_without_nhs_number:
        console.print(
            f"  {summary.children_without_nhs_number:,} children have no NHS number:"
            " the NHS test range is used up."
        )


def synth(
    children: Annotated[
        int, typer.Option("--children", min=0, help="How many children to make.")
    ] = 10_000,
    seed: Annotated[
        int, typer.Option("--seed", help="The same seed makes the same population.")
    ] = 1,
    output: Annotated[Path, typer.Option("--output", help="Folder for the extracts.")] = Path(
        "var/synth"
    ),
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Reference date, YYYY-MM-DD (default: today).")
    ] = None,
) -> None:
    """Generate a synthetic population and write its source extracts, truth and manifest."""
    reference_date = _reference_date(as_of)
    console = Console(highlight=False)
    started = time.perf_counter()
    if console.is_terminal:
        summary = _write_with_progress(
            console, children=children, seed=seed, output=output, as_of=reference_date
        )
    else:
        summary = write_synthetic_extracts(
            children=children, seed=seed, output=output, as_of=reference_date
        )
    _report(console, summary, time.perf_counter() - started)
