"""The review queue's API, version 1: the pages' queue, evidence and decisions as JSON.

``/api/v1/review`` lists open items within the caller's reach (``page`` from 1, 50
a page, oldest first; below 1 answers 422, past the last page 404);
``/api/v1/review/{item_id}`` is one item's evidence; ``.../accept`` and
``.../reject`` decide it; ``/api/v1/review/children/{contactpoint_id}/split``
moves chosen source records to the child they belong to (a merged-away child
revived under its own ContactPoint ID, or a new one) and answers who viewed the
wrongly merged child. The services ask the policy themselves; an unknown item answers
404, a decided one 409, records that cannot be split off 422, each as problem
details saying why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated, Any, Final

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from contactpoint.access.permissions import Permission
from contactpoint.linkage.review import (
    NoSuchPageError,
    ReviewError,
    accept_match,
    reject_match,
    review_evidence,
    review_queue,
    split_child,
)
from contactpoint.web.authorisation import Caller, problem, requires
from contactpoint.web.dependencies import DatabaseSession

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from starlette.responses import Response

    from contactpoint.access.policy import Principal
    from contactpoint.linkage.review import MatchDecision

router = APIRouter(tags=["review"])

REVIEWING: Final = [requires(Permission.LINKAGE_REVIEW_WORK)]
API_REVIEW: Final = "/api/v1/review"
LARGEST_ID: Final = 2**31 - 1
MOST_RECORDS: Final = 1000

ItemId = Annotated[int, Field(ge=1, le=LARGEST_ID)]


class QueueEntryOut(BaseModel):
    item_id: int
    held_at: dt.datetime
    match_weight: float
    source: str
    provisional_contactpoint_id: str
    candidate_contactpoint_id: str


class QueueOut(BaseModel):
    items: list[QueueEntryOut]
    page: int
    pages: int
    total: int


class ReportedRecordOut(BaseModel):
    source_record_id: int
    source: str
    extracted_on: dt.date
    live: bool
    given_name: str | None
    middle_names: str | None
    family_name: str | None
    former_family_names: list[str]
    date_of_birth: dt.date | None
    gender: str | None
    address_line_1: str | None
    postcode: str | None
    nhs_number: str | None
    upn: str | None
    carers: list[str]


class ComparisonOut(BaseModel):
    comparison: str
    level: str
    weight: float


class EvidenceOut(BaseModel):
    item_id: int
    status: str
    match_weight: float = Field(description="The prior plus every comparison's weight.")
    prior: float
    comparisons: list[ComparisonOut]
    model_version: str
    provisional_contactpoint_id: str
    candidate_contactpoint_id: str
    incoming: ReportedRecordOut
    candidate_records: list[ReportedRecordOut]
    shielded: bool


class DecidedOut(BaseModel):
    item_id: int
    status: str
    contactpoint_id: str = Field(description="The surviving child, or the child kept apart.")


class SplitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source_record_ids: list[ItemId] = Field(min_length=1, max_length=MOST_RECORDS)


class ViewerOut(BaseModel):
    user_id: int
    role: str | None
    organisation_id: int | None
    last_seen_at: dt.datetime


class SplitOut(BaseModel):
    contactpoint_id: str = Field(description="The child split from.")
    new_contactpoint_id: str = Field(
        description="The child the records went to: a new one, or one revived."
    )
    moved_source_record_ids: list[int]
    viewers: list[ViewerOut]
    revived: bool = Field(
        description="new_contactpoint_id had been merged into the child split from "
        "and leads to its own records again."
    )
    merged_ids_moved: list[str] = Field(
        description="Other merged-away ContactPoint IDs that now lead to new_contactpoint_id."
    )


@router.get(API_REVIEW, dependencies=REVIEWING, response_model=QueueOut)
def queue(
    request: Request,
    caller: Caller,
    session: DatabaseSession,
    page: Annotated[int, Query(ge=1, le=LARGEST_ID)] = 1,
) -> Any:
    """Open items within your reach, oldest first."""
    try:
        found = review_queue(session, by=caller, page=page)
    except NoSuchPageError as error:
        return problem(request, HTTPStatus.NOT_FOUND, str(error))
    items = [QueueEntryOut(**asdict(entry)) for entry in found.rows]
    return QueueOut(items=items, page=found.number, pages=found.pages, total=found.total)


@router.get(API_REVIEW + "/{item_id}", dependencies=REVIEWING, response_model=EvidenceOut)
def evidence(request: Request, item_id: int, caller: Caller, session: DatabaseSession) -> Any:
    """The incoming record and the candidate child's, with the weights that decided."""
    try:
        found = review_evidence(session, by=caller, item_id=item_id)
    except ReviewError as error:
        return _refused(request, error)
    session.commit()
    return EvidenceOut(**{**asdict(found), "status": found.status.value})


@router.post(API_REVIEW + "/{item_id}/accept", dependencies=REVIEWING, response_model=DecidedOut)
def accept(request: Request, item_id: int, caller: Caller, session: DatabaseSession) -> Any:
    """Merge the provisional child into the candidate."""
    return _decide(request, session, caller, item_id, accept_match, status="merged")


@router.post(API_REVIEW + "/{item_id}/reject", dependencies=REVIEWING, response_model=DecidedOut)
def reject(request: Request, item_id: int, caller: Caller, session: DatabaseSession) -> Any:
    """Keep the two children separate."""
    return _decide(request, session, caller, item_id, reject_match, status="kept_separate")


@router.post(
    API_REVIEW + "/children/{contactpoint_id}/split",
    dependencies=REVIEWING,
    response_model=SplitOut,
)
def split(
    request: Request,
    contactpoint_id: str,
    wanted: SplitIn,
    caller: Caller,
    session: DatabaseSession,
) -> Any:
    """Move these source records to the child they belong to (revived, or a new one); who
    viewed the wrongly merged child."""
    try:
        result = split_child(
            session, by=caller, contactpoint_id=contactpoint_id,
            source_record_ids=wanted.source_record_ids,
        )  # fmt: skip
    except ReviewError as error:
        session.rollback()
        return _refused(request, error)
    session.commit()
    return SplitOut(**asdict(result))


def _decide(
    request: Request,
    session: Session,
    caller: Principal,
    item_id: int,
    decision: MatchDecision,
    *,
    status: str,
) -> DecidedOut | Response:
    """Decide the item (the service asks the policy); the outcome, or problem details."""
    try:
        child = decision(session, by=caller, item_id=item_id)
    except ReviewError as error:
        session.rollback()
        return _refused(request, error)
    session.commit()
    return DecidedOut(item_id=item_id, status=status, contactpoint_id=child.contactpoint_id)


def _refused(request: Request, error: ReviewError) -> Response:
    return problem(request, HTTPStatus(error.status), str(error))
