"""Conditions of access: each lapse says which condition lapsed and who can restore it.

Pure: unsaved objects, no database.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from contactpoint.access.models import RoleGrant, UserAccount
from contactpoint.access.policy import (
    AccessCondition,
    Role,
    access_conditions,
    background_check_expires_on,
)
from contactpoint.organisations.models import AccreditationStatus, Organisation, OrganisationKind

TODAY = dt.date(2026, 11, 25)
VETTED = dt.date(2025, 11, 25)
TEAM = "Your council's ContactPoint team (Testshire County Council)"


def council() -> Organisation:
    return Organisation(
        id=1,
        kind=OrganisationKind.COUNCIL,
        name="Testshire County Council",
        accreditation_status=AccreditationStatus.ACCREDITED,
    )


def school(*, status: AccreditationStatus = AccreditationStatus.ACCREDITED) -> Organisation:
    return Organisation(
        id=2,
        kind=OrganisationKind.SCHOOL,
        name="Testville Primary School",
        council_id=1,
        council=council(),
        accreditation_status=status,
    )


def vetted_user(**changes: object) -> UserAccount:
    fields: dict[str, object] = {
        "training_completed_on": VETTED,
        "background_check_on": VETTED,
        "agreement_signed_on": VETTED,
        "employer_authorised_on": VETTED,
        "role_grants": [RoleGrant(role=Role.PRACTITIONER)],
    }
    return UserAccount(**(fields | changes))


def lapsed(user: UserAccount, organisation: Organisation | None = None, today=TODAY):
    return access_conditions(user, organisation or school(), today=today)


def test_a_vetted_user_of_an_accredited_organisation_meets_every_condition():
    assert lapsed(vetted_user()) == []


def test_an_expired_background_check_says_when_it_expired_and_who_can_record_a_new_one():
    [condition] = lapsed(vetted_user(background_check_on=dt.date(2023, 3, 3)))
    assert condition.condition is AccessCondition.BACKGROUND_CHECK
    assert condition.message == (
        "Your enhanced background check expired on 3 March 2026 (checks are valid for 3 years). "
        f"{TEAM} can record a new check."
    )
    assert condition.restorer == TEAM


def test_a_missing_background_check_is_a_lapse():
    [condition] = lapsed(vetted_user(background_check_on=None))
    assert condition.condition is AccessCondition.BACKGROUND_CHECK
    assert "No enhanced background check is recorded" in condition.message


def test_a_background_check_is_valid_until_the_day_before_its_third_anniversary():
    user = vetted_user(background_check_on=dt.date(2023, 11, 25))
    assert lapsed(user, today=dt.date(2026, 11, 24)) == []
    assert [c.condition for c in lapsed(user, today=dt.date(2026, 11, 25))] == [
        AccessCondition.BACKGROUND_CHECK
    ]


def test_a_check_made_on_29_february_expires_on_28_february():
    assert background_check_expires_on(dt.date(2024, 2, 29)) == dt.date(2027, 2, 28)


@given(checked_on=st.dates(dt.date(2000, 1, 1), dt.date(2090, 12, 31)), days=st.integers(0, 1200))
def test_a_background_check_lapses_exactly_when_three_years_have_passed(checked_on, days):
    today = checked_on + dt.timedelta(days=days)
    user = vetted_user(background_check_on=checked_on)
    expired = today >= background_check_expires_on(checked_on)
    assert bool(lapsed(user, today=today)) == expired


def test_missing_training_says_who_can_record_it():
    [condition] = lapsed(vetted_user(training_completed_on=None))
    assert condition.condition is AccessCondition.TRAINING
    assert condition.message == (
        f"Your ContactPoint training is not recorded as completed. {TEAM} can record it when "
        "you have completed the training."
    )


def test_an_unsigned_user_agreement_is_a_lapse():
    [condition] = lapsed(vetted_user(agreement_signed_on=None))
    assert condition.condition is AccessCondition.USER_AGREEMENT
    assert "user agreement" in condition.message
    assert condition.restorer == TEAM


def test_a_missing_employer_authorisation_is_a_lapse():
    [condition] = lapsed(vetted_user(employer_authorised_on=None))
    assert condition.condition is AccessCondition.EMPLOYER_AUTHORISATION
    assert "employer" in condition.message


def test_a_suspended_account_says_when_and_who_can_reinstate_it():
    suspended_at = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    [condition] = lapsed(vetted_user(suspended_at=suspended_at))
    assert condition.condition is AccessCondition.ACCOUNT_ACTIVE
    assert condition.message == (
        f"Your account was suspended on 20 November 2026. {TEAM} can reinstate it."
    )


def test_an_unaccredited_organisation_needs_a_national_administrator():
    [condition] = lapsed(vetted_user(), school(status=AccreditationStatus.SUSPENDED))
    assert condition.condition is AccessCondition.ORGANISATION_ACCREDITED
    assert condition.message == (
        "Your organisation, Testville Primary School, is not accredited to use ContactPoint "
        "(its accreditation is suspended). A national administrator can accredit it."
    )


def test_a_user_with_no_role_cannot_use_the_directory():
    [condition] = lapsed(vetted_user(role_grants=[]))
    assert condition.condition is AccessCondition.ROLE


def test_staff_of_a_national_body_are_restored_by_a_national_administrator():
    national = Organisation(
        id=3,
        kind=OrganisationKind.OTHER,
        name="National team",
        accreditation_status=AccreditationStatus.ACCREDITED,
    )
    [condition] = lapsed(vetted_user(training_completed_on=None), national)
    assert condition.restorer == "A national administrator"


def test_every_lapsed_condition_is_reported_not_just_the_first():
    user = vetted_user(training_completed_on=None, agreement_signed_on=None)
    assert [c.condition for c in lapsed(user)] == [
        AccessCondition.TRAINING,
        AccessCondition.USER_AGREEMENT,
    ]
