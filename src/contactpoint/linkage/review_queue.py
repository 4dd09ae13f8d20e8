"""Reading the review queue: the open items within reach, and one item's evidence.

The evidence sets the record held for review beside the candidate child's records,
as the sources reported them, with the weights that scored the pair; reading it is
recorded as a view of both children.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, TypeAlias

from sqlalchemy import select

from contactpoint.access.policy import Reach, decide, require
from contactpoint.access.reach import organisations_within_reach
from contactpoint.linkage import audit_trail
from contactpoint.linkage.models import ReviewItem, ReviewStatus
from contactpoint.linkage.review_items import (
    REVIEW,
    NoSuchReviewItemError,
    held_decision,
    require_shield_views,
    review_item,
    surviving_child,
)
from contactpoint.provenance.models import Feed, Source, SourceRecord, SourceRecordStatus
from contactpoint.provenance.reported import child_from_payload
from contactpoint.storage.paging import Page, read_page

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from sqlalchemy.sql import ColumnElement

    from contactpoint.access.policy import Principal
    from contactpoint.directory.models import Child

__all__ = [
    "QUEUE_PAGE_SIZE",
    "Comparison",
    "QueueEntry",
    "QueuePage",
    "ReportedRecord",
    "ReviewEvidence",
    "child_records",
    "review_evidence",
    "review_queue",
]

QUEUE_PAGE_SIZE: Final = 50
# How a page number past the end names the queue; the words audit reports use, as the
# queue's pages and API have always said.
_WHOLE: Final = "the report has"


@dataclass(frozen=True, slots=True)
class QueueEntry:
    item_id: int
    held_at: dt.datetime
    match_weight: float
    source: str
    provisional_contactpoint_id: str
    candidate_contactpoint_id: str


QueuePage: TypeAlias = Page[QueueEntry]


@dataclass(frozen=True, slots=True)
class ReportedRecord:
    """What one source reported about a child: the side-by-side evidence."""

    source_record_id: int
    source: str
    extracted_on: dt.date
    live: bool
    given_name: str | None
    middle_names: str | None
    family_name: str | None
    former_family_names: tuple[str, ...]
    date_of_birth: dt.date | None
    gender: str | None
    address_line_1: str | None
    postcode: str | None
    nhs_number: str | None
    upn: str | None
    carers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Comparison:
    comparison: str
    level: str
    weight: float


@dataclass(frozen=True, slots=True)
class ReviewEvidence:
    """A review item, the incoming record and the candidate child's, and why they scored so.

    ``prior`` plus the comparisons' weights is the ``match_weight`` that decided.
    """

    item_id: int
    status: ReviewStatus
    match_weight: float
    prior: float
    comparisons: list[Comparison]
    model_version: str
    provisional_contactpoint_id: str
    candidate_contactpoint_id: str
    incoming: ReportedRecord
    candidate_records: list[ReportedRecord]
    shielded: bool


def review_queue(
    session: Session, *, by: Principal, page: int = 1, size: int = QUEUE_PAGE_SIZE
) -> QueuePage:
    """Open items within ``by``'s reach, oldest first; :class:`NoSuchPageError` past the end."""
    decision = require(decide(by, REVIEW))
    conditions: list[ColumnElement[bool]] = [ReviewItem.status == ReviewStatus.OPEN]
    if decision.reach is not Reach.NATIONAL:
        councils = organisations_within_reach(session, principal=by, permission=REVIEW)
        conditions.append(ReviewItem.council_id.in_(sorted(councils or ())))
    oldest_first = (
        select(ReviewItem, Source.name)
        .join(SourceRecord, SourceRecord.id == ReviewItem.source_record_id)
        .join(Source, Source.id == SourceRecord.source_id)
        .where(*conditions)
        .order_by(ReviewItem.created_at, ReviewItem.id)
    )
    found = read_page(session, oldest_first, number=page, size=size, whole=_WHOLE)
    return found.map(lambda row: _entry(session, *row))


def review_evidence(session: Session, *, by: Principal, item_id: int) -> ReviewEvidence:
    """The evidence for one item, recorded as a view of each child in it."""
    item = review_item(session, by=by, item_id=item_id)
    provisional = surviving_child(session, item.provisional_child_id)
    candidate = surviving_child(session, item.candidate_child_id)
    shielded = require_shield_views(session, by=by, children=(provisional, candidate))
    held = held_decision(session, item)
    explained = json.loads(held.explanation) if held is not None and held.explanation else {}
    incoming = session.get(SourceRecord, item.source_record_id)
    if incoming is None:  # the foreign key makes this impossible
        raise NoSuchReviewItemError(item_id)
    evidence = ReviewEvidence(
        item_id=item.id,
        status=item.status,
        match_weight=item.match_weight,
        prior=float(explained.get("prior", 0.0)),
        comparisons=[Comparison(**part) for part in explained.get("comparisons", [])],
        model_version="" if held is None else held.model_version,
        provisional_contactpoint_id=provisional.contactpoint_id,
        candidate_contactpoint_id=candidate.contactpoint_id,
        incoming=_reported(session, incoming),
        candidate_records=child_records(session, child=candidate),
        shielded=shielded,
    )
    audit_trail.evidence_viewed(
        session,
        by=by,
        item_id=item.id,
        contactpoint_ids=[provisional.contactpoint_id, candidate.contactpoint_id],
    )
    return evidence


def child_records(session: Session, *, child: Child) -> list[ReportedRecord]:
    """The child-feed source records of ``child`` (live first), as the sources reported them."""
    records = session.scalars(
        select(SourceRecord)
        .where(SourceRecord.child_id == child.id, SourceRecord.feed == Feed.CHILDREN)
        .order_by(SourceRecord.status, SourceRecord.id)
    )
    return [_reported(session, record) for record in records]


def _entry(session: Session, item: ReviewItem, source: str) -> QueueEntry:
    return QueueEntry(
        item_id=item.id,
        held_at=item.created_at,
        match_weight=item.match_weight,
        source=source,
        provisional_contactpoint_id=surviving_child(
            session, item.provisional_child_id
        ).contactpoint_id,
        candidate_contactpoint_id=surviving_child(session, item.candidate_child_id).contactpoint_id,
    )


def _reported(session: Session, record: SourceRecord) -> ReportedRecord:
    source = session.get(Source, record.source_id)
    row = None if record.payload is None else child_from_payload(record.payload)
    address = None if row is None else row.address
    carers = () if row is None else tuple(
        " ".join(part for part in (carer.given_name, carer.family_name) if part)
        for carer in row.carers
    )  # fmt: skip
    return ReportedRecord(
        source_record_id=record.id,
        source="" if source is None else source.name,
        extracted_on=record.extracted_on,
        live=record.status is SourceRecordStatus.LIVE,
        given_name=record.given_name,
        middle_names=record.middle_names,
        family_name=record.family_name,
        former_family_names=() if row is None else row.former_family_names,
        date_of_birth=record.date_of_birth,
        gender=None if record.gender is None else record.gender.value,
        address_line_1=None if address is None else address.line_1,
        postcode=None if address is None else address.postcode,
        nhs_number=record.nhs_number,
        upn=record.upn,
        carers=carers,
    )
