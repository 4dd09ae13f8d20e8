"""Recording events: one unbroken chain, inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from contactpoint.audit.events import (
    ActorKind,
    EventType,
    Outcome,
    Subject,
    SubjectKind,
    access_denied_event,
    record_change_event,
    record_view_event,
    search_event,
)
from contactpoint.audit.models import AuditEventDetails, AuditEventRow
from contactpoint.audit.rules import GENESIS_HASH, chain_hash, details_digest
from contactpoint.audit.services import pending_changes, record, verify

import factories
from tampering import PRACTITIONER, contactpoint_id

CHILD = contactpoint_id(1)


def _events(session) -> list[AuditEventRow]:
    return list(session.scalars(select(AuditEventRow).order_by(AuditEventRow.sequence)))


def test_the_first_event_follows_the_genesis_hash_and_each_next_one_the_last(db_session):
    first = record(db_session, record_view_event(PRACTITIONER, contactpoint_id=CHILD, reason="a"))
    second = record(db_session, access_denied_event(PRACTITIONER, permission="child:shield"))
    third = record(db_session, search_event(PRACTITIONER, terms={"family_name": "Ng"}, results=[]))
    assert [e.sequence for e in (first, second, third)] == [1, 2, 3]
    assert first.previous_hash == GENESIS_HASH
    assert second.previous_hash == first.hash
    assert third.previous_hash == second.hash
    assert len({first.hash, second.hash, third.hash}) == 3
    result = verify(db_session)
    assert (result.intact, result.events, result.last_hash) == (True, 3, third.hash)


def test_a_recorded_event_keeps_who_when_what_and_the_outcome(db_session):
    before = dt.datetime.now(dt.UTC)
    row = record(db_session, access_denied_event(PRACTITIONER, permission="child:shield"))
    db_session.expire_all()
    stored = db_session.get(AuditEventRow, row.sequence)
    assert stored is not None
    assert stored.occurred_at.tzinfo is not None
    assert before <= stored.occurred_at <= dt.datetime.now(dt.UTC)
    assert stored.event_type is EventType.ACCESS_DENIED
    assert stored.outcome is Outcome.DENIED
    assert (stored.actor_kind, stored.actor_user_id) == (ActorKind.USER, 41)
    assert (stored.actor_role, stored.actor_organisation_id) == ("practitioner", 7)
    assert stored.session_ref == PRACTITIONER.session_ref
    assert stored.hash == chain_hash(
        {column.name: getattr(stored, column.name) for column in AuditEventRow.__table__.columns}
    )


def test_details_are_canonical_json_kept_apart_and_covered_by_a_salted_digest(db_session):
    row = record(db_session, record_view_event(PRACTITIONER, contactpoint_id=CHILD, reason="x"))
    kept = db_session.get(AuditEventDetails, row.sequence)
    assert kept is not None
    assert json.loads(kept.details) == {"reason": "x"}
    assert row.details_digest == details_digest(salt=kept.salt, details=kept.details)
    again = record(db_session, record_view_event(PRACTITIONER, contactpoint_id=CHILD, reason="x"))
    assert again.details_digest != row.details_digest  # a new salt: guesses cannot be tested


def test_an_event_is_recorded_in_the_callers_transaction_so_a_rollback_takes_it_away(db_session):
    record(db_session, access_denied_event(PRACTITIONER, permission="child:shield"))
    savepoint = db_session.begin_nested()
    record(db_session, access_denied_event(PRACTITIONER, permission="child:shield"))
    savepoint.rollback()
    after = record(db_session, access_denied_event(PRACTITIONER, permission="child:shield"))
    assert after.sequence == 2
    assert verify(db_session).intact


def test_the_database_refuses_a_second_event_chained_to_the_same_predecessor(db_session):
    first = record(db_session, access_denied_event(PRACTITIONER, permission="child:shield"))
    fork = {column.name: getattr(first, column.name) for column in AuditEventRow.__table__.columns}
    fork |= {"sequence": 2, "hash": "f" * 64}
    db_session.add(AuditEventRow(**fork))
    with pytest.raises(IntegrityError):
        db_session.flush()


def test_the_database_refuses_two_events_at_one_position(db_session):
    first = record(db_session, access_denied_event(PRACTITIONER, permission="child:shield"))
    twin = {column.name: getattr(first, column.name) for column in AuditEventRow.__table__.columns}
    twin |= {"previous_hash": "e" * 64, "hash": "f" * 64}
    db_session.expunge(first)
    db_session.add(AuditEventRow(**twin))
    with pytest.raises(IntegrityError):
        db_session.flush()


def test_pending_changes_give_old_and_new_values_and_withhold_secrets(db_session):
    child = factories.child(db_session)
    db_session.flush()
    child.date_of_death = dt.date(2026, 1, 2)
    child.archive_at_age = 18
    child.extended_retention_basis = None
    changes = pending_changes(child, withheld={"date_of_death"})
    assert changes == {"date_of_death": ("[withheld]", "[withheld]")}
    event = record_change_event(
        PRACTITIONER, subject=Subject.child(child.contactpoint_id), changes=changes
    )
    row = record(db_session, event)
    assert (row.subject_kind, row.subject_ref) == (SubjectKind.CHILD, child.contactpoint_id)


def test_pending_changes_of_a_loaded_record_name_each_changed_column(db_session):
    child = factories.child(db_session)
    db_session.flush()
    was = child.date_of_birth
    child.date_of_birth = dt.date(2016, 4, 1)
    assert pending_changes(child) == {"date_of_birth": (was, dt.date(2016, 4, 1))}


def test_a_naive_time_for_an_event_is_refused(db_session):
    event = access_denied_event(PRACTITIONER, permission="child:shield")
    with pytest.raises(ValueError, match="naive"):
        record(db_session, event, occurred_at=dt.datetime(2026, 11, 25, 9))  # noqa: DTZ001
