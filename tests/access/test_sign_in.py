"""Signing in: password, second factor, role; throttling, lockout, and no hint of who exists."""

from __future__ import annotations

import datetime as dt

import argon2
from sqlalchemy import func, select

from contactpoint.access.models import PendingSignIn, UserSession
from contactpoint.access.policy import AccessCondition, Role
from contactpoint.access.sessions import AccessStopped, StartedSession
from contactpoint.access.sign_in import (
    NO_SECOND_FACTOR,
    NO_SUCH_ROLE,
    TIMED_OUT,
    WRONG_CODE,
    WRONG_PASSWORD,
    SecondFactorAccepted,
    SecondFactorMethod,
    SecondFactorNeeded,
    SignInRefused,
    authenticate,
    begin_pending_sign_in,
    start_session,
)
from contactpoint.audit.events import ActorKind, EventType, Outcome
from contactpoint.audit.models import AuditEventDetails, AuditEventRow

import factories
from factories import NOW, TEST_PASSWORD
from signing_in import CLIENT, code_step, password_step, sign_in

MINUTE = dt.timedelta(minutes=1)


def attempt(db_session, username, password, *, at, client=CLIENT):
    return authenticate(db_session, username=username, password=password, client_key=client, now=at)


def test_a_vetted_user_signs_in_with_password_then_code_then_role(db_session):
    user = factories.practitioner(db_session)
    first = password_step(db_session, user)
    assert isinstance(first, SecondFactorNeeded)
    assert first.methods == {SecondFactorMethod.TOTP}
    assert not first.may_set_up
    second = code_step(db_session, user, first.pending_token)
    assert second == SecondFactorAccepted(first.pending_token, (Role.PRACTITIONER,))
    started = start_session(
        db_session, pending_token=first.pending_token, acting_role=Role.PRACTITIONER, now=NOW
    )
    assert isinstance(started, StartedSession)
    assert started.user_session.user_id == user.id


def test_usernames_match_whatever_their_case_and_surrounding_spaces(db_session):
    user = factories.practitioner(db_session)
    result = attempt(db_session, f"  {user.username.upper()} ", TEST_PASSWORD, at=NOW)
    assert isinstance(result, SecondFactorNeeded)


def test_a_wrong_password_and_an_unknown_username_get_the_same_answer(db_session):
    user = factories.practitioner(db_session)
    wrong_password = attempt(db_session, user.username, "not the password at all", at=NOW)
    unknown_user = attempt(db_session, "nobody-by-this-name", TEST_PASSWORD, at=NOW)
    assert wrong_password == unknown_user == SignInRefused(WRONG_PASSWORD)


def test_an_unknown_username_costs_the_same_argon2_work_as_a_known_one(db_session, monkeypatch):
    verified = []
    real_verify = argon2.PasswordHasher.verify

    def counting_verify(self, hash_, password):
        verified.append(hash_)
        return real_verify(self, hash_, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting_verify)
    user = factories.practitioner(db_session)
    attempt(db_session, user.username, "not the password at all", at=NOW)
    attempt(db_session, "nobody-by-this-name", "not the password at all", at=NOW)
    assert len(verified) == 2
    assert all(hash_.startswith("$argon2id$v=19$m=65536,t=3,p=4$") for hash_ in verified)


def brute_force(db_session, username, *, client, tries=6):
    """Wrong passwords a minute apart (past the back-off), then the right one."""
    answers = [
        attempt(db_session, username, f"guess {n}", at=NOW + n * MINUTE, client=client)
        for n in range(tries - 1)
    ]
    answers.append(
        attempt(db_session, username, TEST_PASSWORD, at=NOW + tries * MINUTE, client=client)
    )
    return answers


def test_brute_force_on_one_account_locks_it_with_the_same_answers_as_for_an_unknown_name(
    db_session,
):
    user = factories.practitioner(db_session)
    on_the_account = brute_force(db_session, user.username, client="198.51.100.1")
    on_no_account = brute_force(db_session, "nobody-by-this-name", client="198.51.100.2")
    assert on_the_account == on_no_account
    assert on_the_account[:5] == [SignInRefused(WRONG_PASSWORD)] * 5
    locked = on_the_account[5]
    assert isinstance(locked, SignInRefused)
    assert locked.message == (
        "There have been too many attempts to sign in. Wait 13 minutes, then try again."
    )


def test_the_right_password_is_refused_while_the_account_is_locked_and_accepted_after(
    db_session,
):
    user = factories.practitioner(db_session)
    brute_force(db_session, user.username, client="198.51.100.1")
    locked_until = NOW + 4 * MINUTE + dt.timedelta(minutes=15)
    still_locked = attempt(db_session, user.username, TEST_PASSWORD, at=locked_until - MINUTE)
    assert isinstance(still_locked, SignInRefused)
    assert isinstance(
        attempt(db_session, user.username, TEST_PASSWORD, at=locked_until), SecondFactorNeeded
    )


def test_each_failure_doubles_the_wait_before_the_next_attempt(db_session):
    user = factories.practitioner(db_session)
    waits = []
    at = NOW
    for _ in range(4):
        attempt(db_session, user.username, "wrong guess", at=at)
        too_soon = attempt(db_session, user.username, TEST_PASSWORD, at=at)
        assert isinstance(too_soon, SignInRefused)
        assert too_soon.retry_at is not None
        waits.append((too_soon.retry_at - at).total_seconds())
        at = too_soon.retry_at
    assert waits == [1, 2, 4, 8]


def test_brute_force_across_accounts_from_one_client_throttles_that_client(db_session):
    user = factories.practitioner(db_session)
    attacker = "192.0.2.66"
    for n in range(30):
        attempt(
            db_session, f"guessed-name-{n}", "password guess", at=NOW + n * MINUTE, client=attacker
        )
    later = NOW + 30 * MINUTE
    from_the_attacker = attempt(db_session, user.username, TEST_PASSWORD, at=later, client=attacker)
    from_elsewhere = attempt(db_session, user.username, TEST_PASSWORD, at=later, client=CLIENT)
    assert isinstance(from_the_attacker, SignInRefused)
    assert "too many attempts" in from_the_attacker.message
    assert isinstance(from_elsewhere, SecondFactorNeeded)


def test_wrong_codes_count_towards_the_accounts_lockout(db_session):
    user = factories.practitioner(db_session)
    first = password_step(db_session, user)
    for n in range(5):
        refused = code_step(
            db_session, user, first.pending_token, code="000000", now=NOW + n * MINUTE
        )
        assert refused == SignInRefused(WRONG_CODE)
    right_code_too_late = code_step(db_session, user, first.pending_token, now=NOW + 5 * MINUTE)
    assert isinstance(right_code_too_late, SignInRefused)
    assert "too many attempts" in right_code_too_late.message


def test_a_code_used_to_sign_in_cannot_be_used_again_in_the_same_step(db_session):
    user = factories.practitioner(db_session)
    code = factories.totp_code(user)
    sign_in(db_session, user)
    again = password_step(db_session, user, now=NOW + dt.timedelta(seconds=10))
    reused = code_step(
        db_session, user, again.pending_token, code=code, now=NOW + dt.timedelta(seconds=10)
    )
    assert reused == SignInRefused(WRONG_CODE)


def test_a_code_used_to_sign_in_cannot_be_used_again_in_the_next_step(db_session):
    user = factories.practitioner(db_session)
    code = factories.totp_code(user)
    sign_in(db_session, user)
    later = NOW + dt.timedelta(seconds=30)
    again = password_step(db_session, user, now=later)
    assert code_step(db_session, user, again.pending_token, code=code, now=later) == (
        SignInRefused(WRONG_CODE)
    )


def test_the_session_gets_a_new_token_and_the_pending_sign_in_is_discarded(db_session):
    user = factories.practitioner(db_session)
    first = password_step(db_session, user)
    code_step(db_session, user, first.pending_token)
    started = start_session(
        db_session, pending_token=first.pending_token, acting_role=Role.PRACTITIONER, now=NOW
    )
    assert started.token != first.pending_token
    assert db_session.scalar(select(func.count()).select_from(PendingSignIn)) == 0
    replayed = start_session(
        db_session, pending_token=first.pending_token, acting_role=Role.PRACTITIONER, now=NOW
    )
    assert replayed == SignInRefused(TIMED_OUT)


def test_only_the_tokens_digest_is_stored(db_session):
    started = sign_in(db_session, factories.practitioner(db_session))
    stored = db_session.scalars(select(UserSession.id)).all()
    assert started.token not in stored
    assert started.user_session.id in stored


def test_a_session_cannot_start_before_the_second_factor(db_session):
    user = factories.practitioner(db_session)
    first = password_step(db_session, user)
    skipped = start_session(
        db_session, pending_token=first.pending_token, acting_role=Role.PRACTITIONER, now=NOW
    )
    assert skipped == SignInRefused(TIMED_OUT)


def test_a_pending_sign_in_lasts_ten_minutes(db_session):
    user = factories.practitioner(db_session)
    first = password_step(db_session, user)
    late = NOW + dt.timedelta(minutes=10)
    assert code_step(db_session, user, first.pending_token, now=late) == SignInRefused(TIMED_OUT)


def test_a_user_with_several_roles_chooses_one_they_hold(db_session):
    user = factories.user_account(db_session, roles=(Role.PRACTITIONER, Role.DATA_MANAGER))
    first = password_step(db_session, user)
    second = code_step(db_session, user, first.pending_token)
    assert second.roles == (Role.DATA_MANAGER, Role.PRACTITIONER)
    not_held = start_session(
        db_session, pending_token=first.pending_token, acting_role=Role.AUDITOR, now=NOW
    )
    assert not_held == SignInRefused(NO_SUCH_ROLE)
    chosen = start_session(
        db_session, pending_token=first.pending_token, acting_role=Role.DATA_MANAGER, now=NOW
    )
    assert chosen.user_session.acting_role is Role.DATA_MANAGER


def test_a_lapsed_background_check_stops_sign_in_saying_why_and_who_can_restore_it(db_session):
    user = factories.lapsed_check(db_session)
    first = password_step(db_session, user)
    stopped = code_step(db_session, user, first.pending_token)
    assert isinstance(stopped, AccessStopped)
    [lapsed] = stopped.lapsed
    assert lapsed.condition is AccessCondition.BACKGROUND_CHECK
    assert "expired on 24 November 2026" in stopped.message
    assert "ContactPoint team" in stopped.message
    assert "can record a new check" in stopped.message


def test_a_sign_in_refused_for_a_lapsed_condition_records_how_it_began(db_session):
    user = factories.lapsed_check(db_session)
    pending = begin_pending_sign_in(db_session, user=user, may_set_up=True, now=NOW)
    stopped = code_step(db_session, user, pending.pending_token)
    assert isinstance(stopped, AccessStopped)
    refused = db_session.scalars(
        select(AuditEventRow)
        .where(AuditEventRow.event_type == EventType.SIGN_IN)
        .order_by(AuditEventRow.sequence.desc())
    ).first()
    details = db_session.get(AuditEventDetails, refused.sequence).details
    assert refused.outcome == Outcome.DENIED
    assert '"method":"link_totp"' in details.replace(" ", "")


def test_a_suspended_user_cannot_sign_in(db_session):
    user = factories.suspended(db_session)
    first = password_step(db_session, user)
    stopped = code_step(db_session, user, first.pending_token)
    assert isinstance(stopped, AccessStopped)
    assert "suspended" in stopped.message
    assert db_session.scalar(select(func.count()).select_from(UserSession)) == 0


def test_a_password_alone_never_signs_in_an_account_with_no_second_factor(db_session):
    user = factories.practitioner(db_session, with_totp=False)
    assert password_step(db_session, user) == SignInRefused(NO_SECOND_FACTOR)


def test_sign_ins_are_recorded_in_the_audit_trail_without_the_typed_username(db_session):
    user = factories.practitioner(db_session)
    attempt(db_session, "nobody-by-this-name", "wrong guess", at=NOW)
    attempt(db_session, user.username, "wrong guess", at=NOW, client="198.51.100.7")
    sign_in(db_session, user, now=NOW + MINUTE)
    rows = db_session.scalars(
        select(AuditEventRow)
        .where(AuditEventRow.event_type == EventType.SIGN_IN)
        .order_by(AuditEventRow.sequence)
    ).all()
    unknown, wrong, success = rows[-3:]
    assert (unknown.actor_kind, unknown.outcome, unknown.actor_user_id) == (
        ActorKind.ANONYMOUS,
        Outcome.FAILURE,
        None,
    )
    assert unknown.actor_address == CLIENT
    assert (wrong.actor_user_id, wrong.outcome) == (user.id, Outcome.FAILURE)
    assert (success.actor_user_id, success.outcome, success.actor_role) == (
        user.id,
        Outcome.SUCCESS,
        "practitioner",
    )
    assert success.session_ref is not None
