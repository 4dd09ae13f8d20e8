"""Why a source record belongs to its child: its link decisions, comparison by comparison.

Every decision keeps the model version, the match weight and the weights that
made it (``link_decision``). This reads them back for one source record, newest
first, so that a data manager or the council team can see why a record was
linked, held for review or made a new child, and check that the prior and the
comparison weights add up to the match weight that decided. Decisions that
involve a shielded child are not read back here (see :class:`ShieldedRecordError`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from contactpoint.directory.models import Child, Shield
from contactpoint.directory.services import find_child
from contactpoint.linkage.models import LinkDecision, LinkOutcome, ReviewItem
from contactpoint.provenance.models import Feed, Source, SourceRecord

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class UnknownRecordError(LookupError):
    """No source record has this source and record_id; the message says which."""


class ShieldedRecordError(PermissionError):
    """The record's decisions involve a shielded child: they are not shown here."""


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


def explain_record(session: Session, *, source: str, record_id: str) -> list[ExplainedDecision]:
    """The link decisions of this source's child record ``record_id``, newest first."""
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
    if _involves_a_shield(session, record_pk, decisions, explained):
        # A decision's weights compare the record with a child (a held record's: the
        # candidate, often chosen because it is shielded), and levels such as the
        # household's say where that child lives; a new identity must never be shown
        # beside the old one. The review queue shows such evidence to those who may see it.
        raise ShieldedRecordError(
            f"the decisions of {source}'s record {record_id!r} involve a shielded child, so"
            " they are not shown here: the council team sees them in the review queue"
        )
    return explained


def _involves_a_shield(
    session: Session,
    record_pk: int,
    decisions: list[LinkDecision],
    explained: list[ExplainedDecision],
) -> bool:
    """Whether any child these decisions name or lead to, or that a review item of this
    record set it beside, holds an open shield."""
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
    if not children:
        return False
    shielded = select(Shield.id).where(Shield.child_id.in_(children), Shield.ended_on.is_(None))
    return session.scalar(shielded.limit(1)) is not None


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
