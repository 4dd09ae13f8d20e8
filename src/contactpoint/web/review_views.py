"""The review queue's pages: the queue, one item's evidence with its decision, and splits.

Every route needs ``linkage:review:work``; the services in
:mod:`contactpoint.linkage.review` ask the policy again for the item's council
(and for the shield's, when a child in it is shielded), so an item beyond reach is
refused and audited there. A request the queue cannot carry out (an unknown item,
one already decided, records not of that child, every record split off) answers
its own 4xx page saying why; the JSON API is :mod:`contactpoint.web.review_api_views`.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated, Any, Final

from fastapi import APIRouter, Request

from contactpoint.access.permissions import Permission
from contactpoint.access.sessions import ActiveSession
from contactpoint.linkage.review import (
    NoSuchPageError,
    ReviewError,
    accept_match,
    child_records,
    child_to_split,
    reject_match,
    review_evidence,
    review_queue,
    split_child,
)
from contactpoint.web.authorisation import requires
from contactpoint.web.dependencies import DatabaseSession
from contactpoint.web.forms import PostedForm
from contactpoint.web.pages import error_summary, render
from contactpoint.web.paging import pagination

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from starlette.datastructures import FormData
    from starlette.responses import Response

    from contactpoint.access.policy import Principal
    from contactpoint.linkage.review import MatchDecision

router = APIRouter(include_in_schema=False)

Reviewing = Annotated[ActiveSession, requires(Permission.LINKAGE_REVIEW_WORK)]

REVIEW_PATH: Final = "/review"
SPLIT_PATH: Final = "/children/{contactpoint_id}/split"
_MAX_PAGE_DIGITS: Final = 6
_MAX_RECORD_DIGITS: Final = 10
_PAGE_PROBLEM: Final = "Enter a page number that is a whole number from 1"


@router.get(REVIEW_PATH)
def queue_page(request: Request, reviewing: Reviewing, session: DatabaseSession) -> Response:
    wanted = request.query_params.get("page", "1")
    if not (wanted.isascii() and wanted.isdigit() and len(wanted) <= _MAX_PAGE_DIGITS):
        return _problem_page(request, HTTPStatus.BAD_REQUEST, _PAGE_PROBLEM)
    try:
        queue = review_queue(session, by=reviewing.principal, page=int(wanted))
    except NoSuchPageError as error:
        status = HTTPStatus.BAD_REQUEST if error.number < 1 else HTTPStatus.NOT_FOUND
        return _problem_page(request, status, str(error).capitalize() + ".")
    context = {"queue": queue, "pagination": pagination(request.query_params, queue)}
    return render(request, "review/queue.html", context)


@router.get(REVIEW_PATH + "/{item_id}")
def item_page(
    request: Request, item_id: int, reviewing: Reviewing, session: DatabaseSession
) -> Response:
    try:
        evidence = review_evidence(session, by=reviewing.principal, item_id=item_id)
    except ReviewError as error:
        return _problem_page(request, HTTPStatus(error.status), str(error))
    session.commit()  # the views of both children, in the audit trail
    return render(request, "review/item.html", {"evidence": evidence})


@router.post(REVIEW_PATH + "/{item_id}/accept")
def accept_from_page(
    request: Request, item_id: int, reviewing: Reviewing, session: DatabaseSession
) -> Response:
    return _decide(request, session, reviewing.principal, item_id, accept_match, merged=True)


@router.post(REVIEW_PATH + "/{item_id}/reject")
def reject_from_page(
    request: Request, item_id: int, reviewing: Reviewing, session: DatabaseSession
) -> Response:
    return _decide(request, session, reviewing.principal, item_id, reject_match, merged=False)


@router.get(SPLIT_PATH)
def split_page(
    request: Request, contactpoint_id: str, reviewing: Reviewing, session: DatabaseSession
) -> Response:
    return _split_form(request, session, reviewing.principal, contactpoint_id, problems={})


@router.post(SPLIT_PATH)
def split_from_page(
    request: Request,
    contactpoint_id: str,
    reviewing: Reviewing,
    form: PostedForm,
    session: DatabaseSession,
) -> Response:
    chosen = _chosen_records(form)
    if chosen is None:
        problems = {"records": "Choose records from the list"}
        return _split_form(request, session, reviewing.principal, contactpoint_id, problems)
    try:
        result = split_child(
            session, by=reviewing.principal, contactpoint_id=contactpoint_id,
            source_record_ids=chosen,
        )  # fmt: skip
    except ReviewError as error:
        session.rollback()
        if error.status == HTTPStatus.NOT_FOUND:
            return _problem_page(request, HTTPStatus.NOT_FOUND, str(error))
        problems = {"records": str(error).rstrip(".")}
        return _split_form(request, session, reviewing.principal, contactpoint_id, problems)
    session.commit()
    return render(request, "review/split-done.html", {"result": result})


def _decide(
    request: Request,
    session: Session,
    by: Principal,
    item_id: int,
    decision: MatchDecision,
    *,
    merged: bool,
) -> Response:
    """Decide the item (the service asks the policy); the outcome's page, or why not."""
    try:
        child = decision(session, by=by, item_id=item_id)
    except ReviewError as error:
        session.rollback()
        return _problem_page(request, HTTPStatus(error.status), str(error))
    session.commit()
    context = {"item_id": item_id, "merged": merged, "contactpoint_id": child.contactpoint_id}
    return render(request, "review/decided.html", context)


def _split_form(
    request: Request,
    session: Session,
    by: Principal,
    contactpoint_id: str,
    problems: dict[str, str],
) -> Response:
    try:
        child = child_to_split(session, by=by, contactpoint_id=contactpoint_id)
    except ReviewError as error:
        return _problem_page(request, HTTPStatus(error.status), str(error))
    context: dict[str, Any] = {
        "child": child,
        "records": child_records(session, child=child),
        "problems": problems,
        "summary": error_summary(problems),
    }
    status = HTTPStatus.BAD_REQUEST if problems else HTTPStatus.OK
    return render(request, "review/split.html", context, status=status)


def _chosen_records(form: FormData | None) -> list[int] | None:
    """The record ids ticked; None when any is not an id a page of ours could send."""
    values = [] if form is None else form.getlist("records")
    chosen = []
    for value in values:
        if not (
            isinstance(value, str)
            and value.isascii()
            and value.isdigit()
            and len(value) <= _MAX_RECORD_DIGITS
        ):
            return None
        chosen.append(int(value))
    return chosen


def _problem_page(request: Request, status: HTTPStatus, message: str) -> Response:
    return render(request, "review/problem.html", {"message": message}, status=status)
