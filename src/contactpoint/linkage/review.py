"""The review queue: a person decides the matches the model was not sure of, and unmerges.

A record held for review is linked to a provisional new child; its
:class:`ReviewItem` names the child it may belong to (the candidate). A council
team member sees the evidence side by side (:func:`review_evidence`) and then:

- accepts (:func:`accept_match`): the provisional child is merged into the
  candidate. Its source records, their values and its link decisions move to the
  survivor; the merged-away child keeps its row and ContactPoint ID, pointing at
  the survivor (chains are collapsed, so one step always reaches it); a shield
  of either child ends up on the survivor;
- keeps them separate (:func:`reject_match`): both children stay;
- or, for a child merged wrongly (by a person or by the model), splits chosen
  source records off to a new child (:func:`split_child`) and learns who viewed
  the wrongly merged child, so the council can tell them.

No decision deletes a source record. Every service asks the policy itself
(``linkage:review:work`` within the item's council; the hidden details of a
shielded child need ``directory:shielded_child:view`` within the shield's council)
and records each decision in the audit trail.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import func, select, update

from contactpoint.access.permissions import Permission
from contactpoint.access.policy import Reach, Target, decide, require
from contactpoint.access.reach import organisations_within_reach
from contactpoint.audit.events import ActorKind
from contactpoint.audit.reports import NoSuchPageError, who_viewed_child
from contactpoint.directory.models import Child, Involvement, Shield
from contactpoint.directory.services import register_child
from contactpoint.directory.source_values import VALUE_TABLES, refresh_children
from contactpoint.identifiers.contactpoint_id import normalise_contactpoint_id
from contactpoint.identifiers.errors import InvalidIdentifierError
from contactpoint.linkage import audit_trail
from contactpoint.linkage.models import LinkDecision, LinkOutcome, ReviewItem, ReviewStatus
from contactpoint.organisations.models import Organisation
from contactpoint.provenance.models import Feed, Source, SourceRecord, SourceRecordStatus
from contactpoint.provenance.reported import child_from_payload

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from contactpoint.access.policy import Principal

__all__ = [
    "QUEUE_PAGE_SIZE",
    "AlreadyDecidedError",
    "Comparison",
    "NoSuchChildError",
    "NoSuchReviewItemError",
    "QueueEntry",
    "QueuePage",
    "ReportedRecord",
    "ReviewError",
    "ReviewEvidence",
    "SplitError",
    "SplitResult",
    "Viewer",
    "accept_match",
    "child_records",
    "child_to_split",
    "reject_match",
    "review_evidence",
    "review_queue",
    "split_child",
]

QUEUE_PAGE_SIZE: Final = 50
PERSON_MODEL: Final = "person"  # the model version of a decision a person made
_REVIEW: Final = Permission.LINKAGE_REVIEW_WORK
_SHIELDED: Final = Permission.DIRECTORY_SHIELDED_CHILD_VIEW
_MOVED_WITH_CHILD: Final = (*VALUE_TABLES, Involvement)


class ReviewError(Exception):
    """A request the queue cannot carry out; ``status`` is the HTTP answer that fits."""

    status = 400


class NoSuchReviewItemError(ReviewError):
    status = 404

    def __init__(self, item_id: int) -> None:
        super().__init__(f"There is no review item {item_id}.")


class NoSuchChildError(ReviewError):
    status = 404

    def __init__(self) -> None:
        super().__init__("There is no child with that ContactPoint ID.")


class AlreadyDecidedError(ReviewError):
    status = 409


class SplitError(ReviewError):
    """Which records to split off makes no sense for this child; the message says why."""

    status = 422


@dataclass(frozen=True, slots=True)
class QueueEntry:
    item_id: int
    held_at: dt.datetime
    match_weight: float
    source: str
    provisional_contactpoint_id: str
    candidate_contactpoint_id: str


@dataclass(frozen=True, slots=True)
class QueuePage:
    entries: list[QueueEntry]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


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


@dataclass(frozen=True, slots=True)
class Viewer:
    """A user the audit trail shows with a wrongly merged child, by identifier."""

    user_id: int
    role: str | None
    organisation_id: int | None
    last_seen_at: dt.datetime


@dataclass(frozen=True, slots=True)
class SplitResult:
    contactpoint_id: str  # the child split from
    new_contactpoint_id: str
    moved_source_record_ids: list[int]
    viewers: list[Viewer]


# --- The queue and its evidence ---------------------------------------------------------


def review_queue(
    session: Session, *, by: Principal, page: int = 1, size: int = QUEUE_PAGE_SIZE
) -> QueuePage:
    """Open items within ``by``'s reach, oldest first; :class:`NoSuchPageError` past the end."""
    decision = require(decide(by, _REVIEW))
    conditions: list[Any] = [ReviewItem.status == ReviewStatus.OPEN]
    if decision.reach is not Reach.NATIONAL:
        councils = organisations_within_reach(session, principal=by, permission=_REVIEW)
        conditions.append(ReviewItem.council_id.in_(sorted(councils or ())))
    total = session.scalar(select(func.count()).select_from(ReviewItem).where(*conditions)) or 0
    found = QueuePage([], page, size, int(total))
    if not 1 <= page <= found.pages:
        raise NoSuchPageError(page, pages=found.pages)
    rows = session.execute(
        select(ReviewItem, Source.name)
        .join(SourceRecord, SourceRecord.id == ReviewItem.source_record_id)
        .join(Source, Source.id == SourceRecord.source_id)
        .where(*conditions)
        .order_by(ReviewItem.created_at, ReviewItem.id)
        .offset((page - 1) * size)
        .limit(size)
    ).all()
    entries = [
        QueueEntry(
            item_id=item.id,
            held_at=item.created_at,
            match_weight=item.match_weight,
            source=source,
            provisional_contactpoint_id=_survivor(
                session, item.provisional_child_id
            ).contactpoint_id,
            candidate_contactpoint_id=_survivor(session, item.candidate_child_id).contactpoint_id,
        )
        for item, source in rows
    ]
    return QueuePage(entries, page, size, found.total)


def review_evidence(session: Session, *, by: Principal, item_id: int) -> ReviewEvidence:
    """The evidence for one item, recorded as a view of each child in it."""
    item = _item(session, by=by, item_id=item_id)
    provisional = _survivor(session, item.provisional_child_id)
    candidate = _survivor(session, item.candidate_child_id)
    shielded = _require_shield_views(session, by=by, children=(provisional, candidate))
    held = _held_decision(session, item)
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


# --- Decisions --------------------------------------------------------------------------


def accept_match(session: Session, *, by: Principal, item_id: int) -> Child:
    """Merge the item's provisional child into its candidate; the surviving child."""
    item = _open_item(session, by=by, item_id=item_id)
    merged = _survivor(session, item.provisional_child_id)
    survivor = _survivor(session, item.candidate_child_id)
    if merged.id == survivor.id:
        raise AlreadyDecidedError("These records are already one child.")
    _require_shield_views(session, by=by, children=(merged, survivor))
    _merge(session, merged=merged, survivor=survivor)
    _decide(session, item, by=by, child_id=survivor.id, outcome=LinkOutcome.MERGED)
    audit_trail.match_accepted(
        session,
        by=by,
        item_id=item.id,
        merged=merged.contactpoint_id,
        survivor=survivor.contactpoint_id,
    )
    session.flush()
    return survivor


def reject_match(session: Session, *, by: Principal, item_id: int) -> Child:
    """Keep the provisional child apart from the candidate; the provisional child."""
    item = _open_item(session, by=by, item_id=item_id)
    provisional = _survivor(session, item.provisional_child_id)
    candidate = _survivor(session, item.candidate_child_id)
    _require_shield_views(session, by=by, children=(provisional, candidate))
    _decide(session, item, by=by, child_id=provisional.id, outcome=LinkOutcome.KEPT_SEPARATE)
    audit_trail.match_rejected(
        session,
        by=by,
        item_id=item.id,
        provisional=provisional.contactpoint_id,
        candidate=candidate.contactpoint_id,
    )
    session.flush()
    return provisional


def split_child(
    session: Session, *, by: Principal, contactpoint_id: str, source_record_ids: Collection[int]
) -> SplitResult:
    """Move the chosen child records (with their values and involvements) to a new child."""
    child = _child_to_split(session, by=by, contactpoint_id=contactpoint_id)
    chosen = set(source_record_ids)
    moved = _records_to_split(session, child=child, chosen=chosen)
    new_child = register_child(session, date_of_birth=child.date_of_birth, gender=child.gender)
    _move_records(session, moved, from_child=child.id, to_child=new_child.id)
    _copy_shield(session, from_child=child, to_child=new_child)
    refresh_children(session, [child.id, new_child.id])
    decided_by = _decided_by(by)
    session.add_all(
        LinkDecision(source_record_id=record_id, child_id=new_child.id, outcome=LinkOutcome.SPLIT,
                     match_weight=None, model_version=PERSON_MODEL, explanation=None,
                     decided_by=decided_by)
        for record_id in sorted(chosen)
    )  # fmt: skip
    audit_trail.child_split(
        session,
        by=by,
        split_from=child.contactpoint_id,
        new_child=new_child.contactpoint_id,
        records_moved=len(chosen),
    )
    viewers = _viewers(session, child)
    audit_trail.viewers_listed(
        session, by=by, contactpoint_id=child.contactpoint_id, rows=len(viewers)
    )
    session.flush()
    return SplitResult(child.contactpoint_id, new_child.contactpoint_id, sorted(moved), viewers)


def child_to_split(session: Session, *, by: Principal, contactpoint_id: str) -> Child:
    """The child whose records may be split off (for the page that chooses them)."""
    return _child_to_split(session, by=by, contactpoint_id=contactpoint_id)


# --- Helpers ----------------------------------------------------------------------------


def _item(session: Session, *, by: Principal, item_id: int, lock: bool = False) -> ReviewItem:
    item = session.get(ReviewItem, item_id, with_for_update=lock)
    if item is None:
        raise NoSuchReviewItemError(item_id)
    require(decide(by, _REVIEW, target=Target(organisation_id=None, council_id=item.council_id)))
    return item


def _open_item(session: Session, *, by: Principal, item_id: int) -> ReviewItem:
    item = _item(session, by=by, item_id=item_id, lock=True)
    if item.status is not ReviewStatus.OPEN:
        decided = item.status.value.replace("_", " ")
        raise AlreadyDecidedError(f"Review item {item_id} has already been decided: {decided}.")
    return item


def _survivor(session: Session, child_id: int) -> Child:
    """The child, or the child it was merged into (merges collapse chains; loop-safe)."""
    child = session.get(Child, child_id)
    seen: set[int] = set()
    while child is not None and child.merged_into_id is not None and child.id not in seen:
        seen.add(child.id)
        child = session.get(Child, child.merged_into_id)
    if child is None:  # foreign keys make this impossible
        raise NoSuchChildError
    return child


def _cpid(session: Session, child_id: int) -> str:
    return _survivor(session, child_id).contactpoint_id


def _open_shield(session: Session, child: Child) -> Shield | None:
    return session.scalar(
        select(Shield).where(Shield.child_id == child.id, Shield.ended_on.is_(None))
    )


def _require_shield_views(session: Session, *, by: Principal, children: Sequence[Child]) -> bool:
    """Refuse unless ``by`` may see the hidden details of each shielded child; any shielded."""
    shielded = False
    for child in children:
        shield = _open_shield(session, child)
        if shield is not None:
            shielded = True
            require(decide(by, _SHIELDED, target=Target(None, council_id=shield.council_id)))
    return shielded


def _held_decision(session: Session, item: ReviewItem) -> LinkDecision | None:
    return session.scalar(
        select(LinkDecision)
        .where(
            LinkDecision.source_record_id == item.source_record_id,
            LinkDecision.outcome == LinkOutcome.HELD_FOR_REVIEW,
        )
        .order_by(LinkDecision.id.desc())
        .limit(1)
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


def _decided_by(by: Principal) -> str:
    """Who decided, by identifier: ``user:12``; the operator by account, a system by name."""
    if by.user_id is not None:
        return f"user:{by.user_id}"
    kind = ActorKind.OPERATOR.value if by.kind.value == "operator" else ActorKind.SERVICE.value
    return f"{kind}:{by.name}"[:200]


def _decide(
    session: Session, item: ReviewItem, *, by: Principal, child_id: int, outcome: LinkOutcome
) -> None:
    held = _held_decision(session, item)
    decided_by = _decided_by(by)
    session.add(
        LinkDecision(
            source_record_id=item.source_record_id,
            child_id=child_id,
            outcome=outcome,
            match_weight=item.match_weight,
            model_version=PERSON_MODEL if held is None else held.model_version,
            explanation=None if held is None else held.explanation,
            decided_by=decided_by,
        )
    )
    item.status = (
        ReviewStatus.MERGED if outcome is LinkOutcome.MERGED else ReviewStatus.KEPT_SEPARATE
    )
    item.decided_at = dt.datetime.now(dt.UTC)
    item.decided_by = decided_by


def _merge(session: Session, *, merged: Child, survivor: Child) -> None:
    """Everything of ``merged`` moves to ``survivor``; its ID then points there, in one step."""
    for table in (SourceRecord, LinkDecision, *_MOVED_WITH_CHILD):
        session.execute(
            update(table).where(table.child_id == merged.id).values(child_id=survivor.id)
        )
    # Children merged into the merged-away child earlier now point at the survivor too.
    session.execute(
        update(Child).where(Child.merged_into_id == merged.id).values(merged_into_id=survivor.id)
    )
    _copy_shield(session, from_child=merged, to_child=survivor)
    now = dt.datetime.now(dt.UTC)
    merged.merged_into_id, merged.updated_at, survivor.updated_at = survivor.id, now, now
    session.flush()
    session.expire(survivor)
    refresh_children(session, [survivor.id])


def _copy_shield(session: Session, *, from_child: Child, to_child: Child) -> None:
    """No shield is lost: a shield of ``from_child`` shields ``to_child`` too, if not already."""
    shield = _open_shield(session, from_child)
    if shield is None or _open_shield(session, to_child) is not None:
        return
    today = dt.datetime.now(dt.UTC).date()
    session.add(
        Shield(
            child_id=to_child.id,
            council_id=shield.council_id,
            reason=shield.reason,
            started_on=today,
            review_on=max(shield.review_on, today),
        )
    )
    session.flush()


def _child_to_split(session: Session, *, by: Principal, contactpoint_id: str) -> Child:
    require(decide(by, _REVIEW))
    try:
        wanted = normalise_contactpoint_id(contactpoint_id)
    except InvalidIdentifierError:
        raise NoSuchChildError from None
    child = session.scalar(select(Child).where(Child.contactpoint_id == wanted))
    if child is None:
        raise NoSuchChildError
    child = _survivor(session, child.id)
    councils = _councils_of(session, child)
    decisions = [decide(by, _REVIEW, target=Target(None, council_id=c)) for c in councils]
    allowed = [d for d in decisions if d.allowed]
    if not allowed:
        require(decisions[0] if decisions else decide(by, _REVIEW, target=Target(None, None)))
    _require_shield_views(session, by=by, children=(child,))
    return child


def _councils_of(session: Session, child: Child) -> list[int]:
    """The councils a child is known to: its sources' organisations', and its review items'."""
    organisations = session.scalars(
        select(Organisation)
        .join(Source, Source.organisation_id == Organisation.id)
        .join(SourceRecord, SourceRecord.source_id == Source.id)
        .where(SourceRecord.child_id == child.id)
        .distinct()
    )
    councils = {o.own_council_id for o in organisations if o.own_council_id is not None}
    merged_in = select(Child.id).where(Child.merged_into_id == child.id)
    items = session.scalars(
        select(ReviewItem.council_id).where(
            ReviewItem.council_id.is_not(None),
            ReviewItem.candidate_child_id.in_(merged_in)
            | ReviewItem.provisional_child_id.in_(merged_in)
            | (ReviewItem.candidate_child_id == child.id)
            | (ReviewItem.provisional_child_id == child.id),
        )
    )
    councils.update(council for council in items if council is not None)
    return sorted(councils)


def _records_to_split(session: Session, *, child: Child, chosen: set[int]) -> dict[int, str]:
    """The chosen child records (id to source and key), or :class:`SplitError` saying why not."""
    held = {
        record.id: record
        for record in session.scalars(
            select(SourceRecord).where(
                SourceRecord.child_id == child.id, SourceRecord.feed == Feed.CHILDREN
            )
        )
    }
    if not chosen:
        raise SplitError("Choose at least one record to split off.")
    strangers = sorted(chosen - held.keys())
    if strangers:
        listed = ", ".join(str(record_id) for record_id in strangers)
        raise SplitError(f"Not records of this child: {listed}.")
    if chosen >= held.keys():
        raise SplitError("Leave at least one record with this child: choose fewer to split off.")
    return {record_id: f"{held[record_id].source_id}:{held[record_id].record_key}"
            for record_id in chosen}  # fmt: skip


def _move_records(
    session: Session, moved: dict[int, str], *, from_child: int, to_child: int
) -> None:
    """The chosen child records, the involvement records that hang on them, and all values."""
    involvement_records = [
        record.id
        for record in session.scalars(
            select(SourceRecord).where(
                SourceRecord.child_id == from_child, SourceRecord.feed == Feed.INVOLVEMENTS
            )
        )
        if record.payload is not None
        and f"{record.source_id}:{json.loads(record.payload).get('child_record_id')}"
        in moved.values()
    ]
    ids = [*moved, *involvement_records]
    session.execute(update(SourceRecord).where(SourceRecord.id.in_(ids)).values(child_id=to_child))
    for table in _MOVED_WITH_CHILD:
        session.execute(
            update(table)
            .where(table.child_id == from_child, table.source_record_id.in_(ids))
            .values(child_id=to_child)
        )


def _viewers(session: Session, child: Child) -> list[Viewer]:
    """Every user the trail shows with this child (or an ID merged into it), last seen first."""
    merged_in = session.scalars(
        select(Child.contactpoint_id).where(Child.merged_into_id == child.id)
    )
    latest: dict[int, Viewer] = {}
    for contactpoint_id in {child.contactpoint_id, *merged_in}:
        for row in who_viewed_child(session, contactpoint_id):
            if row.actor_kind is not ActorKind.USER or row.actor_user_id is None:
                continue
            seen = latest.get(row.actor_user_id)
            if seen is None or row.occurred_at > seen.last_seen_at:
                latest[row.actor_user_id] = Viewer(
                    row.actor_user_id, row.actor_role, row.actor_organisation_id, row.occurred_at
                )
    return sorted(latest.values(), key=lambda viewer: viewer.last_seen_at, reverse=True)
