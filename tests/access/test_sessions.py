"""Sessions: timeouts, conditions re-checked on every request, CSRF, re-authentication."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from contactpoint.access import throttling
from contactpoint.access.models import SessionEndReason, SignInThrottle, UserSession
from contactpoint.access.permissions import Permission
from contactpoint.access.policy import AccessCondition, Role, decide, principal_for_operator
from contactpoint.access.reauthentication import ReauthenticationRefused, Refusal, reauthenticate
from contactpoint.access.sessions import (
    NOT_SIGNED_IN,
    AccessStopped,
    ActiveSession,
    SessionEnded,
    StartedSession,
    check_csrf,
    csrf_token_for,
    end_session,
    open_sessions_of,
    resume_session,
)
from contactpoint.access.users import suspend_user, withdraw_role
from contactpoint.audit.events import EventType, Outcome
from contactpoint.audit.models import AuditEventDetails, AuditEventRow
from contactpoint.organisations.models import AccreditationStatus

import factories
from factories import NOW, TEST_PASSWORD
from signing_in import CLIENT, sign_in

MINUTE = dt.timedelta(minutes=1)


def resume(db_session, token, at, **options):
    return resume_session(db_session, token=token, now=at, **options)


def test_a_session_goes_on_while_the_user_is_active(db_session):
    started = sign_in(db_session, factories.practitioner(db_session))
    active = resume(db_session, started.token, NOW + 29 * MINUTE)
    assert isinstance(active, ActiveSession)
    assert active.principal.acting_role is Role.PRACTITIONER
    assert decide(active.principal, Permission.DIRECTORY_CHILD_SEARCH).allowed


def test_a_session_idle_for_30_minutes_has_ended(db_session):
    started = sign_in(db_session, factories.practitioner(db_session))
    resume(db_session, started.token, NOW + 20 * MINUTE)
    ended = resume(db_session, started.token, NOW + 50 * MINUTE)
    assert ended == SessionEnded(
        SessionEndReason.IDLE_TIMEOUT,
        "You were signed out because you had not done anything for 30 minutes. Sign in again.",
    )
    assert isinstance(resume(db_session, started.token, NOW + 51 * MINUTE), SessionEnded)


def test_a_session_ends_after_12_hours_however_active_the_user(db_session):
    started = sign_in(db_session, factories.practitioner(db_session))
    at = NOW
    while at < NOW + dt.timedelta(hours=12) - 20 * MINUTE:
        at += 20 * MINUTE
        assert isinstance(resume(db_session, started.token, at), ActiveSession)
    ended = resume(db_session, started.token, NOW + dt.timedelta(hours=12))
    assert isinstance(ended, SessionEnded)
    assert ended.reason is SessionEndReason.ABSOLUTE_TIMEOUT


def test_asking_how_long_is_left_does_not_keep_a_session_alive(db_session):
    started = sign_in(db_session, factories.practitioner(db_session))
    check = resume(db_session, started.token, NOW + 26 * MINUTE, touch=False)
    assert check.seconds_until_expiry(NOW + 26 * MINUTE) == 4 * 60
    assert check.expiry_warning_due(NOW + 26 * MINUTE)
    assert isinstance(resume(db_session, started.token, NOW + 30 * MINUTE), SessionEnded)


def test_the_warning_is_not_due_early_in_a_session(db_session):
    started = sign_in(db_session, factories.practitioner(db_session))
    active = resume(db_session, started.token, NOW + MINUTE)
    assert not active.expiry_warning_due(NOW + MINUTE)


def test_a_signed_out_session_cannot_be_resumed(db_session):
    started = sign_in(db_session, factories.practitioner(db_session))
    end_session(db_session, user_session=started.user_session, now=NOW + MINUTE)
    assert resume(db_session, started.token, NOW + 2 * MINUTE) == SessionEnded(
        SessionEndReason.SIGNED_OUT, NOT_SIGNED_IN
    )


@pytest.mark.parametrize("token", ["", "made-up-token", "x" * 64])
def test_an_unknown_token_is_not_signed_in(db_session, token):
    assert resume(db_session, token, NOW) == SessionEnded(None, NOT_SIGNED_IN)


def test_suspending_a_user_ends_every_open_session_at_once(db_session):
    user = factories.practitioner(db_session)
    first = sign_in(db_session, user, now=NOW)
    second = sign_in(db_session, user, now=NOW + MINUTE)
    suspend_user(
        db_session,
        by=principal_for_operator("root"),
        user=user,
        reason="Looked up a relative.",
        now=NOW + 2 * MINUTE,
    )
    for started in (first, second):
        stopped = resume(db_session, started.token, NOW + 3 * MINUTE)
        assert isinstance(stopped, AccessStopped)
        assert stopped.message.startswith("Your account was suspended on 25 November 2026.")
        assert started.user_session.ended_reason is SessionEndReason.SUSPENDED


def test_a_user_suspended_elsewhere_is_stopped_on_their_next_request(db_session):
    user = factories.practitioner(db_session)
    started = sign_in(db_session, user)
    user.suspended_at = NOW + MINUTE  # as another process would, without ending sessions
    db_session.flush()
    stopped = resume(db_session, started.token, NOW + 2 * MINUTE)
    assert isinstance(stopped, AccessStopped)
    assert [c.condition for c in stopped.lapsed] == [AccessCondition.ACCOUNT_ACTIVE]


def test_a_background_check_expiring_mid_session_stops_access_saying_who_can_restore_it(
    db_session,
):
    user = factories.practitioner(db_session)
    user.background_check_on = dt.date(2023, 11, 26)  # expires at midnight tonight
    late_evening = dt.datetime(2026, 11, 25, 23, 50, tzinfo=dt.UTC)
    started = sign_in(db_session, user, now=late_evening)
    stopped = resume(db_session, started.token, late_evening + 20 * MINUTE)
    assert isinstance(stopped, AccessStopped)
    assert stopped.message.startswith(
        "Your enhanced background check expired on 26 November 2026 "
        "(checks are valid for 3 years). Your council's ContactPoint team ("
    )
    assert stopped.message.endswith("can record a new check.")
    assert started.user_session.ended_reason is SessionEndReason.CONDITION_LAPSED


@pytest.mark.parametrize(
    ("lapse", "condition"),
    [
        ("training_completed_on", AccessCondition.TRAINING),
        ("agreement_signed_on", AccessCondition.USER_AGREEMENT),
        ("employer_authorised_on", AccessCondition.EMPLOYER_AUTHORISATION),
        ("background_check_on", AccessCondition.BACKGROUND_CHECK),
    ],
)
def test_any_condition_lapsing_mid_session_stops_access_naming_it(db_session, lapse, condition):
    user = factories.practitioner(db_session)
    started = sign_in(db_session, user)
    setattr(user, lapse, None)
    db_session.flush()
    stopped = resume(db_session, started.token, NOW + MINUTE)
    assert isinstance(stopped, AccessStopped)
    assert [c.condition for c in stopped.lapsed] == [condition]
    assert "can record" in stopped.message


def test_an_organisation_losing_its_accreditation_stops_its_users_at_once(db_session):
    user = factories.practitioner(db_session)
    started = sign_in(db_session, user)
    user.organisation.accreditation_status = AccreditationStatus.SUSPENDED
    db_session.flush()
    stopped = resume(db_session, started.token, NOW + MINUTE)
    assert isinstance(stopped, AccessStopped)
    assert stopped.message.endswith("A national administrator can accredit it.")


def test_a_session_ended_by_a_lapse_keeps_saying_why(db_session):
    user = factories.practitioner(db_session)
    started = sign_in(db_session, user)
    user.training_completed_on = None
    db_session.flush()
    resume(db_session, started.token, NOW + MINUTE)
    again = resume(db_session, started.token, NOW + 2 * MINUTE)
    assert isinstance(again, AccessStopped)


def test_withdrawing_the_role_a_session_acts_in_ends_that_session(db_session):
    user = factories.user_account(db_session, roles=(Role.PRACTITIONER, Role.AUDITOR))
    as_auditor = sign_in(db_session, user, role=Role.AUDITOR)
    as_practitioner = sign_in(db_session, user, role=Role.PRACTITIONER, now=NOW + MINUTE)
    withdraw_role(
        db_session,
        by=principal_for_operator("root"),
        user=user,
        role=Role.AUDITOR,
        now=NOW + 2 * MINUTE,
    )
    ended = resume(db_session, as_auditor.token, NOW + 3 * MINUTE)
    assert isinstance(ended, SessionEnded)
    assert ended.reason is SessionEndReason.ROLE_WITHDRAWN
    assert isinstance(resume(db_session, as_practitioner.token, NOW + 3 * MINUTE), ActiveSession)


def test_a_form_must_carry_its_sessions_csrf_token(db_session):
    mine = sign_in(db_session, factories.practitioner(db_session))
    theirs = sign_in(db_session, factories.practitioner(db_session))
    token = csrf_token_for(mine.user_session)
    assert len(token) >= 40
    assert check_csrf(mine.user_session, token)
    assert not check_csrf(mine.user_session, None)
    assert not check_csrf(mine.user_session, "")
    assert not check_csrf(mine.user_session, token[:-1])
    assert not check_csrf(mine.user_session, csrf_token_for(theirs.user_session))


def reauthenticate_at(db_session, user, started, at, *, password=TEST_PASSWORD, code=None):
    return reauthenticate(
        db_session,
        user_session=started.user_session,
        password=password,
        code=factories.totp_code(user, at=at) if code is None else code,
        sealer=factories.sealer(),
        client_key=CLIENT,
        now=at,
    )


def test_a_shield_override_needs_the_password_and_a_new_code_within_5_minutes(db_session):
    user = factories.child_protection_officer(db_session)
    started = sign_in(db_session, user)
    before = resume(db_session, started.token, NOW + MINUTE)
    assert decide(before.principal, Permission.DIRECTORY_SHIELD_OVERRIDE).needs_reauthentication
    rotated = reauthenticate_at(db_session, user, started, NOW + 2 * MINUTE)
    fresh = resume(db_session, rotated.token, NOW + 3 * MINUTE)
    assert decide(fresh.principal, Permission.DIRECTORY_SHIELD_OVERRIDE).allowed
    stale = resume(db_session, rotated.token, NOW + 8 * MINUTE)
    assert not decide(stale.principal, Permission.DIRECTORY_SHIELD_OVERRIDE).allowed


def test_reauthentication_with_a_wrong_password_or_reused_code_fails(db_session):
    user = factories.child_protection_officer(db_session)
    started = sign_in(db_session, user)
    used_code = factories.totp_code(user)
    at = NOW + MINUTE
    wrong = "not my password"
    wrong_password = reauthenticate_at(db_session, user, started, at, password=wrong)
    reused_code = reauthenticate_at(db_session, user, started, at + MINUTE, code=used_code)
    assert wrong_password.refusal is Refusal.WRONG_CODE
    assert reused_code.refusal is Refusal.WRONG_CODE
    assert wrong_password.message == reused_code.message  # never which of the two was wrong
    assert wrong_password.seconds_to_wait is None
    assert started.user_session.reauthenticated_at is None


def test_reauthentication_while_throttled_says_how_many_seconds_to_wait(db_session):
    user = factories.child_protection_officer(db_session)
    started = sign_in(db_session, user)
    wrong = "not my password"
    for minute in range(1, 6):  # five failures lock the account name for 15 minutes
        reauthenticate_at(db_session, user, started, NOW + minute * MINUTE, password=wrong)
    at = NOW + 6 * MINUTE
    refused = reauthenticate_at(db_session, user, started, at)
    assert refused.refusal is Refusal.THROTTLED
    assert refused.seconds_to_wait == 14 * 60  # locked at minute 5, until minute 20
    assert refused.message == "Too many attempts: try again in 14 minutes."
    assert started.user_session.reauthenticated_at is None
    assert isinstance(
        reauthenticate_at(db_session, user, started, NOW + 20 * MINUTE), StartedSession
    )


def _reauthentication_events(db_session) -> list[tuple[Outcome, dict[str, object]]]:
    found = db_session.execute(
        select(AuditEventRow.outcome, AuditEventDetails.details)
        .join(AuditEventDetails, AuditEventDetails.sequence == AuditEventRow.sequence)
        .where(AuditEventRow.event_type == EventType.SIGN_IN)
        .order_by(AuditEventRow.sequence)
    )
    events = [(outcome, json.loads(details)) for outcome, details in found]
    return [(o, d) for o, d in events if str(d["method"]).startswith("reauthenticate")]


def test_reauthentication_records_the_second_factor_used_and_the_throttle(db_session):
    user = factories.child_protection_officer(db_session)
    started = sign_in(db_session, user)
    wrong = "not my password"
    reauthenticate_at(db_session, user, started, NOW + MINUTE, password=wrong)
    rotated = reauthenticate_at(db_session, user, started, NOW + 2 * MINUTE)
    assert isinstance(rotated, StartedSession)
    for minute in range(3, 9):
        reauthenticate_at(db_session, user, rotated, NOW + minute * MINUTE, password=wrong)
    events = _reauthentication_events(db_session)
    assert events[:2] == [
        (Outcome.FAILURE, {"method": "reauthenticate_totp", "failure": "wrong_credentials"}),
        (Outcome.SUCCESS, {"method": "reauthenticate_totp"}),
    ]
    assert events[-1] == (Outcome.DENIED, {"method": "reauthenticate_totp", "failure": "throttled"})


def test_reauthenticating_clears_the_accounts_earlier_failures_as_signing_in_does(db_session):
    user = factories.child_protection_officer(db_session)
    started = sign_in(db_session, user)
    wrong = "not my password"
    refused = reauthenticate_at(db_session, user, started, NOW + MINUTE, password=wrong)
    assert isinstance(refused, ReauthenticationRefused)
    account = throttling.account_key(user.username)
    assert db_session.get(SignInThrottle, account) is not None
    assert isinstance(
        reauthenticate_at(db_session, user, started, NOW + 2 * MINUTE), StartedSession
    )
    db_session.expire_all()
    assert db_session.get(SignInThrottle, account) is None


def test_reauthentication_gives_the_session_a_new_token_and_the_old_one_stops_working(
    db_session,
):
    user = factories.child_protection_officer(db_session)
    started = sign_in(db_session, user)
    rotated = reauthenticate_at(db_session, user, started, NOW + MINUTE)
    assert rotated.token != started.token
    assert csrf_token_for(rotated.user_session) != csrf_token_for(started.user_session)
    assert resume(db_session, started.token, NOW + 2 * MINUTE) == SessionEnded(
        SessionEndReason.ROTATED, NOT_SIGNED_IN
    )
    assert isinstance(resume(db_session, rotated.token, NOW + 2 * MINUTE), ActiveSession)


def test_an_ended_session_cannot_be_brought_back_by_reauthenticating(db_session):
    user = factories.child_protection_officer(db_session)
    started = sign_in(db_session, user)
    resume(db_session, started.token, NOW + 40 * MINUTE)  # idle for 40 minutes: ended
    timed_out = reauthenticate_at(db_session, user, started, NOW + 41 * MINUTE)
    end_session(db_session, user_session=started.user_session, now=NOW + 42 * MINUTE)
    signed_out = reauthenticate_at(db_session, user, started, NOW + 43 * MINUTE)
    assert timed_out.refusal is Refusal.SESSION_ENDED
    assert signed_out.refusal is Refusal.SESSION_ENDED


def test_reauthentication_does_not_extend_the_12_hour_limit(db_session):
    user = factories.child_protection_officer(db_session)
    started = sign_in(db_session, user)
    late = NOW + dt.timedelta(hours=11, minutes=40)
    at = NOW
    while at < late:
        at += 20 * MINUTE
        assert isinstance(resume(db_session, started.token, at), ActiveSession)
    rotated = reauthenticate_at(db_session, user, started, late)
    ended = resume(db_session, rotated.token, NOW + dt.timedelta(hours=12))
    assert ended.reason is SessionEndReason.ABSOLUTE_TIMEOUT


def test_sessions_are_kept_by_digest_only(db_session):
    started = sign_in(db_session, factories.practitioner(db_session))
    assert db_session.scalar(select(UserSession).where(UserSession.id == started.token)) is None


def test_a_users_open_sessions_can_be_listed_and_each_ended(db_session):
    user = factories.practitioner(db_session)
    older = sign_in(db_session, user)
    newer = sign_in(db_session, user, now=NOW + MINUTE)
    at = NOW + 2 * MINUTE
    assert open_sessions_of(db_session, user_id=user.id, now=at) == [
        newer.user_session,
        older.user_session,
    ]
    end_session(db_session, user_session=older.user_session, now=at)
    assert open_sessions_of(db_session, user_id=user.id, now=at) == [newer.user_session]
    assert open_sessions_of(db_session, user_id=user.id, now=NOW + 40 * MINUTE) == []
