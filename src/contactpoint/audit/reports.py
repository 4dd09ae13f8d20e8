"""Reports for auditors and council teams: who saw this child, what this user did,
every shield override; filtered by date (whole UTC days) and written as CSV.

Producing a report is itself an export: the caller records an ``export`` event
(the ``contactpoint audit report`` commands do).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import astuple, dataclass, fields
from typing import IO, Any, Final

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from contactpoint.audit.events import ActorKind, EventType, Outcome, SubjectKind
from contactpoint.audit.models import AuditEventDetails, AuditEventRow
from contactpoint.identifiers.contactpoint_id import normalise_contactpoint_id

__all__ = [
    "ReportRow",
    "overrides",
    "report_columns",
    "user_activity",
    "who_viewed_child",
    "write_csv",
]

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


def _report(
    session: Session,
    *conditions: ColumnElement[bool],
    actor_organisations: Collection[int] | None,
) -> list[ReportRow]:
    """``actor_organisations``: only events by users of these organisations (None: all)."""
    columns = [getattr(AuditEventRow, name) for name in report_columns()[:-1]]
    if actor_organisations is not None:
        within = AuditEventRow.actor_organisation_id.in_(sorted(actor_organisations))
        conditions = (*conditions, within)
    found = session.execute(
        select(*columns, AuditEventDetails.details)
        .outerjoin(AuditEventDetails, AuditEventDetails.sequence == AuditEventRow.sequence)
        .where(*conditions)
        .order_by(AuditEventRow.sequence)
    )
    return [ReportRow(**row._asdict()) for row in found]


def who_viewed_child(
    session: Session,
    contactpoint_id: str,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    actor_organisations: Collection[int] | None = None,
) -> list[ReportRow]:
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
    return _report(
        session,
        or_(about, listed),
        *_window(since, until),
        actor_organisations=actor_organisations,
    )


def user_activity(
    session: Session,
    user_id: int,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    actor_organisations: Collection[int] | None = None,
) -> list[ReportRow]:
    """Everything this user did, as recorded."""
    return _report(
        session,
        AuditEventRow.actor_kind == ActorKind.USER,
        AuditEventRow.actor_user_id == user_id,
        *_window(since, until),
        actor_organisations=actor_organisations,
    )


def overrides(
    session: Session,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    actor_organisations: Collection[int] | None = None,
) -> list[ReportRow]:
    """Every shield override."""
    return _report(
        session,
        AuditEventRow.event_type == EventType.SHIELD_OVERRIDE,
        *_window(since, until),
        actor_organisations=actor_organisations,
    )


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
