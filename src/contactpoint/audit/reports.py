"""Reports for auditors and council teams: who saw this child, what this user did,
every shield override; filtered by date (whole UTC days) and written as CSV.

Producing a report is itself an export: the caller records an ``export`` event
(the ``contactpoint audit report`` commands do).

Each report is a :class:`ReportQuery` (``viewed_child_query`` and its kin). On
screen and through the API it is read a page at a time (:meth:`ReportQuery.page`,
:data:`PAGE_SIZE` events a page, oldest first); a CSV download is always the
whole report (:meth:`ReportQuery.rows`). The reader's reach
(``actor_organisations``) is a condition of the query either way, so a page never
holds, or counts, an event beyond it.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import astuple, dataclass, fields
from typing import IO, Any, Final, TypeAlias

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import Session

from contactpoint.audit.events import ActorKind, EventType, Outcome, SubjectKind
from contactpoint.audit.models import AuditEventDetails, AuditEventRow
from contactpoint.identifiers.contactpoint_id import normalise_contactpoint_id
from contactpoint.storage.paging import NoSuchPageError, Page, read_page

__all__ = [
    "PAGE_SIZE",
    "NoSuchPageError",
    "ReportPage",
    "ReportQuery",
    "ReportRow",
    "overrides",
    "overrides_query",
    "report_columns",
    "user_activity",
    "user_activity_query",
    "viewed_child_query",
    "who_viewed_child",
    "write_csv",
]

PAGE_SIZE: Final = 100

# A spreadsheet runs a cell that starts with one of these as a formula; search
# terms are typed by users, so a report must never hand one over unescaped.
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
# Events that show a child to the user: search results, exports listing it.
_LISTING_EVENTS: Final = (EventType.SEARCH, EventType.EXPORT)


@dataclass(frozen=True)
class ReportRow:
    sequence: int
    occurred_at: dt.datetime
    event_type: EventType
    outcome: Outcome
    actor_kind: ActorKind
    actor_user_id: int | None
    actor_label: str | None
    actor_role: str | None
    actor_organisation_id: int | None
    actor_address: str | None
    session_ref: str | None
    subject_kind: SubjectKind | None
    subject_ref: str | None
    details: str | None  # canonical JSON; None once redacted


ReportPage: TypeAlias = Page[ReportRow]
"""Page ``number`` (from 1) of a report of ``total`` events, ``size`` to a page."""

# How a refused page number names the report: "the report has 3 pages".
_WHOLE: Final = "the report has"


def report_columns() -> tuple[str, ...]:
    return tuple(column.name for column in fields(ReportRow))


def _window(since: dt.date | None, until: dt.date | None) -> list[ColumnElement[bool]]:
    """Both dates inclusive, as whole days in UTC."""
    if since is not None and until is not None and since > until:
        raise ValueError(f"the period starts ({since}) after it ends ({until})")
    conditions: list[ColumnElement[bool]] = []
    if since is not None:
        start = dt.datetime.combine(since, dt.time.min, tzinfo=dt.UTC)
        conditions.append(AuditEventRow.occurred_at >= start)
    if until is not None:
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
        conditions.append(AuditEventRow.occurred_at < end)
    return conditions


def _statement(conditions: tuple[ColumnElement[bool], ...]) -> Select[*tuple[Any, ...]]:
    columns = [getattr(AuditEventRow, name) for name in report_columns()[:-1]]
    return (
        select(*columns, AuditEventDetails.details)
        .outerjoin(AuditEventDetails, AuditEventDetails.sequence == AuditEventRow.sequence)
        .where(*conditions)
        .order_by(AuditEventRow.sequence)
    )


def _report_row(found: tuple[Any, ...]) -> ReportRow:
    return ReportRow(*found)  # the statement selects the columns in the row's order


@dataclass(frozen=True, eq=False)  # SQL conditions compare into SQL, not into a bool
class ReportQuery:
    """Which events a report holds (the period among its conditions); read whole or a page."""

    conditions: tuple[ColumnElement[bool], ...]

    def rows(
        self, session: Session, *, actor_organisations: Collection[int] | None = None
    ) -> list[ReportRow]:
        """The whole report. ``actor_organisations``: only events by users of these (None: all)."""
        found = session.execute(_statement(self._within(actor_organisations)))
        return [_report_row(row) for row in found]

    def page(
        self,
        session: Session,
        *,
        number: int,
        size: int = PAGE_SIZE,
        actor_organisations: Collection[int] | None = None,
    ) -> ReportPage:
        """Page ``number``; :class:`NoSuchPageError` below 1 or past the last page."""
        statement = _statement(self._within(actor_organisations))
        found = read_page(session, statement, number=number, size=size, whole=_WHOLE)
        return found.map(_report_row)

    def _within(
        self, actor_organisations: Collection[int] | None
    ) -> tuple[ColumnElement[bool], ...]:
        if actor_organisations is None:
            return self.conditions
        organisations = sorted(actor_organisations)
        return (*self.conditions, AuditEventRow.actor_organisation_id.in_(organisations))


def viewed_child_query(
    contactpoint_id: str, *, since: dt.date | None = None, until: dt.date | None = None
) -> ReportQuery:
    """Every event about this child (views, changes, overrides...) and every search or
    export that listed it. A listing whose details were redacted no longer shows."""
    child = normalise_contactpoint_id(contactpoint_id)
    about = and_(
        AuditEventRow.subject_kind == SubjectKind.CHILD, AuditEventRow.subject_ref == child
    )
    # A validated ID is digits only, so it is safe in a LIKE pattern; quoted, it
    # matches the ID as a whole JSON string, never part of a longer number.
    listed = and_(
        AuditEventRow.event_type.in_(_LISTING_EVENTS),
        AuditEventDetails.details.like(f'%"{child}"%'),
    )
    return ReportQuery((or_(about, listed), *_window(since, until)))


def user_activity_query(
    user_id: int, *, since: dt.date | None = None, until: dt.date | None = None
) -> ReportQuery:
    """Everything this user did, as recorded."""
    by_user = (AuditEventRow.actor_kind == ActorKind.USER, AuditEventRow.actor_user_id == user_id)
    return ReportQuery((*by_user, *_window(since, until)))


def overrides_query(*, since: dt.date | None = None, until: dt.date | None = None) -> ReportQuery:
    """Every shield override."""
    overridden = AuditEventRow.event_type == EventType.SHIELD_OVERRIDE
    return ReportQuery((overridden, *_window(since, until)))


# The whole report in one call, as the commands ask for it.


def who_viewed_child(
    session: Session,
    contactpoint_id: str,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    actor_organisations: Collection[int] | None = None,
) -> list[ReportRow]:
    """See :func:`viewed_child_query`."""
    query = viewed_child_query(contactpoint_id, since=since, until=until)
    return query.rows(session, actor_organisations=actor_organisations)


def user_activity(
    session: Session,
    user_id: int,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    actor_organisations: Collection[int] | None = None,
) -> list[ReportRow]:
    """See :func:`user_activity_query`."""
    query = user_activity_query(user_id, since=since, until=until)
    return query.rows(session, actor_organisations=actor_organisations)


def overrides(
    session: Session,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    actor_organisations: Collection[int] | None = None,
) -> list[ReportRow]:
    """See :func:`overrides_query`."""
    query = overrides_query(since=since, until=until)
    return query.rows(session, actor_organisations=actor_organisations)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def write_csv(rows: Iterable[ReportRow], stream: IO[str]) -> int:
    """Write a report as CSV with a header line; returns how many rows were written."""
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(report_columns())
    written = 0
    for row in rows:
        writer.writerow([_cell(value) for value in astuple(row)])
        written += 1
    return written
