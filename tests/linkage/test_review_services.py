"""The review queue's services: the queue, the evidence, merge, keep separate, and split."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select
from test_review_support import ReviewDirectory

from contactpoint.access.audit_trail import actor_for
from contactpoint.access.policy import AccessDeniedError, Role, principal_for_user
from contactpoint.audit.events import EventType, record_view_event
from contactpoint.audit.models import AuditEventDetails, AuditEventRow
from contactpoint.audit.services import record
from contactpoint.directory.models import Child, ChildAddress, ChildName, Shield
from contactpoint.directory.services import find_child
from contactpoint.linkage.decisions import DEFAULT_THRESHOLDS
from contactpoint.linkage.models import LinkDecision, LinkOutcome, ReviewItem, ReviewStatus
from contactpoint.linkage.review import (
    AlreadyDecidedError,
    NoSuchPageError,
    NoSuchReviewItemError,
    SplitError,
    accept_match,
    reject_match,
    review_evidence,
    review_queue,
    split_child,
)
from contactpoint.provenance.models import SourceRecord
from feeds.loads import OPERATOR

import factories


@pytest.fixture
def directory(fresh_database, tmp_path) -> ReviewDirectory:
    return ReviewDirectory(fresh_database.engine, tmp_path)


def test_the_queue_holds_the_councils_open_items_oldest_first_and_pages(directory):
    items = directory.load_pairs()
    with directory.sessions() as session:
        queue = review_queue(session, by=directory.principal())
        first = review_queue(session, by=directory.principal(), size=1)
        second = review_queue(session, by=directory.principal(), page=2, size=1)
        with pytest.raises(NoSuchPageError):
            review_queue(session, by=directory.principal(), page=3, size=1)

    assert [entry.item_id for entry in queue.rows] == items
    assert all(DEFAULT_THRESHOLDS.review <= e.match_weight < DEFAULT_THRESHOLDS.link
               for e in queue.rows)  # fmt: skip
    assert {entry.source for entry in queue.rows} == {"school"}
    assert (first.pages, [e.item_id for e in second.rows]) == (2, items[1:])


def test_a_team_of_another_council_sees_nothing_and_cannot_open_an_item(directory):
    [item, _] = directory.load_pairs()
    stranger = directory.principal(directory.other_team_user_id)
    with directory.sessions() as session:
        assert review_queue(session, by=stranger).rows == []
        with pytest.raises(AccessDeniedError, match="only in your council's area"):
            review_evidence(session, by=stranger, item_id=item)
        with pytest.raises(AccessDeniedError):
            accept_match(session, by=stranger, item_id=item)


def test_a_practitioner_cannot_work_the_queue(directory):
    directory.load_pairs()
    with directory.sessions() as session:
        user = factories.practitioner(session)
        practitioner = principal_for_user(user, acting_role=Role.PRACTITIONER)
        with pytest.raises(AccessDeniedError, match="practitioner"):
            review_queue(session, by=practitioner)


def test_the_evidence_sets_the_records_side_by_side_and_its_weights_add_up_to_the_score(
    directory,
):
    [item, _] = directory.load_pairs()
    with directory.sessions() as session:
        evidence = review_evidence(session, by=directory.principal(), item_id=item)
        session.commit()
        views = session.scalar(
            select(func.count()).where(AuditEventRow.event_type == EventType.RECORD_VIEW)
        )

    assert evidence.incoming.date_of_birth == dt.date(2014, 7, 24)
    assert [r.date_of_birth for r in evidence.candidate_records] == [dt.date(2014, 7, 21)]
    assert evidence.incoming.postcode != evidence.candidate_records[0].postcode
    total = evidence.prior + sum(part.weight for part in evidence.comparisons)
    assert total == pytest.approx(evidence.match_weight, abs=1e-9)
    levels = {part.comparison: part.level for part in evidence.comparisons}
    assert levels["given_name"] == "exact"
    assert levels["date_of_birth"] != "exact"
    assert views == 2  # the provisional child and the candidate


def test_accepting_merges_into_the_candidate_and_the_merged_id_resolves_to_it(directory):
    [item, _] = directory.load_pairs()
    provisional = directory.child_of("school", "S1")
    candidate = directory.child_of("health", "H1")
    assert provisional != candidate
    with directory.sessions() as session:
        survivor = accept_match(session, by=directory.principal(), item_id=item)
        session.commit()
        assert survivor.contactpoint_id == candidate
        assert find_child(session, provisional).contactpoint_id == candidate
        merged = session.scalars(select(Child).where(Child.contactpoint_id == provisional)).one()
        names = session.scalars(select(ChildName.child_id).where(ChildName.child_id == merged.id))
        decision = session.scalars(
            select(LinkDecision).where(LinkDecision.outcome == LinkOutcome.MERGED)
        ).one()
        status = session.get(ReviewItem, item).status
        records = session.scalar(select(func.count()).select_from(SourceRecord))
        survivor_addresses = session.scalar(
            select(func.count()).where(ChildAddress.child_id == survivor.id)
        )
        event = _last_event(session)

    assert list(names) == []  # every value moved to the survivor
    assert survivor_addresses == 2  # both sources' addresses, each kept
    assert decision.child_id == survivor.id
    assert decision.decided_by == f"user:{directory.team_user_id}"
    assert status is ReviewStatus.MERGED
    assert records == 4  # no source record lost
    assert directory.links()["school/S1"] == directory.links()["health/H1"] == candidate
    assert event["action"] == "accept_match"
    assert event["changes"]["merged_into"]["new"] == candidate


def test_a_decided_item_cannot_be_decided_again_and_an_unknown_one_is_not_found(directory):
    [item, _] = directory.load_pairs()
    with directory.sessions() as session:
        reject_match(session, by=directory.principal(), item_id=item)
        session.commit()
        with pytest.raises(AlreadyDecidedError, match="already been decided"):
            accept_match(session, by=directory.principal(), item_id=item)
        with pytest.raises(NoSuchReviewItemError):
            reject_match(session, by=directory.principal(), item_id=999_999)


def test_keeping_separate_leaves_two_children_and_records_the_decision(directory):
    [_, item] = directory.load_pairs()
    with directory.sessions() as session:
        kept = reject_match(session, by=directory.principal(), item_id=item)
        session.commit()
        status = session.get(ReviewItem, item).status
        outcome = session.scalars(
            select(LinkDecision.outcome).where(LinkDecision.child_id == kept.id)
            .order_by(LinkDecision.id.desc()).limit(1)
        ).one()  # fmt: skip
        open_items = review_queue(session, by=directory.principal()).total

    assert status is ReviewStatus.KEPT_SEPARATE
    assert outcome is LinkOutcome.KEPT_SEPARATE
    assert open_items == 1
    assert directory.child_of("school", "S2") != directory.child_of("health", "H2")


def test_merging_a_shielded_child_away_shields_the_survivor(directory):
    [item, _] = directory.load_pairs()
    with directory.sessions() as session:
        provisional = session.get(ReviewItem, item).provisional_child_id
        factories.shield(session, of=provisional, council_id=directory.council_id)
        session.commit()
        survivor = accept_match(session, by=directory.principal(), item_id=item)
        session.commit()
        shields = session.scalars(
            select(Shield).where(Shield.child_id == survivor.id, Shield.ended_on.is_(None))
        ).all()

    assert [shield.council_id for shield in shields] == [directory.council_id]


def test_merge_collapses_chains_so_the_export_needs_one_step(directory):
    [first, second] = directory.load_pairs()
    with directory.sessions() as session:
        by = directory.principal()
        accept_match(session, by=by, item_id=first)
        session.commit()
        # Merge the surviving Amelia into Oliver's provisional child: a chain would form.
        amelia = find_child(session, directory.child_of("health", "H1"))
        oliver = session.get(ReviewItem, second)
        oliver.candidate_child_id, oliver.provisional_child_id = (
            oliver.provisional_child_id,
            amelia.id,
        )
        session.commit()
        accept_match(session, by=by, item_id=second)
        session.commit()
        pointers = set(session.scalars(select(Child.merged_into_id).where(
            Child.merged_into_id.is_not(None))))  # fmt: skip
        targets = set(session.scalars(select(Child.merged_into_id).where(
            Child.id.in_(pointers))))  # fmt: skip

    assert len(pointers) == 1  # every merged-away child points at the one survivor
    assert targets == {None}
    links = directory.links()
    assert links["school/S1"] == links["health/H1"] == links["school/S2"]


def test_splitting_moves_chosen_records_off_and_names_who_viewed(directory):
    [item, _] = directory.load_pairs()
    by = directory.principal()
    with directory.sessions() as session:
        survivor = accept_match(session, by=by, item_id=item)
        record(session, record_view_event(actor_for(by), contactpoint_id=survivor.contactpoint_id,
                                          reason="Checking the school"))  # fmt: skip
        session.commit()
        school, result = directory.split_school_record(session, survivor)
        session.commit()
        new_child = find_child(session, result.new_contactpoint_id)
        new_names = list(session.scalars(
            select(ChildName.given_name).where(ChildName.child_id == new_child.id)))  # fmt: skip
        kept_born = find_child(session, survivor.contactpoint_id).date_of_birth
        split = session.scalars(
            select(LinkDecision).where(LinkDecision.outcome == LinkOutcome.SPLIT)
        ).one()

    assert result.new_contactpoint_id not in {survivor.contactpoint_id,
                                              directory.child_of("health", "H1")}  # fmt: skip
    assert directory.links()["school/S1"] == result.new_contactpoint_id
    assert directory.links()["health/H1"] == survivor.contactpoint_id
    assert new_names == ["Amelia"]
    assert new_child.date_of_birth == dt.date(2014, 7, 24)
    assert kept_born == dt.date(2014, 7, 21)
    assert (split.source_record_id, split.child_id) == (school, new_child.id)
    assert [viewer.user_id for viewer in result.viewers] == [directory.team_user_id]


@pytest.mark.parametrize("choose", ["nothing", "every record", "a stranger's record"])
def test_a_split_that_makes_no_sense_is_refused_with_a_reason(directory, choose):
    [item, _] = directory.load_pairs()
    by = directory.principal()
    with directory.sessions() as session:
        survivor = accept_match(session, by=by, item_id=item)
        session.commit()
        mine = set(session.scalars(select(SourceRecord.id).where(
            SourceRecord.child_id == survivor.id)))  # fmt: skip
        theirs = set(session.scalars(select(SourceRecord.id))) - mine
        chosen = {"nothing": set(), "every record": mine, "a stranger's record": theirs}[choose]
        with pytest.raises(SplitError):
            split_child(session, by=by, contactpoint_id=survivor.contactpoint_id,
                        source_record_ids=chosen)  # fmt: skip


def test_the_operator_reaches_every_item(directory):
    items = directory.load_pairs()
    with directory.sessions() as session:
        assert [e.item_id for e in review_queue(session, by=OPERATOR).rows] == items


def _last_event(session) -> dict:
    details = session.scalars(
        select(AuditEventDetails.details).order_by(AuditEventDetails.sequence.desc()).limit(1)
    ).one()
    return json.loads(details)
