"""What a load is asked to do, what it reports, and why it may not start.

Imported from ``feeds.loading``, which runs the load and names these with it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from contactpoint.feeds.models import LoadMode, LoadStatus
from contactpoint.feeds.problems import Problem
from contactpoint.feeds.reading import DEFAULT_SIZE_CAP
from contactpoint.feeds.sources import SourceError
from contactpoint.provenance.models import Feed


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
