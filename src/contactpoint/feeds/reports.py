"""What the pages and the API show of the feeds: sources within reach, their loads, reports.

Each function asks :mod:`contactpoint.access.policy` itself, so a page that forgot
its check would still be refused:

- a list of sources holds only those whose organisation is within the reach of
  ``feeds:source:manage`` (every source, for national reach);
- a source's loads and a load's report need ``feeds:load:run`` for that source's
  organisation; beyond reach they raise
  :class:`~contactpoint.access.policy.AccessDeniedError`, which the web layer answers
  with an audited 403;
- registering from the web gives a local source to the registering user's own
  organisation, and a national one to no organisation, which only national reach may
  add (:func:`contactpoint.feeds.sources.add_source` asks the policy).

Problems are stored without the values that caused them (a reason names the line,
the column and what is wrong), so a report holds no personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, TypeVar

from sqlalchemy import func, select

from contactpoint.access.permissions import Permission
from contactpoint.access.policy import Target, decide, require, target_of
from contactpoint.access.reach import organisations_within_reach
from contactpoint.feeds.audit_trail import LOAD_COUNTS
from contactpoint.feeds.models import FeedLoad, FeedLoadProblem
from contactpoint.feeds.problems import Level
from contactpoint.feeds.sources import (
    SOURCE_NAME,
    TRUSTABLE_FIELDS,
    SourceAdded,
    SourceError,
    add_source,
    find_source,
    source_target,
)
from contactpoint.organisations.models import Organisation
from contactpoint.provenance.models import Source, SourceKind
from contactpoint.storage.paging import NoSuchPageError, Page, page_of, read_page

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlalchemy.orm import Session

    from contactpoint.access.policy import Principal

# The page type, its refusal and page_of are storage.paging's, named here too for the pages.
__all__ = [
    "LARGEST_PAGE",
    "LOADS_PAGE_SIZE",
    "NATIONAL",
    "PROBLEMS_PAGE_SIZE",
    "LoadReportPage",
    "NoSuchPageError",
    "Page",
    "SourceFieldError",
    "SourceSummary",
    "UnknownLoadError",
    "UnknownSourceError",
    "counts_of",
    "load_report",
    "loads_of",
    "may_register_national",
    "page_of",
    "register_source",
    "source_for_loads",
    "sources_within_reach",
]

LOADS_PAGE_SIZE: Final = 25
PROBLEMS_PAGE_SIZE: Final = 100
LARGEST_PAGE: Final = 9_999_999
NATIONAL: Final = Target(organisation_id=None, council_id=None)  # what a national source is of

Row = TypeVar("Row")


class SourceFieldError(SourceError):
    """A source cannot be registered as asked; ``field`` names the field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class UnknownSourceError(SourceError):
    """No source is registered under the name; the message says how to register one."""


class UnknownLoadError(LookupError):
    """No load has that id."""


@dataclass(frozen=True, slots=True)
class SourceSummary:
    source: Source
    loads_visible: bool  # whether the caller may see its loads (feeds:load:run there)
    last_load: FeedLoad | None


@dataclass(frozen=True, slots=True)
class LoadReportPage:
    """A load with its counts, and one page of its problems (of one level, if asked)."""

    load: FeedLoad
    counts: dict[str, int]
    problems: Page[FeedLoadProblem]
    level: Level | None
    problems_by_level: dict[Level, int]


# --- Sources -------------------------------------------------------------------------


def sources_within_reach(session: Session, *, by: Principal) -> list[SourceSummary]:
    """The sources ``by`` manages, by name, each with its newest load if ``by`` may see it."""
    reach = organisations_within_reach(
        session, principal=by, permission=Permission.FEEDS_SOURCE_MANAGE
    )
    statement = select(Source).order_by(Source.name)
    if reach is not None:
        statement = statement.where(Source.organisation_id.in_(reach))
    summaries = []
    for source in session.scalars(statement):
        visible = decide(by, Permission.FEEDS_LOAD_RUN, target=source_target(source)).allowed
        last = _newest_load(session, source) if visible else None
        summaries.append(SourceSummary(source, loads_visible=visible, last_load=last))
    return summaries


def source_for_loads(
    session: Session,
    *,
    by: Principal,
    name: str,
    permission: Permission = Permission.FEEDS_LOAD_RUN,
) -> Source:
    """The source named ``name``, if ``by`` may see its loads (or, with ``permission``
    ``feeds:load:submit``, send it an extract).

    :class:`UnknownSourceError` when none is registered under the name;
    :class:`~contactpoint.access.policy.AccessDeniedError` when it is beyond reach.
    """
    source = find_source(session, name) if SOURCE_NAME.fullmatch(name) else None
    if source is None:
        raise UnknownSourceError(
            f"No source is registered as {name[:64]!r}. A data manager registers it first, on"
            " the sources page (/sources), through the API (POST /api/v1/sources) or with"
            f" `contactpoint sources add {name[:64]} --kind national|local`."
        )
    require(decide(by, permission, target=source_target(source)))
    return source


def may_register_national(by: Principal) -> bool:
    """Whether ``by`` may add a national source (one of no organisation)."""
    return decide(by, Permission.FEEDS_SOURCE_MANAGE, target=NATIONAL).allowed


def register_source(
    session: Session, *, by: Principal, name: str, kind: str, trusted_for: Iterable[str] = ()
) -> SourceAdded:
    """Register a source from the web: local for ``by``'s organisation, or national.

    :class:`SourceFieldError` names the field at fault, and a name already taken
    (registering the very same source again changes nothing: ``created`` is false);
    :class:`~contactpoint.access.policy.AccessDeniedError` when the policy refuses.
    """
    wanted_kind = _kind(kind)
    _check_name(name)
    trusted = _trusted(trusted_for)
    organisation = None
    if wanted_kind is SourceKind.LOCAL and by.organisation_id is not None:
        organisation = session.get(Organisation, by.organisation_id)
    target = NATIONAL if organisation is None else target_of(organisation)
    require(decide(by, Permission.FEEDS_SOURCE_MANAGE, target=target))
    existing = find_source(session, name)
    if existing is not None and (
        existing.kind is not wanted_kind or existing.organisation_id != _id(organisation)
    ):
        raise SourceFieldError("name", f"A source named {name} is already registered")
    if existing is None and wanted_kind is SourceKind.LOCAL and organisation is None:
        raise SourceFieldError("kind", "A local source belongs to an organisation; you have none")
    return add_source(
        session, by=by, name=name, kind=wanted_kind, organisation=organisation, trusted_for=trusted
    )


def _kind(kind: str) -> SourceKind:
    try:
        return SourceKind(kind)
    except ValueError:
        raise SourceFieldError("kind", "Choose whether the source is local or national") from None


def _check_name(name: str) -> None:
    if not name:
        raise SourceFieldError("name", "Enter the source's name")
    if not SOURCE_NAME.fullmatch(name):
        raise SourceFieldError(
            "name",
            "The name must be 1 to 64 lower-case letters, digits and underscores, starting"
            " with a letter (such as oxfordshire_social_care)",
        )


def _trusted(fields: Iterable[str]) -> list[str]:
    wanted = sorted({field.strip() for field in fields if field.strip()})
    unknown = [field for field in wanted if field not in TRUSTABLE_FIELDS]
    if unknown:
        raise SourceFieldError(
            "trusted_for",
            "A source can be trusted only for " + ", ".join(sorted(TRUSTABLE_FIELDS)),
        )
    return wanted


def _id(organisation: Organisation | None) -> int | None:
    return None if organisation is None else organisation.id


# --- Loads and their reports ---------------------------------------------------------


def loads_of(
    session: Session, *, by: Principal, source: Source, page: int, size: int = LOADS_PAGE_SIZE
) -> Page[FeedLoad]:
    """One page of the source's loads, newest first."""
    require(decide(by, Permission.FEEDS_LOAD_RUN, target=source_target(source)))
    newest_first = (
        select(FeedLoad)
        .where(FeedLoad.source_id == source.id)
        .order_by(FeedLoad.started_at.desc(), FeedLoad.id.desc())
    )
    return read_page(session, newest_first, number=page, size=size).map(_only)


def load_report(
    session: Session,
    *,
    by: Principal,
    load_id: int,
    page: int,
    level: Level | None = None,
    size: int = PROBLEMS_PAGE_SIZE,
) -> LoadReportPage:
    """A load's counts and one page of its problems, in line order, of ``level`` if given.

    :class:`UnknownLoadError` when there is no such load; an
    :class:`~contactpoint.access.policy.AccessDeniedError` when its source is beyond reach.
    """
    load = session.get(FeedLoad, load_id)
    if load is None:
        raise UnknownLoadError(f"there is no load {load_id}")
    require(decide(by, Permission.FEEDS_LOAD_RUN, target=source_target(load.source)))
    conditions = [FeedLoadProblem.load_id == load.id]
    if level is not None:
        conditions.append(FeedLoadProblem.level == level)
    in_line_order = (
        select(FeedLoadProblem)
        .where(*conditions)
        .order_by(FeedLoadProblem.line, FeedLoadProblem.id)
    )
    return LoadReportPage(
        load=load,
        counts=counts_of(load),
        problems=read_page(session, in_line_order, number=page, size=size).map(_only),
        level=level,
        problems_by_level=_by_level(session, load),
    )


def counts_of(load: FeedLoad) -> dict[str, int]:
    """The report's counts, in the contract's order."""
    return {name: int(getattr(load, name)) for name in LOAD_COUNTS}


def _newest_load(session: Session, source: Source) -> FeedLoad | None:
    return session.scalar(
        select(FeedLoad)
        .where(FeedLoad.source_id == source.id)
        .order_by(FeedLoad.started_at.desc(), FeedLoad.id.desc())
        .limit(1)
    )


def _by_level(session: Session, load: FeedLoad) -> dict[Level, int]:
    statement = (
        select(FeedLoadProblem.level, func.count())
        .where(FeedLoadProblem.load_id == load.id)
        .group_by(FeedLoadProblem.level)
    )
    counted = {level: count for level, count in session.execute(statement).all()}  # noqa: C416 - rows, not pairs
    return {level: int(counted.get(level, 0)) for level in Level}


def _only(row: tuple[Row]) -> Row:
    return row[0]
