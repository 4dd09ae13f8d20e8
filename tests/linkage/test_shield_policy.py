"""One shield policy for linkage: who may see a shielded child's decisions, and merges."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from test_review_support import AMELIA, OLIVER, ReviewDirectory

from contactpoint.access.models import UserAccount
from contactpoint.access.permissions import Permission
from contactpoint.access.policy import AccessDeniedError, Role, principal_for_user
from contactpoint.audit.events import EventType
from contactpoint.audit.models import AuditEventDetails, AuditEventRow
from contactpoint.directory.models import Child, Shield
from contactpoint.linkage.explanations import ShieldedRecordError, explain_record
from contactpoint.linkage.models import LinkOutcome, ReviewItem
from contactpoint.linkage.review import (
    ShieldConflictError,
    accept_match,
    review_evidence,
    split_child,
)
from contactpoint.provenance.models import SourceRecord
from contactpoint.vocabulary import ShieldReason
from feeds.feed_files import child_csv
from feeds.loads import OPERATOR

import factories

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import Session

    from contactpoint.access.policy import Principal


WHY = "Checking why the school record joined this child"


@pytest.fixture
def directory(fresh_database, tmp_path) -> ReviewDirectory:
    return ReviewDirectory(fresh_database.engine, tmp_path)


def shield(session: Session, *, child_id: int, council_id: int, reason: ShieldReason) -> None:
    factories.shield(session, of=child_id, council_id=council_id, reason=reason)


def asker(session: Session, directory: ReviewDirectory, who: str) -> Principal:
    """A principal by what it is to the shield (of the directory's council)."""
    if who == "operator":
        return OPERATOR
    if who == "the council's team":
        return directory.principal()
    if who == "another council's team":
        return directory.principal(directory.other_team_user_id)
    if who == "the council's team by a token to work the queue only":
        user = session.get(UserAccount, directory.team_user_id)
        assert user is not None
        return principal_for_user(
            user, acting_role=Role.COUNCIL_TEAM, scopes=[Permission.LINKAGE_REVIEW_WORK]
        )
    if who == "a practitioner":
        return principal_for_user(factories.practitioner(session), acting_role=Role.PRACTITIONER)
    return principal_for_user(factories.data_manager(session), acting_role=Role.DATA_MANAGER)


def shown(read: Callable[[], object]) -> bool:
    """Whether the read showed its evidence (False: refused, as withheld from the asker)."""
    try:
        read()
    except (AccessDeniedError, ShieldedRecordError):
        return False
    return True


@pytest.mark.parametrize(
    ("who", "may_see"),
    [
        ("the council's team", True),
        ("operator", True),
        ("the council's team by a token to work the queue only", False),
        ("another council's team", False),
        ("a practitioner", False),
        ("a data manager", False),
    ],
)
def test_linkage_explain_shows_a_shielded_childs_decisions_to_whom_the_review_queue_shows_them(
    directory, who, may_see
):
    [item, _] = directory.load_pairs()
    with directory.sessions() as session:
        by = asker(session, directory, who)
        # Unshielded, anyone is shown the record's decisions: a refusal below is the shield's.
        [held] = explain_record(session, by=by, source="school", record_id="S1", reason=WHY)
        assert held.outcome is LinkOutcome.HELD_FOR_REVIEW
        candidate = session.get(ReviewItem, item).candidate_child_id
        shield(session, child_id=candidate, council_id=directory.council_id,
               reason=ShieldReason.ADOPTION_PLACEMENT)  # fmt: skip

        queue = shown(lambda: review_evidence(session, by=by, item_id=item))
        explained = shown(
            lambda: explain_record(session, by=by, source="school", record_id="S1", reason=WHY)
        )

    assert (queue, explained) == (may_see, may_see)


def test_an_ordinary_user_is_refused_with_the_policys_reason(directory):
    [item, _] = directory.load_pairs()
    with directory.sessions() as session:
        by = asker(session, directory, "a practitioner")
        provisional = session.get(ReviewItem, item).provisional_child_id
        shield(session, child_id=provisional, council_id=directory.council_id,
               reason=ShieldReason.RISK_OF_SIGNIFICANT_HARM)  # fmt: skip
        with pytest.raises(ShieldedRecordError, match=r"shielded child.*practitioner"):
            explain_record(session, by=by, source="school", record_id="S1", reason=WHY)


def views(session: Session) -> list[tuple[str | None, str]]:
    """The record views in the audit trail: (ContactPoint ID, reason)."""
    rows = session.execute(
        select(AuditEventRow.subject_ref, AuditEventDetails.details)
        .join(AuditEventDetails, AuditEventDetails.sequence == AuditEventRow.sequence)
        .where(AuditEventRow.event_type == EventType.RECORD_VIEW)
        .order_by(AuditEventRow.sequence)
    )
    return [(subject, json.loads(details)["reason"]) for subject, details in rows]


def test_explaining_a_held_record_audits_a_view_of_both_children_it_was_set_beside(directory):
    [item, _] = directory.load_pairs()
    with directory.sessions() as session:
        held = session.get(ReviewItem, item)
        pair = {session.get(Child, held.provisional_child_id).contactpoint_id,
                session.get(Child, held.candidate_child_id).contactpoint_id}  # fmt: skip
        shield(session, child_id=held.candidate_child_id, council_id=directory.council_id,
               reason=ShieldReason.RISK_OF_SIGNIFICANT_HARM)  # fmt: skip
        practitioner = asker(session, directory, "a practitioner")
        session.commit()
        with pytest.raises(ShieldedRecordError):
            explain_record(session, by=practitioner, source="school", record_id="S1", reason=WHY)
        assert views(session) == []  # refused: nothing was shown
        explain_record(session, by=OPERATOR, source="school", record_id="S1", reason=WHY)
        with pytest.raises(ValueError, match="reason"):
            explain_record(session, by=OPERATOR, source="school", record_id="S1", reason="x" * 1001)
        seen = views(session)

    assert sorted(seen) == sorted((child, WHY) for child in pair)


def action_changes(session: Session, action: str = "accept_match") -> dict[str, object]:
    """The changes the one admin event of this action recorded."""
    rows = session.scalars(
        select(AuditEventDetails.details)
        .join(AuditEventRow, AuditEventDetails.sequence == AuditEventRow.sequence)
        .order_by(AuditEventRow.sequence)
    )
    [event] = [e for e in map(json.loads, rows) if e.get("action") == action]
    changes: dict[str, object] = event["changes"]
    return changes


def merge_shielded(
    session: Session,
    directory: ReviewDirectory,
    *,
    provisional: ShieldReason,
    candidate: ShieldReason,
) -> Child:
    """The first review item's two children shielded for these reasons, then merged."""
    [item, _] = directory.load_pairs()
    held = session.get(ReviewItem, item)
    for child_id, reason in ((held.provisional_child_id, provisional),
                             (held.candidate_child_id, candidate)):  # fmt: skip
        shield(session, child_id=child_id, council_id=directory.council_id, reason=reason)
    session.commit()
    survivor = accept_match(session, by=directory.principal(), item_id=item)
    session.commit()
    return survivor


def test_a_new_identity_shield_merged_in_wins_over_the_survivors_own_shield(directory):
    """Merged into a child shielded for harm, a child adopted under a new identity makes the
    survivor that new identity: its shield carries the adoption, and a record of the same
    girl arriving later is held for a person, never linked to it unseen."""
    with directory.sessions() as session:
        survivor = merge_shielded(session, directory, provisional=ShieldReason.ADOPTION_PLACEMENT,
                                  candidate=ShieldReason.RISK_OF_SIGNIFICANT_HARM)  # fmt: skip
        shields = session.scalars(
            select(Shield).where(Shield.child_id == survivor.id).order_by(Shield.id)
        ).all()
        history = [(s.reason, s.ended_on is None) for s in shields]
        survivor_id = survivor.contactpoint_id
        audited = action_changes(session)["survivor_shield_reason"]

    assert history == [
        (ShieldReason.RISK_OF_SIGNIFICANT_HARM, False),  # ended, kept as history
        (ShieldReason.ADOPTION_PLACEMENT, True),
    ]
    # The merge's audit event says the survivor's shield changed, and from what to what.
    assert audited == {"old": "risk_of_significant_harm", "new": "adoption_placement"}
    again = {**AMELIA, "record_id": "H3"}
    report = directory.loads.load("health", child_csv(AMELIA, OLIVER, again))
    assert report.counts["held_for_review"] == 1, report.counts
    assert directory.links()["health/H3"] != survivor_id


def test_the_survivors_new_identity_shield_stays_when_a_weaker_one_is_merged_in(directory):
    with directory.sessions() as session:
        survivor = merge_shielded(session, directory,
                                  provisional=ShieldReason.RISK_OF_SIGNIFICANT_HARM,
                                  candidate=ShieldReason.ADOPTION_IDENTITY_LINK)  # fmt: skip
        reasons = session.scalars(select(Shield.reason).where(Shield.child_id == survivor.id))

        assert list(reasons) == [ShieldReason.ADOPTION_IDENTITY_LINK]
        assert "survivor_shield_reason" not in action_changes(session)


def test_records_split_off_a_shielded_child_go_shielded_and_the_split_says_so(directory):
    [item, _] = directory.load_pairs()
    by = directory.principal()
    with directory.sessions() as session:
        survivor = accept_match(session, by=by, item_id=item)
        shield(session, child_id=survivor.id, council_id=directory.council_id,
               reason=ShieldReason.RISK_OF_SIGNIFICANT_HARM)  # fmt: skip
        session.commit()
        school, result = directory.split_school_record(session, survivor)
        session.commit()
        moved_to = session.scalars(
            select(SourceRecord.child_id).where(SourceRecord.id == school)
        ).one()
        reasons = list(session.scalars(
            select(Shield.reason).where(Shield.child_id == moved_to, Shield.ended_on.is_(None))
        ))  # fmt: skip
        audited = action_changes(session, "split_child")

    assert result.new_contactpoint_id != survivor.contactpoint_id
    assert reasons == [ShieldReason.RISK_OF_SIGNIFICANT_HARM]
    assert audited["split_to_shield_reason"] == {"old": None, "new": "risk_of_significant_harm"}


def test_a_merge_that_would_put_a_child_under_another_councils_shield_is_refused(directory):
    """The survivor is shielded by its council for harm; the child merged in is adopted under
    another council's shield. The adoption would win and the survivor's council would lose
    sight of its own child (and the other gain it): refused, with nothing changed."""
    [item, _] = directory.load_pairs()
    before = directory.links()
    with directory.sessions() as session:
        held = session.get(ReviewItem, item)
        elsewhere = factories.council(session).id
        shield(session, child_id=held.provisional_child_id, council_id=elsewhere,
               reason=ShieldReason.ADOPTION_PLACEMENT)  # fmt: skip
        shield(session, child_id=held.candidate_child_id, council_id=directory.council_id,
               reason=ShieldReason.RISK_OF_SIGNIFICANT_HARM)  # fmt: skip
        session.commit()
        with pytest.raises(ShieldConflictError, match="different councils") as refused:
            accept_match(session, by=OPERATOR, item_id=item)
        session.rollback()
        open_shields = sorted(
            (shield.council_id, shield.reason)
            for shield in session.scalars(select(Shield).where(Shield.ended_on.is_(None)))
        )
        status = session.get(ReviewItem, item).status

    assert refused.value.status == 409
    assert open_shields == sorted([
        (elsewhere, ShieldReason.ADOPTION_PLACEMENT),
        (directory.council_id, ShieldReason.RISK_OF_SIGNIFICANT_HARM),
    ])  # fmt: skip
    assert status.value == "open"
    assert directory.links() == before


def test_a_split_keeps_the_shield_the_revived_child_has(directory):
    """A child merged away keeps its own shield; split off again, it keeps it, rather than
    taking the survivor's stronger one (a split is no merge: the two are different children)."""
    by = directory.principal()
    with directory.sessions() as session:
        survivor = merge_shielded(session, directory,
                                  provisional=ShieldReason.RISK_OF_SIGNIFICANT_HARM,
                                  candidate=ShieldReason.ADOPTION_IDENTITY_LINK)  # fmt: skip
        school = session.scalars(
            select(SourceRecord.id).where(SourceRecord.record_key == "S1")
        ).one()
        split_child(session, by=by, contactpoint_id=survivor.contactpoint_id,
                    source_record_ids=[school])  # fmt: skip
        session.commit()
        revived = session.scalars(
            select(SourceRecord.child_id).where(SourceRecord.id == school)
        ).one()
        reasons = {
            child: [shield.reason for shield in session.scalars(
                select(Shield).where(Shield.child_id == child, Shield.ended_on.is_(None)))]
            for child in (revived, survivor.id)
        }  # fmt: skip

    assert reasons == {revived: [ShieldReason.RISK_OF_SIGNIFICANT_HARM],
                       survivor.id: [ShieldReason.ADOPTION_IDENTITY_LINK]}  # fmt: skip
