"""Audit reports for auditors and council teams: who viewed a child, what a user did,
every shield override; shown as a table or downloaded as CSV.

The reports come from :mod:`contactpoint.audit.reports`. Producing one is itself
recorded: an ``export`` event whose filters say which report, for what, and in which
format (``html`` on screen, ``csv`` downloaded), because the trail's details (search
terms, reasons) are personal data whether they leave on paper or on a screen.

A council-reach permission sees only events by users of organisations in its council's
area (:func:`organisations_in_reach`, applied in the report's query); national reach
sees every event.

The table is shown a page at a time (``page`` in the query, 100 events a page, with the
GOV.UK pagination component); the CSV download is always the whole report. A page
number that is not a whole number from 1 answers 400, one past the last page 404, each
with the report's form and a message saying what is wrong.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from contactpoint.access import audit_trail
from contactpoint.access.audit_trail import actor_for
from contactpoint.access.models import UserAccount
from contactpoint.access.permissions import Permission
from contactpoint.access.policy import Principal, decide, target_of
from contactpoint.access.reach import organisations_within_reach
from contactpoint.access.sessions import ActiveSession
from contactpoint.audit.events import Subject, export_event
from contactpoint.audit.reports import (
    NoSuchPageError,
    ReportPage,
    ReportQuery,
    overrides_query,
    user_activity_query,
    viewed_child_query,
    write_csv,
)
from contactpoint.audit.services import record
from contactpoint.identifiers.contactpoint_id import normalise_contactpoint_id
from contactpoint.identifiers.errors import InvalidIdentifierError
from contactpoint.web.authorisation import requires
from contactpoint.web.dependencies import DatabaseSession, client_key
from contactpoint.web.pages import error_summary, render
from contactpoint.web.paging import pagination
from contactpoint.web.security import NO_STORE

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from sqlalchemy.orm import Session
    from starlette.datastructures import QueryParams

    from contactpoint.audit.reports import ReportRow

router = APIRouter(include_in_schema=False)

Auditing = Annotated[ActiveSession, requires(Permission.AUDIT_REPORT_VIEW)]

ENTER_CONTACTPOINT_ID: Final = "Enter the child's ContactPoint ID"
ENTER_USER_ID: Final = "Enter the user's ID, a whole number like 1234"
REAL_DATE: Final = "{label} must be a real date, like 25 11 2026"
FROM_AFTER_TO: Final = "Date from must be the same as or before date to"
WHOLE_PAGE: Final = "The page number must be a whole number, 1 or more"
NO_SUCH_PAGE: Final = "There is no page {number}: this report has {pages} page{plural}"
_PAGE_DIGITS: Final = 7  # up to page 9,999,999: never a number too long to convert
_MAX_FIELD: Final = 40
USER_REPORT_PATH: Final = "/audit/user"
_MAX_USER_ID: Final = 2**31 - 1


@dataclass
class ReportForm:
    """What the report's form asked for, and what is wrong with it."""

    values: dict[str, str] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    since: dt.date | None = None
    until: dt.date | None = None
    page: int = 1


@dataclass(frozen=True)
class Report:
    """One kind of report: its name in the trail, its page's template, and its title."""

    kind: str
    template: str
    title: str


CHILD: Final = Report("viewed_child", "audit/child.html", "Who viewed this child")
USER: Final = Report("user_activity", "audit/user.html", "What this user did")
OVERRIDES: Final = Report("overrides", "audit/overrides.html", "Every shield override")


@router.get("/audit")
def reports_page(request: Request, auditing: Auditing) -> Response:
    del auditing
    return render(request, "audit/index.html", {"reports": (CHILD, USER, OVERRIDES)})


@router.get("/audit/child")
def viewed_child_report(request: Request, auditing: Auditing, session: DatabaseSession) -> Response:
    query = request.query_params
    form = _period(query)
    child = _text(query, "contactpoint_id")
    form.values["contactpoint_id"] = child
    if "contactpoint_id" not in query:
        return _form_page(request, CHILD, form)
    try:
        child = normalise_contactpoint_id(child)
    except InvalidIdentifierError as error:
        form.problems["contactpoint_id"] = identifier_problem(child, error)
    return _report(
        request,
        auditing,
        session,
        report=CHILD,
        form=form,
        query=lambda: viewed_child_query(child, since=form.since, until=form.until),
        filters={"contactpoint_id": child},
        subject=None if form.problems else Subject.child(child),
    )


@router.get(USER_REPORT_PATH)
def user_activity_report(
    request: Request, auditing: Auditing, session: DatabaseSession
) -> Response:
    query = request.query_params
    form = _period(query)
    typed = _text(query, "user_id")
    form.values["user_id"] = typed
    if "user_id" not in query:
        return _form_page(request, USER, form)
    user_id = (
        int(typed)
        if typed.isascii() and typed.isdigit() and 0 < int(typed) <= _MAX_USER_ID
        else None
    )
    if user_id is None:
        form.problems["user_id"] = ENTER_USER_ID
        user_id = 0
    return _report(
        request,
        auditing,
        session,
        report=USER,
        form=form,
        query=lambda: user_activity_query(user_id, since=form.since, until=form.until),
        filters={"user_id": user_id},
        subject=None if form.problems else Subject.user(user_id),
        refusal=lambda: user_out_of_reach(
            session, auditing.principal, user_id, route=USER_REPORT_PATH
        ),
    )


@router.get("/audit/overrides")
def overrides_report(request: Request, auditing: Auditing, session: DatabaseSession) -> Response:
    query = request.query_params
    form = _period(query)
    return _report(
        request,
        auditing,
        session,
        report=OVERRIDES,
        form=form,
        query=lambda: overrides_query(since=form.since, until=form.until),
        filters={},
    )


def _report(
    request: Request,
    auditing: ActiveSession,
    session: Session,
    *,
    report: Report,
    form: ReportForm,
    query: Callable[[], ReportQuery],
    filters: Mapping[str, object],
    subject: Subject | None = None,
    refusal: Callable[[], str | None] = lambda: None,
) -> Response:
    if form.problems:
        return _form_page(request, report, form, status=HTTPStatus.BAD_REQUEST)
    refused = refusal()
    if refused:
        form.problems[next(iter(filters))] = refused
        return _form_page(request, report, form, status=HTTPStatus.FORBIDDEN)
    reach = organisations_in_reach(session, auditing.principal)
    as_csv = request.query_params.get("format") == "csv"
    shown: ReportPage | None = None
    if as_csv:
        rows = query().rows(session, actor_organisations=reach)  # always the whole report
    else:
        try:
            shown = query().page(session, number=form.page, actor_organisations=reach)
        except NoSuchPageError as error:
            plural = "" if error.pages == 1 else "s"
            message = NO_SUCH_PAGE.format(number=error.number, pages=error.pages, plural=plural)
            form.problems["page"] = message
            return _form_page(request, report, form, status=HTTPStatus.NOT_FOUND)
        rows = shown.rows
    period = {"since": form.since, "until": form.until, "format": "csv" if as_csv else "html"}
    paging = {} if shown is None else {"page": shown.number}
    event = export_event(
        actor_for(auditing.principal, address=client_key(request)),
        export=f"audit_report_{report.kind}",
        rows=len(rows),
        filters={**filters, **period, **paging},
        subject=subject,
    )
    record(session, event)
    session.commit()
    if shown is None:
        return _csv(report, rows)
    context: dict[str, object] = {
        "rows": rows,
        "page": shown,
        "pagination": pagination(
            request.query_params, shown, label="Pages of the report", anchor="#results"
        ),
        "csv_query": _csv_query(request.query_params),
    }
    return _form_page(request, report, form, context)


def _form_page(
    request: Request,
    report: Report,
    form: ReportForm,
    context: dict[str, object] | None = None,
    *,
    status: HTTPStatus = HTTPStatus.OK,
) -> Response:
    page = {
        "report": report,
        "values": form.values,
        "problems": form.problems,
        "summary": _summary(form.problems),
        **(context or {}),
    }
    return render(request, report.template, page, status=status)


def _summary(problems: dict[str, str]) -> list[dict[str, str]]:
    """The error summary; a date's link goes to its day (the first of its three boxes).

    A page number has no box on the form, so its problem links nowhere.
    """
    summary = error_summary(problems)
    for item in summary:
        if item["href"] in {"#from", "#to"}:
            item["href"] += "-day"
        if item["href"] == "#page":
            del item["href"]
    return summary


def _csv(report: Report, rows: list[ReportRow]) -> Response:
    stream = io.StringIO()
    write_csv(rows, stream)
    filename = f"contactpoint-{report.kind.replace('_', '-')}.csv"
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": NO_STORE,
    }
    return Response(stream.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


def _csv_query(query: QueryParams) -> str:
    kept = [(name, value) for name, value in query.multi_items() if name not in {"format", "page"}]
    return urlencode([*kept, ("format", "csv")])


# --- The period: GOV.UK date inputs ------------------------------------------------


def _period(query: QueryParams) -> ReportForm:
    """The period asked for, and the page of the report (both in the query)."""
    form = ReportForm()
    typed = query.get("page", "1").strip()
    if typed.isascii() and typed.isdigit() and len(typed) <= _PAGE_DIGITS and int(typed) > 0:
        form.page = int(typed)
    else:
        form.problems["page"] = WHOLE_PAGE
    form.since = _date(query, "from", "Date from", form)
    form.until = _date(query, "to", "Date to", form)
    if form.since and form.until and form.since > form.until:
        form.problems["from"] = FROM_AFTER_TO
    return form


def _date(query: QueryParams, name: str, label: str, form: ReportForm) -> dt.date | None:
    parts = [_text(query, f"{name}-{part}") for part in ("day", "month", "year")]
    for part, value in zip(("day", "month", "year"), parts, strict=True):
        form.values[f"{name}-{part}"] = value
    if not any(parts):
        return None
    try:
        day, month, year = (int(part) for part in parts)
        return dt.date(year, month, day)
    except (ValueError, OverflowError):
        form.problems[name] = REAL_DATE.format(label=label)
        return None


def _text(query: QueryParams, name: str) -> str:
    return query.get(name, "").strip()[:_MAX_FIELD]


def identifier_problem(typed: str, error: InvalidIdentifierError) -> str:
    if not typed:
        return ENTER_CONTACTPOINT_ID
    return f"Enter a real ContactPoint ID: {str(error).split(': ', 1)[-1]}"


# --- Reach: a council's auditors see their council's area ----------------------------


def user_out_of_reach(
    session: Session, principal: Principal, user_id: int, *, route: str
) -> str | None:
    """Why the user's activity is beyond the reader's reach (the refusal audited), or None."""
    user = session.get(UserAccount, user_id)
    if user is None:
        return None  # no such user now; the trail may still name one, within reach
    decision = decide(principal, Permission.AUDIT_REPORT_VIEW, target=target_of(user.organisation))
    if decision.allowed:
        return None
    audit_trail.access_denied(session, principal=principal, decision=decision, route=route)
    session.commit()
    return decision.reason


def organisations_in_reach(session: Session, principal: Principal) -> frozenset[int] | None:
    """The organisations whose users' events the reader may see; None for all."""
    return organisations_within_reach(
        session, principal=principal, permission=Permission.AUDIT_REPORT_VIEW
    )
