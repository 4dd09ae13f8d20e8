"""User management by council teams, within their area: create, suspend, vetting, roles."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from contactpoint.access.models import SessionEndReason
from contactpoint.access.permissions import Permission
from contactpoint.access.policy import (
    AccessDeniedError,
    Role,
    permissions_for,
    principal_for_operator,
    principal_for_user,
)
from contactpoint.access.sessions import (
    AccessStopped,
    ActiveSession,
    SessionEnded,
    resume_session,
)
from contactpoint.access.tokens import (
    TokenAccepted,
    TokenRefused,
    authenticate_token,
    issue_token_for_user,
)
from contactpoint.access.users import (
    MAX_DISPLAY_NAME,
    UserManagementError,
    Vetting,
    change_display_name,
    change_own_password,
    create_user,
    grant_role,
    list_users,
    name_child_protection_officer,
    record_vetting,
    reinstate_user,
    suspend_user,
    withdraw_role,
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


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("", "Enter a username"),
        ("ab", "3 to 64 characters"),
        ("has space", "3 to 64 characters"),
        ("-starts-with-dash", "3 to 64 characters"),
        ("x" * 65, "3 to 64 characters"),
    ],
)
def test_a_malformed_username_is_refused_against_the_username_field(db_session, username, message):
    council = factories.council(db_session)
    with pytest.raises(UserManagementError, match=message) as refused:
        new_user(
            db_session, by=team_of(db_session, council), organisation=council, username=username
        )
    assert refused.value.field == "username"


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
    with pytest.raises(UserManagementError, match="today or in the past") as refused:
        record_vetting(
            db_session,
            by=team_of(db_session, council),
            user=user,
            vetting=Vetting(training_completed_on=TODAY + dt.timedelta(days=1)),
            today=TODAY,
        )
    assert refused.value.field == "training_completed_on"
    assert user.training_completed_on != TODAY + dt.timedelta(days=1)


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


def last_admin_action(db_session):
    row = db_session.scalars(
        select(AuditEventRow)
        .where(AuditEventRow.event_type == EventType.ADMIN_ACTION)
        .order_by(AuditEventRow.sequence.desc())
    ).first()
    return row, json.loads(db_session.get(AuditEventDetails, row.sequence).details)


def colleague_of(db_session, council, *, roles=(Role.PRACTITIONER,)):
    organisation = factories.accredited_organisation(db_session, in_council=council)
    return factories.user_account(db_session, roles=roles, organisation_of=organisation)


def test_every_problem_with_a_new_user_is_named_by_its_field(db_session):
    council = factories.council(db_session)
    team = team_of(db_session, council)
    with pytest.raises(UserManagementError) as refused:
        create_user(
            db_session,
            by=team,
            username="x",
            display_name="   ",
            organisation=None,
            roles=(),
            vetting=Vetting(background_check_on=TODAY + dt.timedelta(days=1)),
            now=NOW,
        )
    assert refused.value.field == "username"
    assert set(refused.value.problems) == {
        "username",
        "display_name",
        "organisation_id",
        "roles",
        "background_check_on",
    }


def test_someone_who_may_not_manage_users_learns_nothing_from_bad_input(db_session):
    council = factories.council(db_session)
    taken = colleague_of(db_session, council)
    practitioner = principal_for_user(taken, acting_role=Role.PRACTITIONER)
    with pytest.raises(AccessDeniedError):
        new_user(db_session, by=practitioner, organisation=council, username=taken.username)


def test_changing_a_display_name_is_audited_with_the_old_and_new_names(db_session):
    council = factories.council(db_session)
    user = colleague_of(db_session, council)
    change_display_name(
        db_session, by=team_of(db_session, council), user=user, display_name="  Mary Seacole "
    )
    row, details = last_admin_action(db_session)
    assert user.display_name == "Mary Seacole"
    assert row.subject_ref == str(user.id)
    assert details["action"] == "change_display_name"
    assert details["changes"]["display_name"] == {"old": "Test User", "new": "Mary Seacole"}


@pytest.mark.parametrize(
    ("display_name", "message"),
    [
        ("", "Enter the user's name"),
        ("   ", "Enter the user's name"),
        ("x" * (MAX_DISPLAY_NAME + 1), f"{MAX_DISPLAY_NAME} characters or fewer"),
        ("Mary\nSeacole", "letters, spaces and punctuation"),
    ],
)
def test_a_bad_display_name_is_refused_against_its_field(db_session, display_name, message):
    council = factories.council(db_session)
    user = colleague_of(db_session, council)
    with pytest.raises(UserManagementError, match=message) as refused:
        change_display_name(
            db_session, by=team_of(db_session, council), user=user, display_name=display_name
        )
    assert refused.value.field == "display_name"
    assert user.display_name == "Test User"


def test_nobody_changes_their_own_name_or_roles(db_session):
    council = factories.council(db_session)
    member = factories.council_team(db_session, of=council)
    myself = principal_for_user(member, acting_role=Role.COUNCIL_TEAM)
    with pytest.raises(AccessDeniedError, match="your own account"):
        change_display_name(db_session, by=myself, user=member, display_name="Me")
    with pytest.raises(AccessDeniedError, match="your own account"):
        grant_role(db_session, by=myself, user=member, role=Role.AUDITOR, now=NOW)


def test_a_council_team_cannot_grant_a_role_beyond_its_reach(db_session):
    council = factories.council(db_session)
    team = team_of(db_session, council)
    ours = colleague_of(db_session, council)
    elsewhere = factories.practitioner(db_session)
    with pytest.raises(AccessDeniedError, match="Only national administrators"):
        grant_role(db_session, by=team, user=ours, role=Role.NATIONAL_ADMINISTRATOR, now=NOW)
    with pytest.raises(AccessDeniedError, match="only in your council's area"):
        grant_role(db_session, by=team, user=elsewhere, role=Role.AUDITOR, now=NOW)
    assert ours.roles == elsewhere.roles == {Role.PRACTITIONER}


def test_granting_and_withdrawing_a_role_are_audited_with_the_old_and_new_roles(db_session):
    council = factories.council(db_session)
    team = team_of(db_session, council)
    user = colleague_of(db_session, council)
    grant_role(db_session, by=team, user=user, role=Role.AUDITOR, now=NOW)
    _, granted = last_admin_action(db_session)
    withdraw_role(db_session, by=team, user=user, role=Role.PRACTITIONER, now=NOW + MINUTE)
    _, withdrawn = last_admin_action(db_session)
    assert granted["action"] == "grant_role"
    assert granted["changes"]["roles"] == {"old": "practitioner", "new": "auditor,practitioner"}
    assert withdrawn["action"] == "withdraw_role"
    assert withdrawn["changes"]["roles"] == {"old": "auditor,practitioner", "new": "auditor"}
    assert user.roles == {Role.AUDITOR}


def test_withdrawing_a_role_stops_its_sessions_and_tokens_at_once_and_for_good(db_session):
    council = factories.council(db_session)
    team = team_of(db_session, council)
    user = colleague_of(db_session, council, roles=(Role.PRACTITIONER, Role.AUDITOR))
    as_auditor = sign_in(db_session, user, role=Role.AUDITOR)
    as_practitioner = sign_in(db_session, user, role=Role.PRACTITIONER, now=NOW + MINUTE)
    token = issue_token_for_user(
        db_session,
        by=principal_for_operator("root"),
        user=user,
        acting_role=Role.AUDITOR,
        scopes=[Permission.AUDIT_REPORT_VIEW],
        now=NOW,
    ).token
    withdraw_role(db_session, by=team, user=user, role=Role.AUDITOR, now=NOW + 2 * MINUTE)
    at = NOW + 3 * MINUTE
    ended = resume_session(db_session, token=as_auditor.token, now=at)
    assert isinstance(ended, SessionEnded)
    assert ended.reason is SessionEndReason.ROLE_WITHDRAWN
    assert isinstance(
        resume_session(db_session, token=as_practitioner.token, now=at), ActiveSession
    )
    assert isinstance(authenticate_token(db_session, token=token, now=at), TokenRefused)
    grant_role(db_session, by=team, user=user, role=Role.AUDITOR, now=at)
    later = NOW + 4 * MINUTE
    assert not isinstance(authenticate_token(db_session, token=token, now=later), TokenAccepted)
    assert isinstance(resume_session(db_session, token=as_auditor.token, now=later), SessionEnded)


def test_a_user_keeps_at_least_one_role(db_session):
    council = factories.council(db_session)
    user = colleague_of(db_session, council)
    with pytest.raises(UserManagementError, match="at least one role") as refused:
        withdraw_role(
            db_session, by=team_of(db_session, council), user=user, role=Role.PRACTITIONER, now=NOW
        )
    assert refused.value.field == "role"
    assert user.roles == {Role.PRACTITIONER}


def test_a_role_the_user_does_not_hold_cannot_be_withdrawn(db_session):
    council = factories.council(db_session)
    user = colleague_of(db_session, council, roles=(Role.PRACTITIONER, Role.AUDITOR))
    with pytest.raises(UserManagementError, match="does not have that role") as refused:
        withdraw_role(
            db_session, by=team_of(db_session, council), user=user, role=Role.DATA_MANAGER, now=NOW
        )
    assert refused.value.field == "role"
