"""The audit reports API, version 1: the report pages' three reports for auditors' tools.

Who viewed a child, what a user did, every shield override; each needs
``audit:report:view`` (a session, or a bearer token scoped to it: see
:mod:`contactpoint.web.authorisation`). The reach is the pages' own
(:func:`contactpoint.web.audit_views.organisations_in_reach`, applied in the report's
query): a council's auditors see only events by users in its area, and asking what a
user outside that area did is refused (403) and the refusal audited. Bad input answers
problem details naming the parameter, never echoing it. Each report produced is
recorded as an ``export`` event in format ``json``.

Reports come a page at a time (``page``, from 1; 100 events a page, oldest first). Each
answer says its ``page``, ``pages`` and ``total``, and ``links`` to the ``next`` and
``previous`` pages (null at either end), relative to this service. A page number below 1
answers 422; one past the last page, 404.
"""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from contactpoint.access.audit_trail import actor_for
from contactpoint.access.permissions import Permission
from contactpoint.audit.events import Subject, export_event
from contactpoint.audit.reports import (
    NoSuchPageError,
    ReportPage,
    ReportQuery,
    ReportRow,
    overrides_query,
    user_activity_query,
    viewed_child_query,
)
from contactpoint.audit.services import record
from contactpoint.identifiers.contactpoint_id import normalise_contactpoint_id
from contactpoint.identifiers.errors import InvalidIdentifierError
from contactpoint.web.audit_views import (
    CHILD,
    OVERRIDES,
    USER,
    Report,
    identifier_problem,
    organisations_in_reach,
    user_out_of_reach,
)
from contactpoint.web.authorisation import Caller, problem, requires
from contactpoint.web.dependencies import DatabaseSession, client_key
from contactpoint.web.errors import error_response
from contactpoint.web.paging import page_query

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy.orm import Session
    from starlette.responses import Response

    from contactpoint.access.policy import Principal

router = APIRouter(tags=["audit"])

AUDIT: Final = "/api/v1/audit"
VIEWED_CHILD: Final = AUDIT + "/viewed-child/{contactpoint_id}"
USER_ACTIVITY: Final = AUDIT + "/user-activity/{user_id}"
OVERRIDES_PATH: Final = AUDIT + "/overrides"
AUDITING: Final = [requires(Permission.AUDIT_REPORT_VIEW)]

_ISO_DAY: Final = r"^\d{4}-\d{2}-\d{2}$"
REAL_DAY: Final = "must be a real date, written YYYY-MM-DD"
SINCE_AFTER_UNTIL: Final = "must be the same day as or before until"

UserId = Annotated[int, Field(ge=1, le=2**31 - 1)]
ContactPointId = Annotated[str, Field(min_length=1, max_length=40)]
Day = Annotated[
    str | None,
    Query(pattern=_ISO_DAY, max_length=10, description="A whole UTC day, YYYY-MM-DD"),
]


PageNumber = Annotated[
    int, Query(ge=1, le=9_999_999, description="Which page of the report, from 1")
]


class PageLinks(BaseModel):
    self: str
    next: str | None
    previous: str | None


class ReportOut(BaseModel):
    report: str
    since: dt.date | None
    until: dt.date | None
    page: int
    pages: int
    page_size: int
    total: int
    links: PageLinks
    rows: list[ReportRow]


@router.get(VIEWED_CHILD, dependencies=AUDITING, response_model=ReportOut)
def viewed_child(
    request: Request,
    *,
    contactpoint_id: ContactPointId,
    caller: Caller,
    session: DatabaseSession,
    since: Day = None,
    until: Day = None,
    page: PageNumber = 1,
) -> Any:
    problems, period = _period(since, until)
    child = contactpoint_id
    try:
        child = normalise_contactpoint_id(contactpoint_id)
    except InvalidIdentifierError as error:
        problems = {
            ("path", "contactpoint_id"): identifier_problem(contactpoint_id.strip(), error),
            **problems,
        }
    if problems:
        return _invalid(request, problems)
    first, last = period
    return _report(
        request,
        session,
        caller,
        report=CHILD,
        period=period,
        page=page,
        query=viewed_child_query(child, since=first, until=last),
        filters={"contactpoint_id": child},
        subject=Subject.child(child),
    )


@router.get(USER_ACTIVITY, dependencies=AUDITING, response_model=ReportOut)
def activity_of_user(
    request: Request,
    *,
    user_id: UserId,
    caller: Caller,
    session: DatabaseSession,
    since: Day = None,
    until: Day = None,
    page: PageNumber = 1,
) -> Any:
    problems, period = _period(since, until)
    if problems:
        return _invalid(request, problems)
    refused = user_out_of_reach(session, caller, user_id, route=USER_ACTIVITY)
    if refused:
        return problem(request, HTTPStatus.FORBIDDEN, refused)
    first, last = period
    return _report(
        request,
        session,
        caller,
        report=USER,
        period=period,
        page=page,
        query=user_activity_query(user_id, since=first, until=last),
        filters={"user_id": user_id},
        subject=Subject.user(user_id),
    )


@router.get(OVERRIDES_PATH, dependencies=AUDITING, response_model=ReportOut)
def every_override(
    request: Request,
    *,
    caller: Caller,
    session: DatabaseSession,
    since: Day = None,
    until: Day = None,
    page: PageNumber = 1,
) -> Any:
    problems, period = _period(since, until)
    if problems:
        return _invalid(request, problems)
    first, last = period
    return _report(
        request,
        session,
        caller,
        report=OVERRIDES,
        period=period,
        page=page,
        query=overrides_query(since=first, until=last),
        filters={},
    )


def _report(
    request: Request,
    session: Session,
    caller: Principal,
    *,
    report: Report,
    period: tuple[dt.date | None, dt.date | None],
    query: ReportQuery,
    page: int,
    filters: Mapping[str, object],
    subject: Subject | None = None,
) -> ReportOut | Response:
    reach = organisations_in_reach(session, caller)
    try:
        shown = query.page(session, number=page, actor_organisations=reach)
    except NoSuchPageError as error:
        return problem(request, HTTPStatus.NOT_FOUND, f"{str(error).capitalize()}.")
    since, until = period
    event = export_event(
        actor_for(caller, address=client_key(request)),
        export=f"audit_report_{report.kind}",
        rows=len(shown.rows),
        filters={**filters, "since": since, "until": until, "format": "json", "page": shown.number},
        subject=subject,
    )
    record(session, event)
    session.commit()
    return ReportOut(
        report=report.kind,
        since=since,
        until=until,
        page=shown.number,
        pages=shown.pages,
        page_size=shown.size,
        total=shown.total,
        links=_links(request, shown),
        rows=shown.rows,
    )


def _links(request: Request, shown: ReportPage) -> PageLinks:
    def link(number: int) -> str:
        return f"{quote(request.url.path)}?{page_query(request.query_params, number)}"

    return PageLinks(
        self=link(shown.number),
        next=link(shown.number + 1) if shown.has_next else None,
        previous=link(shown.number - 1) if shown.number > 1 else None,
    )


def _period(
    since: str | None, until: str | None
) -> tuple[dict[tuple[str, str], str], tuple[dt.date | None, dt.date | None]]:
    """The days asked for, and what is wrong with them by (location, parameter)."""
    problems: dict[tuple[str, str], str] = {}
    days: dict[str, dt.date | None] = {}
    for name, text in (("since", since), ("until", until)):
        days[name] = None
        if text is None:
            continue
        try:
            days[name] = dt.date.fromisoformat(text)
        except ValueError:
            problems["query", name] = REAL_DAY
    first, last = days["since"], days["until"]
    if first is not None and last is not None and first > last:
        problems["query", "since"] = SINCE_AFTER_UNTIL
    return problems, (first, last)


def _invalid(request: Request, problems: dict[tuple[str, str], str]) -> Response:
    errors = [
        {"location": list(location), "message": message, "type": "value_error"}
        for location, message in problems.items()
    ]
    return error_response(request, HTTPStatus.UNPROCESSABLE_ENTITY, problems=errors)
