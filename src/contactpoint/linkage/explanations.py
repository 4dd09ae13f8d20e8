"""Why a source record belongs to its child: its link decisions, comparison by comparison.

Every decision keeps the model version, the match weight and the weights that
made it (``link_decision``). This reads them back for one source record, newest
first, so that a data manager or the council team can see why a record was
linked, held for review or made a new child, and check that the prior and the
comparison weights add up to the match weight that decided.

Decisions that involve a shielded child are shown only to those the review queue
shows them to: the same policy (:func:`.shields.require_shield_views`) decides, and
refuses the others (:class:`ShieldedRecordError`). What is shown is audited here, as a
view of each child the decisions involve: those they name or lead to, and those a
review item set the record beside (whose values the weights compare against).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from contactpoint.access.policy import AccessDeniedError
from contactpoint.directory.models import Child
from contactpoint.directory.services import find_child
from contactpoint.linkage import audit_trail
from contactpoint.linkage.models import LinkDecision, LinkOutcome, ReviewItem
from contactpoint.linkage.shields import require_shield_views
from contactpoint.provenance.models import Feed, Source, SourceRecord

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from contactpoint.access.policy import Principal


class UnknownRecordError(LookupError):
    """No source record has this source and record_id; the message says which."""


class ShieldedRecordError(PermissionError):
    """The record's decisions involve a shielded child whose details the asker may not see."""


@dataclass(frozen=True, slots=True)
class WeightedComparison:
    comparison: str
    level: str
    weight: float


@dataclass(frozen=True, slots=True)
class ExplainedDecision:
    outcome: LinkOutcome
    contactpoint_id: str  # the child the decision named
    resolves_to: str  # where that ContactPoint ID leads now (itself, or the child it merged into)
    decided_at: dt.datetime
    decided_by: str
    model_version: str
    match_weight: float | None  # None for a person's decision or a new child with no candidate
    prior: float | None
    comparisons: tuple[WeightedComparison, ...]


def explain_record(
    session: Session, *, by: Principal, source: str, record_id: str, reason: str
) -> list[ExplainedDecision]:
    """The link decisions of this source's child record ``record_id``, newest first, if
    ``by`` may see the hidden details of every shielded child they involve. Audited: a
    view, with ``reason``, of each child they involve (as each now stands); a reason the
    audit trail cannot keep raises ValueError before anything is recorded."""
    record_pk = session.scalar(
        select(SourceRecord.id)
        .join(Source, Source.id == SourceRecord.source_id)
        .where(
            Source.name == source,
            SourceRecord.feed == Feed.CHILDREN,
            SourceRecord.record_key == record_id,
        )
    )
    if record_pk is None:
        raise UnknownRecordError(f"{source} has no child record with record_id {record_id!r}")
    decisions = list(
        session.scalars(
            select(LinkDecision)
            .where(LinkDecision.source_record_id == record_pk)
            .order_by(LinkDecision.decided_at.desc(), LinkDecision.id.desc())
        )
    )
    explained = [_explained(session, decision) for decision in decisions]
    # A decision's weights compare the record with a child (a held record's: the
    # candidate, often chosen because it is shielded), and levels such as the household's
    # say where that child lives: the review queue's own rule decides who may see them.
    involved = _involved(session, record_pk, decisions, explained)
    try:
        require_shield_views(session, by=by, children=involved)
    except AccessDeniedError as refused:
        raise ShieldedRecordError(
            f"the decisions of {source}'s record {record_id!r} involve a shielded child, so"
            f" they are not shown: {refused}"
        ) from None
    audit_trail.decisions_explained(
        session, by=by, contactpoint_ids=_as_now(session, involved), reason=reason
    )
    return explained


def _as_now(session: Session, children: set[int]) -> set[str]:
    """The ContactPoint IDs of these children as they now stand (merged-away: the survivor)."""
    found: set[str] = set()
    for child in session.scalars(select(Child).where(Child.id.in_(children))):
        now = find_child(session, child.contactpoint_id)
        found.add(child.contactpoint_id if now is None else now.contactpoint_id)
    return found


def _involved(
    session: Session,
    record_pk: int,
    decisions: list[LinkDecision],
    explained: list[ExplainedDecision],
) -> set[int]:
    """The children these decisions name or lead to, and those a review item of this
    record set it beside."""
    children = {decision.child_id for decision in decisions}
    children |= set(
        session.scalars(select(Child.id).where(
            Child.contactpoint_id.in_({e.resolves_to for e in explained})
        ))
    )  # fmt: skip
    for provisional, candidate in session.execute(
        select(ReviewItem.provisional_child_id, ReviewItem.candidate_child_id).where(
            ReviewItem.source_record_id == record_pk
        )
    ):
        children |= {provisional, candidate}
    return children


def _explained(session: Session, decision: LinkDecision) -> ExplainedDecision:
    stored = json.loads(decision.explanation) if decision.explanation else {}
    named = session.get(Child, decision.child_id)
    if named is None:  # the foreign key keeps it; says so to the type checker
        raise LookupError(f"link decision {decision.id} names no child")
    now = find_child(session, named.contactpoint_id)
    return ExplainedDecision(
        outcome=decision.outcome,
        contactpoint_id=named.contactpoint_id,
        resolves_to=now.contactpoint_id if now is not None else named.contactpoint_id,
        decided_at=decision.decided_at,
        decided_by=decision.decided_by,
        model_version=decision.model_version,
        match_weight=decision.match_weight,
        prior=stored.get("prior"),
        comparisons=tuple(
            WeightedComparison(part["comparison"], part["level"], part["weight"])
            for part in stored.get("comparisons", ())
        ),
    )
