"""The child's record: what the database itself enforces, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError

from contactpoint.directory.models import Child, ExtendedRetentionBasis, RecordStatus
from contactpoint.directory.services import (
    directory_statistics,
    find_child,
    new_contactpoint_id,
    register_child,
    reported_values,
)
from contactpoint.identifiers.contactpoint_id import is_valid_contactpoint_id
from contactpoint.vocabulary import ConsentBasis, ServiceType

import factories


def test_a_registered_child_gets_a_valid_contactpoint_id(db_session):
    child = register_child(db_session, date_of_birth=dt.date(2016, 1, 2))
    assert is_valid_contactpoint_id(child.contactpoint_id)
    assert child.record_status is RecordStatus.ACTIVE
    assert child.archive_at_age == 18


def test_a_contactpoint_id_is_never_given_twice(db_session):
    taken = register_child(db_session, date_of_birth=None, rng=random.Random(7))
    # The same seed draws the taken ID first; the service must skip it.
    assert new_contactpoint_id(db_session, rng=random.Random(7)) != taken.contactpoint_id


def test_the_database_refuses_two_children_with_one_contactpoint_id(db_session):
    first = factories.child(db_session)
    db_session.add(Child(contactpoint_id=first.contactpoint_id))
    with pytest.raises(IntegrityError):
        db_session.flush()


def test_a_sensitive_involvement_without_a_consent_basis_is_refused(db_session):
    with pytest.raises(IntegrityError):
        factories.involvement(
            db_session,
            of=factories.child(db_session),
            service_type=ServiceType.SEXUAL_HEALTH,
            sensitive=True,
        )


def test_a_sensitive_involvement_with_a_consent_basis_is_held(db_session):
    child = factories.child(db_session)
    involvement = factories.involvement(db_session, of=child, service_type=ServiceType.CAMHS)
    involvement.sensitive = True
    involvement.consent_basis = ConsentBasis.CHILD_CONSENT
    db_session.flush()
    assert db_session.get(type(involvement), involvement.id).sensitive


def test_a_child_can_have_only_one_open_shield(db_session):
    child = factories.child(db_session, shielded=True)
    with pytest.raises(IntegrityError):
        factories.shield(db_session, of=child)


def test_an_ended_shield_stays_as_history_beside_a_new_one(db_session):
    child = factories.child(db_session, shielded=True)
    child.shields[0].ended_on = factories.TODAY
    factories.shield(db_session, of=child)
    db_session.refresh(child)
    assert len(child.shields) == 2
    assert directory_statistics(db_session).shielded_children == 1


def test_retention_past_eighteen_needs_a_listed_basis_and_recorded_consent(db_session):
    child = factories.child(db_session)
    child.archive_at_age = 21
    with pytest.raises(IntegrityError):
        db_session.flush()


def test_retention_to_twenty_five_with_basis_and_consent_is_accepted(db_session):
    child = factories.child(db_session)
    child.archive_at_age = 25
    child.extended_retention_basis = ExtendedRetentionBasis.CARE_LEAVER
    child.extended_retention_consent_on = factories.TODAY
    db_session.flush()
    assert db_session.scalar(select(Child.archive_at_age).where(Child.id == child.id)) == 25


def test_retention_beyond_twenty_five_is_refused_even_with_consent(db_session):
    child = factories.child(db_session)
    child.archive_at_age = 26
    child.extended_retention_basis = ExtendedRetentionBasis.LEARNING_DIFFICULTY
    child.extended_retention_consent_on = factories.TODAY
    with pytest.raises(IntegrityError):
        db_session.flush()


def test_an_unknown_record_status_is_refused_before_it_reaches_the_database(db_session):
    child = factories.child(db_session)
    child.record_status = "forgotten"  # type: ignore[assignment]
    with pytest.raises(StatementError):
        db_session.flush()


def test_a_merged_child_is_found_under_its_old_contactpoint_id(db_session):
    survivor = factories.child(db_session)
    merged = factories.child(db_session)
    merged.merged_into_id = survivor.id
    db_session.flush()
    assert find_child(db_session, merged.contactpoint_id) is survivor


def test_each_source_s_date_of_birth_is_traceable_even_when_sources_disagree(db_session):
    child = factories.child(db_session, date_of_birth=dt.date(2014, 5, 6))
    health = factories.source(db_session, name="health")
    school = factories.source(db_session, name="school_census")
    factories.source_record(
        db_session,
        of=child,
        from_source=health,
        record_key="H1",
        date_of_birth=dt.date(2014, 5, 6),
        extracted_on=dt.date(2026, 11, 1),
    )
    factories.source_record(
        db_session,
        of=child,
        from_source=school,
        record_key="S1",
        date_of_birth=dt.date(2014, 6, 5),
        extracted_on=dt.date(2026, 10, 1),
    )
    reported = reported_values(db_session, child=child, field="date_of_birth")
    assert [(r.source, r.record_key, r.value) for r in reported] == [
        ("health", "H1", dt.date(2014, 5, 6)),
        ("school_census", "S1", dt.date(2014, 6, 5)),
    ]


def test_statistics_count_children_by_status(db_session):
    factories.child(db_session)
    factories.child(db_session, archived=True)
    figures = directory_statistics(db_session)
    assert figures.active_children == 1
    assert figures.children_by_status[RecordStatus.ARCHIVED] == 1


def test_timestamps_come_back_timezone_aware(db_session):
    child = factories.child(db_session)
    db_session.expire_all()
    assert db_session.get(Child, child.id).created_at.tzinfo is not None


def test_twins_share_a_date_of_birth_but_not_a_record(db_session):
    first = factories.child(db_session, given_name="Ava")
    second = factories.child(db_session, given_name="Isla", twin_of=first)
    assert first.date_of_birth == second.date_of_birth
    assert first.contactpoint_id != second.contactpoint_id
