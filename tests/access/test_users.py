"""User management by council teams, within their area: create, suspend, vetting, roles."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from contactpoint.access.permissions import Permission
from contactpoint.access.policy import (
    AccessDeniedError,
    Role,
    permissions_for,
    principal_for_operator,
    principal_for_user,
)
from contactpoint.access.sessions import AccessStopped, ActiveSession, resume_session
from contactpoint.access.users import (
    UserManagementError,
    Vetting,
    change_own_password,
    create_user,
    grant_role,
    list_users,
    name_child_protection_officer,
    record_vetting,
    reinstate_user,
    suspend_user,
)
from contactpoint.audit.events import ActorKind, EventType
from contactpoint.audit.models import AuditEventDetails, AuditEventRow

import factories
from factories import NOW, TEST_PASSWORD, TODAY
from signing_in import sign_in

MINUTE = dt.timedelta(minutes=1)
NEW_PASSWORD = "my own new passphrase"  # noqa: S105 - test data
WRONG_GUESS = "a wrong guess"


def team_of(db_session, council):
    member = factories.council_team(db_session, of=council)
    return principal_for_user(member, acting_role=Role.COUNCIL_TEAM)


def new_user(db_session, *, by, organisation, username="new.user", roles=(Role.PRACTITIONER,)):
    return create_user(
        db_session,
        by=by,
        username=username,
        display_name="New User",
        organisation=organisation,
        roles=roles,
        now=NOW,
    )


def test_a_council_team_creates_a_user_in_its_area_with_a_lower_case_username(db_session):
    council = factories.council(db_session)
    school = factories.accredited_organisation(db_session, in_council=council)
    user = new_user(
        db_session, by=team_of(db_session, council), organisation=school, username="  Sam.Patel "
    )
    assert user.username == "sam.patel"
    assert user.roles == {Role.PRACTITIONER}
    assert user.password_hash is None
    assert not user.has_second_factor


def test_a_username_can_be_taken_only_once_whatever_its_case(db_session):
    council = factories.council(db_session)
    team = team_of(db_session, council)
    new_user(db_session, by=team, organisation=council, username="sam.patel")
    with pytest.raises(UserManagementError, match="already taken"):
        new_user(db_session, by=team, organisation=council, username="SAM.PATEL")


@pytest.mark.parametrize("username", ["", "ab", "has space", "-starts-with-dash", "x" * 65])
def test_a_malformed_username_is_refused(db_session, username):
    council = factories.council(db_session)
    with pytest.raises(UserManagementError, match="3 to 64 characters"):
        new_user(
            db_session, by=team_of(db_session, council), organisation=council, username=username
        )


def test_a_council_team_cannot_create_users_in_another_councils_area(db_session):
    elsewhere = factories.accredited_organisation(db_session)
    team = team_of(db_session, factories.council(db_session))
    with pytest.raises(AccessDeniedError, match="only in your council's area"):
        new_user(db_session, by=team, organisation=elsewhere)


def test_a_council_team_cannot_make_a_national_administrator(db_session):
    council = factories.council(db_session)
    with pytest.raises(AccessDeniedError, match="Only national administrators"):
        new_user(
            db_session,
            by=team_of(db_session, council),
            organisation=council,
            roles=(Role.NATIONAL_ADMINISTRATOR,),
        )


def test_a_practitioner_cannot_manage_users(db_session):
    user = factories.practitioner(db_session)
    with pytest.raises(AccessDeniedError, match="Acting as practitioner"):
        new_user(
            db_session,
            by=principal_for_user(user, acting_role=Role.PRACTITIONER),
            organisation=user.organisation,
        )


def test_nobody_can_change_their_own_account(db_session):
    council = factories.council(db_session)
    member = factories.council_team(db_session, of=council)
    myself = principal_for_user(member, acting_role=Role.COUNCIL_TEAM)
    with pytest.raises(AccessDeniedError, match="your own account"):
        name_child_protection_officer(db_session, by=myself, user=member, named=True)


def test_a_council_team_lists_only_the_users_of_its_area(db_session):
    council = factories.council(db_session)
    team_member = factories.council_team(db_session, of=council)
    in_area = factories.practitioner(
        db_session,
        organisation_of=factories.accredited_organisation(db_session, in_council=council),
    )
    elsewhere = factories.practitioner(db_session)
    listed = list_users(
        db_session, by=principal_for_user(team_member, acting_role=Role.COUNCIL_TEAM)
    )
    assert {user.id for user in listed} == {team_member.id, in_area.id}
    everyone = list_users(db_session, by=principal_for_operator("root"))
    assert {team_member.id, in_area.id, elsewhere.id} <= {user.id for user in everyone}


def test_suspension_needs_a_reason_and_reinstatement_restores_access(db_session):
    council = factories.council(db_session)
    team = team_of(db_session, council)
    user = factories.practitioner(
        db_session,
        organisation_of=factories.accredited_organisation(db_session, in_council=council),
    )
    with pytest.raises(UserManagementError, match="reason"):
        suspend_user(db_session, by=team, user=user, reason="  ", now=NOW)
    started = sign_in(db_session, user)
    suspend_user(db_session, by=team, user=user, reason="Investigation", now=NOW + MINUTE)
    assert isinstance(
        resume_session(db_session, token=started.token, now=NOW + MINUTE), AccessStopped
    )
    reinstate_user(db_session, by=team, user=user)
    again = sign_in(db_session, user, now=NOW + 2 * MINUTE)
    assert isinstance(
        resume_session(db_session, token=again.token, now=NOW + 3 * MINUTE), ActiveSession
    )


def test_vetting_dates_are_recorded_and_restore_access(db_session):
    council = factories.council(db_session)
    user = factories.lapsed_check(
        db_session,
        organisation_of=factories.accredited_organisation(db_session, in_council=council),
    )
    record_vetting(
        db_session,
        by=team_of(db_session, council),
        user=user,
        vetting=Vetting(background_check_on=TODAY),
        today=TODAY,
    )
    assert user.background_check_on == TODAY
    sign_in(db_session, user)


def test_a_vetting_date_in_the_future_is_refused(db_session):
    council = factories.council(db_session)
    user = factories.practitioner(
        db_session,
        organisation_of=factories.accredited_organisation(db_session, in_council=council),
    )
    with pytest.raises(UserManagementError, match="future"):
        record_vetting(
            db_session,
            by=team_of(db_session, council),
            user=user,
            vetting=Vetting(training_completed_on=TODAY + dt.timedelta(days=1)),
            today=TODAY,
        )


def test_naming_a_child_protection_officer_grants_the_override(db_session):
    user = factories.practitioner(db_session)
    name_child_protection_officer(
        db_session, by=principal_for_operator("root"), user=user, named=True
    )
    assert Permission.DIRECTORY_SHIELD_OVERRIDE in permissions_for(user, Role.PRACTITIONER)


def test_granting_a_role_lets_the_user_act_in_it(db_session):
    user = factories.practitioner(db_session)
    grant_role(db_session, by=principal_for_operator("root"), user=user, role=Role.AUDITOR, now=NOW)
    assert user.roles == {Role.PRACTITIONER, Role.AUDITOR}


def test_changing_your_own_password_needs_the_current_one_and_ends_your_other_sessions(
    db_session,
):
    user = factories.practitioner(db_session)
    here = sign_in(db_session, user)
    there = sign_in(db_session, user, now=NOW + MINUTE)
    with pytest.raises(ValueError, match="current password is not right"):
        change_own_password(
            db_session,
            user_session=here.user_session,
            current_password=WRONG_GUESS,
            new_password=NEW_PASSWORD,
            now=NOW + 2 * MINUTE,
        )
    change_own_password(
        db_session,
        user_session=here.user_session,
        current_password=TEST_PASSWORD,
        new_password=NEW_PASSWORD,
        now=NOW + 2 * MINUTE,
    )
    at = NOW + 3 * MINUTE
    assert isinstance(resume_session(db_session, token=here.token, now=at), ActiveSession)
    assert not isinstance(resume_session(db_session, token=there.token, now=at), ActiveSession)


def test_a_suspension_is_recorded_in_the_audit_trail_with_its_reason(db_session):
    user = factories.practitioner(db_session)
    suspend_user(
        db_session,
        by=principal_for_operator("ops-user"),
        user=user,
        reason="Looked up a relative",
        now=NOW,
    )
    row = db_session.scalars(
        select(AuditEventRow)
        .where(AuditEventRow.event_type == EventType.ADMIN_ACTION)
        .order_by(AuditEventRow.sequence.desc())
    ).first()
    assert (row.actor_kind, row.actor_label, row.subject_ref) == (
        ActorKind.OPERATOR,
        "ops-user",
        str(user.id),
    )
    details = json.loads(db_session.get(AuditEventDetails, row.sequence).details)
    assert details["action"] == "suspend_user"
    assert details["changes"]["suspended_reason"]["new"] == "Looked up a relative"
