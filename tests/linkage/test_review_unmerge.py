"""Unmerging gives a merged-away ContactPoint ID back with its records, never to another child.

A split that moves every live record a merged-away child brought revives that
child under its own ID; an ID whose records stay keeps leading to the child that
holds them. Each ID's move is audited, and no source record is lost.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select, update
from test_review_support import AMELIA_AT_SCHOOL, ReviewDirectory

from contactpoint.access.audit_trail import actor_for
from contactpoint.audit.events import record_view_event
from contactpoint.audit.models import AuditEventDetails, AuditEventRow
from contactpoint.audit.services import record
from contactpoint.directory.models import Child
from contactpoint.directory.services import find_child
from contactpoint.feeds.models import LoadMode
from contactpoint.linkage.batch import peoples_decisions
from contactpoint.linkage.models import LinkDecision, LinkOutcome, ReviewItem
from contactpoint.linkage.review import accept_match, split_child
from contactpoint.provenance.models import Source, SourceRecord
from feeds.feed_files import child_csv
from feeds.loads import EXTRACTED_ON


@pytest.fixture
def directory(fresh_database, tmp_path) -> ReviewDirectory:
    return ReviewDirectory(fresh_database.engine, tmp_path)


def test_splitting_off_what_a_merged_child_brought_revives_it_under_its_own_id(directory):
    [item, _] = directory.load_pairs()
    merged_id = directory.child_of("school", "S1")
    by = directory.principal()
    with directory.sessions() as session:
        survivor = accept_match(session, by=by, item_id=item)
        session.commit()
        result = split_child(session, by=by, contactpoint_id=survivor.contactpoint_id,
                             source_record_ids=[_record(session, "school", "S1")])  # fmt: skip
        session.commit()
        revived = find_child(session, merged_id)
        split = session.scalars(
            select(LinkDecision).where(LinkDecision.outcome == LinkOutcome.SPLIT)
        ).one()
        records = session.scalar(select(func.count()).select_from(SourceRecord))

    assert (revived.contactpoint_id, revived.merged_into_id) == (merged_id, None)
    assert directory.links()["school/S1"] == merged_id
    assert (result.new_contactpoint_id, result.revived) == (merged_id, True)
    assert directory.links()["health/H1"] == survivor.contactpoint_id
    assert split.child_id == revived.id
    assert records == 4  # no source record lost
    _assert_every_id_leads_to_its_records(directory)
    assert {merged_id, survivor.contactpoint_id} in _kept_apart(directory)


def test_each_merged_away_id_the_split_moves_is_audited_with_where_it_now_leads(directory):
    [item, _] = directory.load_pairs()
    merged_id = directory.child_of("school", "S1")
    by = directory.principal()
    with directory.sessions() as session:
        survivor = accept_match(session, by=by, item_id=item)
        session.commit()
        split_child(session, by=by, contactpoint_id=survivor.contactpoint_id,
                    source_record_ids=[_record(session, "school", "S1")])  # fmt: skip
        session.commit()
        events = _events(session, "unmerge_child")

    assert events == [(merged_id, {"merged_into": {"old": survivor.contactpoint_id, "new": None}})]


def test_who_viewed_a_revived_id_while_it_led_to_the_merged_child_is_still_listed(directory):
    [item, _] = directory.load_pairs()
    merged_id = directory.child_of("school", "S1")
    by = directory.principal()
    stranger = directory.principal(directory.other_team_user_id)
    with directory.sessions() as session:
        survivor = accept_match(session, by=by, item_id=item)
        record(session, record_view_event(actor_for(stranger), contactpoint_id=merged_id,
                                          reason="Checking the school"))  # fmt: skip
        session.commit()
        result = split_child(session, by=by, contactpoint_id=survivor.contactpoint_id,
                             source_record_ids=[_record(session, "school", "S1")])  # fmt: skip

    assert directory.other_team_user_id in {viewer.user_id for viewer in result.viewers}


def test_a_merged_away_id_whose_records_stay_keeps_leading_to_the_child_that_holds_them(
    directory,
):
    [item, _] = directory.load_pairs()
    merged_id = directory.child_of("school", "S1")
    by = directory.principal()
    with directory.sessions() as session:
        survivor = accept_match(session, by=by, item_id=item)
        session.commit()
        result = split_child(session, by=by, contactpoint_id=survivor.contactpoint_id,
                             source_record_ids=[_record(session, "health", "H1")])  # fmt: skip
        session.commit()
        leads_to = find_child(session, merged_id).contactpoint_id

    assert result.new_contactpoint_id not in {merged_id, survivor.contactpoint_id}
    assert leads_to == survivor.contactpoint_id == directory.child_of("school", "S1")
    assert result.revived is False
    _assert_every_id_leads_to_its_records(directory)


def test_a_child_merged_away_in_a_chain_is_revived_and_the_other_id_it_brought_leads_to_it(
    directory,
):
    """Amelia's health child (made for H1, no review item of its own) is merged away too."""
    [first, second] = directory.load_pairs()
    amelia_id = directory.child_of("health", "H1")
    school_id = directory.child_of("school", "S1")
    oliver_id = directory.child_of("health", "H2")
    by = directory.principal()
    with directory.sessions() as session:
        accept_match(session, by=by, item_id=first)  # Amelia at school into Amelia
        session.commit()
        # An item whose provisional child was merged into Amelia merges Amelia into Oliver.
        session.get(ReviewItem, second).provisional_child_id = session.get(
            ReviewItem, first
        ).provisional_child_id
        survivor = accept_match(session, by=by, item_id=second)
        session.commit()
        amelias = [_record(session, "health", "H1"), _record(session, "school", "S1")]
        result = split_child(session, by=by, contactpoint_id=oliver_id, source_record_ids=amelias)
        session.commit()
        school_leads_to = find_child(session, school_id).contactpoint_id

    links = directory.links()
    assert links["health/H1"] == links["school/S1"] == amelia_id
    assert links["health/H2"] == survivor.contactpoint_id == oliver_id
    assert school_leads_to == amelia_id
    assert (result.new_contactpoint_id, result.revived) == (amelia_id, True)
    assert result.merged_ids_moved == [school_id]
    _assert_every_id_leads_to_its_records(directory)
    assert {amelia_id, oliver_id} in _kept_apart(directory)


def test_a_merged_away_child_is_revived_only_when_all_its_live_records_move(directory):
    """The school's second record of Amelia linked to her provisional child before the merge."""
    [item, _] = directory.load_pairs()
    directory.loads.load(
        "school", child_csv({**AMELIA_AT_SCHOOL, "record_id": "S3"}), mode=LoadMode.DELTA
    )
    merged_id = directory.child_of("school", "S1")
    assert directory.child_of("school", "S3") == merged_id
    by = directory.principal()
    with directory.sessions() as session:
        survivor = accept_match(session, by=by, item_id=item)
        session.commit()
        part = split_child(session, by=by, contactpoint_id=survivor.contactpoint_id,
                           source_record_ids=[_record(session, "school", "S3")])  # fmt: skip
        session.commit()
        after_part = find_child(session, merged_id).contactpoint_id
        whole = split_child(session, by=by, contactpoint_id=survivor.contactpoint_id,
                            source_record_ids=[_record(session, "school", "S1")])  # fmt: skip
        session.commit()

    assert after_part == survivor.contactpoint_id  # it still holds S1, the ID's other record
    assert directory.child_of("school", "S1") == merged_id
    assert directory.child_of("school", "S3") == part.new_contactpoint_id != merged_id
    assert (part.revived, whole.new_contactpoint_id, whole.revived) == (False, merged_id, True)
    _assert_every_id_leads_to_its_records(directory)


def test_a_revived_child_takes_back_its_ended_records_so_a_later_extract_brings_them_to_it(
    directory,
):
    """The school's S3 linked to Amelia's provisional child, then ended before the merge."""
    [item, _] = directory.load_pairs()
    s3 = {**AMELIA_AT_SCHOOL, "record_id": "S3"}
    directory.loads.load("school", child_csv(s3), mode=LoadMode.DELTA)
    a_day = dt.timedelta(days=1)
    directory.loads.load("school", child_csv({**s3, "action": "delete"}),
                         mode=LoadMode.DELTA, extracted_on=EXTRACTED_ON + a_day)  # fmt: skip
    merged_id = directory.child_of("school", "S3")
    by = directory.principal()
    with directory.sessions() as session:
        survivor = accept_match(session, by=by, item_id=item)
        session.commit()
        live, ended = _record(session, "school", "S1"), _record(session, "school", "S3")
        result = split_child(session, by=by, contactpoint_id=survivor.contactpoint_id,
                             source_record_ids=[live])  # fmt: skip
        session.commit()
        split = _events(session, "split_child")
    again = child_csv({**s3, "action": "upsert"})
    directory.loads.load(
        "school", again, mode=LoadMode.DELTA, extracted_on=EXTRACTED_ON + 2 * a_day
    )

    assert (result.new_contactpoint_id, result.revived) == (merged_id, True)
    assert directory.links()["school/S3"] == merged_id != survivor.contactpoint_id
    assert result.moved_source_record_ids == sorted([live, ended])
    assert split == [(survivor.contactpoint_id,
                      {"split_to": {"old": None, "new": merged_id},
                       "records_moved": {"old": None, "new": 2}})]  # fmt: skip
    _assert_every_id_leads_to_its_records(directory)


def test_a_child_merged_before_merges_kept_their_decisions_is_revived_from_its_review_item(
    directory,
):
    """Merges used to move the merged child's link decisions to the survivor."""
    [item, _] = directory.load_pairs()
    merged_id = directory.child_of("school", "S1")
    by = directory.principal()
    with directory.sessions() as session:
        survivor = accept_match(session, by=by, item_id=item)
        merged = session.scalars(select(Child).where(Child.contactpoint_id == merged_id)).one()
        session.execute(update(LinkDecision).where(LinkDecision.child_id == merged.id)
                        .values(child_id=survivor.id))  # fmt: skip
        session.commit()
        result = split_child(session, by=by, contactpoint_id=survivor.contactpoint_id,
                             source_record_ids=[_record(session, "school", "S1")])  # fmt: skip
        session.commit()

    assert directory.child_of("school", "S1") == merged_id
    assert (result.new_contactpoint_id, result.revived) == (merged_id, True)


def test_merging_leaves_each_link_decision_with_the_child_it_was_made_for(directory):
    [item, _] = directory.load_pairs()
    with directory.sessions() as session:
        provisional = session.get(ReviewItem, item).provisional_child_id
        accept_match(session, by=directory.principal(), item_id=item)
        session.commit()
        held = session.scalars(
            select(LinkDecision.child_id).where(LinkDecision.outcome == LinkOutcome.HELD_FOR_REVIEW)
        ).all()

    assert provisional in held


def _kept_apart(directory: ReviewDirectory) -> list[set[str]]:
    """The pairs of children the re-link report takes as split apart, by ContactPoint ID."""
    with directory.sessions() as session:
        pairs = peoples_decisions(session).kept_apart
        ids = dict(session.execute(select(Child.id, Child.contactpoint_id)).all())
    return [{ids[child] for child in pair} for pair in pairs]


def _record(session, source: str, record_key: str) -> int:
    return session.scalars(
        select(SourceRecord.id)
        .join(Source, Source.id == SourceRecord.source_id)
        .where(Source.name == source, SourceRecord.record_key == record_key)
    ).one()


def _events(session, action: str) -> list[tuple[str, dict]]:
    """The admin actions of this kind, oldest first: (subject, changes)."""
    rows = session.execute(
        select(AuditEventRow.subject_ref, AuditEventDetails.details)
        .join(AuditEventDetails, AuditEventDetails.sequence == AuditEventRow.sequence)
        .order_by(AuditEventRow.sequence)
    )
    events = [(subject, json.loads(details)) for subject, details in rows]
    return [(subject, event["changes"]) for subject, event in events
            if event.get("action") == action]  # fmt: skip


def _assert_every_id_leads_to_its_records(directory: ReviewDirectory) -> None:
    """Every merged-away ID leads to a child holding a record it was made for, if any."""
    made = [LinkOutcome.NEW_CHILD, LinkOutcome.HELD_FOR_REVIEW]
    with directory.sessions() as session:
        merged_away = session.scalars(select(Child).where(Child.merged_into_id.is_not(None)))
        for child in merged_away.all():
            made_for = set(session.scalars(select(LinkDecision.source_record_id).where(
                LinkDecision.child_id == child.id, LinkDecision.outcome.in_(made))))  # fmt: skip
            leads_to = find_child(session, child.contactpoint_id)
            held = set(session.scalars(
                select(SourceRecord.id).where(SourceRecord.child_id == leads_to.id)))  # fmt: skip
            assert not made_for or made_for & held, child.contactpoint_id
