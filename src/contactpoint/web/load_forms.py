"""What to load: the options an upload gives a load (the page's form or the API's query).

The page and the API check the same options with the same words: which feed, full or
delta, the date the source took the extract (today or earlier), and the file's format
(CSV, or FHIR R4 Patients, which carry children only).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeVar

from starlette.concurrency import run_in_threadpool

from contactpoint.feeds.loading import LoadRequest, run_load
from contactpoint.feeds.models import LoadMode
from contactpoint.linkage.services import default_linker
from contactpoint.provenance.models import Feed
from contactpoint.web.uploads import size_cap_of

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from fastapi import Request

    from contactpoint.access.policy import Principal
    from contactpoint.feeds.loading import LoadReport
    from contactpoint.provenance.models import Source

DATE_FIELD: Final = "extracted_on"
FORMATS: Final = ("csv", "fhir")
FHIR_CHILDREN_ONLY: Final = (
    "A FHIR extract carries children (Patient resources) only: choose the children feed,"
    " or send the involvements as CSV"
)

Choice = TypeVar("Choice")


@dataclass(frozen=True, slots=True)
class LoadOptions:
    feed: Feed
    mode: LoadMode
    extracted_on: dt.date
    dry_run: bool
    allow_mass_end: bool
    file_format: str = "csv"
    extracted_on_stated: bool = True  # false: today, assumed (see LoadRequest)


def choice(kind: Callable[[str], Choice], value: str) -> Choice | None:
    """``kind(value)``, or None when it is not one of them."""
    try:
        return kind(value)
    except ValueError:
        return None


def options_problems(
    feed: Feed | None, mode: LoadMode | None, extracted_on: dt.date | None, *, today: dt.date
) -> dict[str, str]:
    problems = {}
    if feed is None:
        problems["feed"] = "Choose which feed the extract is: children or involvements"
    if mode is None:
        problems["mode"] = "Choose whether the extract is full or a delta"
    if extracted_on is None:
        problems[DATE_FIELD] = "Enter the date the extract was taken as a real date"
    elif extracted_on > today:
        problems[DATE_FIELD] = "The date the extract was taken must be today or in the past"
    return problems


def format_problem(file_format: str, feed: Feed | None) -> str | None:
    if file_format not in FORMATS:
        return "Choose the file's format: CSV, or FHIR R4 Patients"
    if file_format == "fhir" and feed is Feed.INVOLVEMENTS:
        return FHIR_CHILDREN_ONLY
    return None


def upload_problem(file_name: str | None, size: int) -> str | None:
    if not file_name:
        return "Choose the extract to upload"
    if size == 0:
        return "The chosen file is empty"
    return None


def options_from(
    fields: dict[str, str], *, today: dt.date
) -> tuple[LoadOptions | None, dict[str, str]]:
    """The options of the upload page's form, or what is wrong with them by field."""
    feed = choice(Feed, fields.get("feed", ""))
    mode = choice(LoadMode, fields.get("mode", ""))
    extracted_on = _date(fields)
    problems = options_problems(feed, mode, extracted_on, today=today)
    file_format = fields.get("format", "")
    wrong_format = format_problem(file_format, feed)
    if wrong_format is not None:
        problems["format"] = wrong_format
    if feed is None or mode is None or extracted_on is None or problems:
        return None, problems
    dry_run, mass_end = fields.get("dry_run") == "yes", fields.get("allow_mass_end") == "yes"
    options = LoadOptions(feed, mode, extracted_on, dry_run, mass_end, file_format)
    return options, {}


def _date(fields: dict[str, str]) -> dt.date | None:
    parts = [fields.get(f"{DATE_FIELD}-{part}", "").strip() for part in ("year", "month", "day")]
    if not all(part.isascii() and part.isdigit() and len(part) <= 4 for part in parts):  # noqa: PLR2004 - a year's digits
        return None
    try:
        return dt.date(*(int(part) for part in parts))
    except ValueError:
        return None


def plain_file_name(name: str, *, default: str) -> str:
    """The sender's file name as a label: its last part, printable characters only."""
    last = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in last if c.isprintable())[:255] or default


def default_file_name(stem: str, file_format: str) -> str:
    return f"{stem}.{'json' if file_format == 'fhir' else 'csv'}"


async def run_upload(
    request: Request, by: Principal, *, source: Source, path: Path, options: LoadOptions, **kw: Any
) -> LoadReport:
    """Load the stored upload, away from the event loop (a load takes a while)."""
    load = LoadRequest(
        source=source.name, path=path, extracted_on=options.extracted_on, feed=options.feed,
        mode=options.mode, dry_run=options.dry_run, allow_mass_end=options.allow_mass_end,
        size_cap=size_cap_of(request), file_format=options.file_format,
        extracted_on_stated=options.extracted_on_stated, **kw,
    )  # fmt: skip
    sessions = request.app.state.sessions
    linker = default_linker(request.app.state.settings)
    return await run_in_threadpool(run_load, sessions, load, by=by, linker=linker)
