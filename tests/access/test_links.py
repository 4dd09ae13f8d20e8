"""One-time links: first sign-in, password reset and second-factor reset; each works once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from contactpoint.access.credentials import digest
from contactpoint.access.links import (
    LINK_UNUSABLE,
    PasswordSet,
    issue_one_time_link,
    reset_second_factor_with_link,
    set_password_with_link,
    usable_link,
)
from contactpoint.access.models import LinkPurpose, OneTimeLink, SessionEndReason
from contactpoint.access.passwords import PasswordPolicyError
from contactpoint.access.policy import Role, principal_for_operator, principal_for_user
from contactpoint.access.second_factor import code_at
from contactpoint.access.sessions import StartedSession, resume_session
from contactpoint.access.sign_in import (
    NO_SET_UP,
    WRONG_CODE,
    WRONG_PASSWORD,
    SecondFactorAccepted,
    SecondFactorNeeded,
    SignInRefused,
    authenticate,
    confirm_totp,
    set_up_totp,
    start_session,
)
from contactpoint.access.users import Vetting, create_user, record_vetting

import factories
from factories import NOW, TEST_PASSWORD
from signing_in import CLIENT, code_step, password_step, sign_in

NEW_PASSWORD = "a brand new passphrase for me"  # noqa: S105 - test data
ANOTHER_PASSWORD = "yet another passphrase"  # noqa: S105 - test data
TOO_SHORT = "short"
WRONG = "not the password"
HOUR = dt.timedelta(hours=1)
OPERATOR = principal_for_operator("root")


def link_for(db_session, user, purpose, *, at=NOW):
    return issue_one_time_link(db_session, by=OPERATOR, user=user, purpose=purpose, now=at)


def test_a_new_user_signs_in_for_the_first_time_from_a_link_and_sets_up_their_app(db_session):
    council = factories.council(db_session)
    team = principal_for_user(
        factories.council_team(db_session, of=council), acting_role=Role.COUNCIL_TEAM
    )
    user = create_user(
        db_session,
        by=team,
        username="New.Starter",
        display_name="New Starter",
        organisation=factories.accredited_organisation(db_session, in_council=council),
        roles=[Role.PRACTITIONER],
        now=NOW,
    )
    today = NOW.date()
    record_vetting(
        db_session, by=team, user=user, vetting=Vetting(today, today, today, today), today=today
    )
    issued = issue_one_time_link(
        db_session, by=team, user=user, purpose=LinkPurpose.FIRST_SIGN_IN, now=NOW
    )
    pending = set_password_with_link(
        db_session, token=issued.token, new_password=NEW_PASSWORD, now=NOW + HOUR
    )
    assert isinstance(pending, SecondFactorNeeded)
    assert pending.may_set_up
    set_up = set_up_totp(
        db_session, pending_token=pending.pending_token, sealer=factories.sealer(), now=NOW + HOUR
    )
    accepted = confirm_totp(
        db_session,
        pending_token=pending.pending_token,
        code=code_at(set_up.secret, NOW + HOUR),
        sealer=factories.sealer(),
        client_key=CLIENT,
        now=NOW + HOUR,
    )
    assert isinstance(accepted, SecondFactorAccepted)
    started = start_session(
        db_session,
        pending_token=pending.pending_token,
        acting_role=Role.PRACTITIONER,
        now=NOW + HOUR,
    )
    assert isinstance(started, StartedSession)
    assert user.username == "new.starter"


def test_a_link_works_only_once(db_session):
    user = factories.practitioner(db_session)
    issued = link_for(db_session, user, LinkPurpose.PASSWORD_RESET)
    first = set_password_with_link(
        db_session, token=issued.token, new_password=NEW_PASSWORD, now=NOW
    )
    assert first == PasswordSet(user=user)
    again = set_password_with_link(
        db_session, token=issued.token, new_password=ANOTHER_PASSWORD, now=NOW
    )
    assert again == SignInRefused(LINK_UNUSABLE)


def test_an_expired_link_is_refused(db_session):
    user = factories.practitioner(db_session)
    issued = link_for(db_session, user, LinkPurpose.PASSWORD_RESET)
    assert usable_link(db_session, token=issued.token, now=NOW + 23 * HOUR) is not None
    late = set_password_with_link(
        db_session, token=issued.token, new_password=NEW_PASSWORD, now=NOW + 24 * HOUR
    )
    assert late == SignInRefused(LINK_UNUSABLE)


def test_a_new_link_voids_the_older_one(db_session):
    user = factories.practitioner(db_session)
    older = link_for(db_session, user, LinkPurpose.PASSWORD_RESET)
    link_for(db_session, user, LinkPurpose.PASSWORD_RESET, at=NOW + HOUR)
    assert usable_link(db_session, token=older.token, now=NOW + HOUR) is None


def test_a_password_that_fails_the_policy_does_not_use_up_the_link(db_session):
    user = factories.practitioner(db_session)
    issued = link_for(db_session, user, LinkPurpose.PASSWORD_RESET)
    with pytest.raises(PasswordPolicyError, match="at least 12 characters"):
        set_password_with_link(db_session, token=issued.token, new_password=TOO_SHORT, now=NOW)
    assert usable_link(db_session, token=issued.token, now=NOW) is not None


def test_a_password_reset_ends_open_sessions_and_the_new_password_works(db_session):
    user = factories.practitioner(db_session)
    started = sign_in(db_session, user)
    issued = link_for(db_session, user, LinkPurpose.PASSWORD_RESET)
    set_password_with_link(
        db_session, token=issued.token, new_password=NEW_PASSWORD, now=NOW + HOUR
    )
    assert started.user_session.ended_reason is SessionEndReason.CREDENTIALS_CHANGED
    ended = resume_session(db_session, token=started.token, now=NOW + HOUR)
    assert ended.reason is SessionEndReason.CREDENTIALS_CHANGED
    old = authenticate(
        db_session,
        username=user.username,
        password=TEST_PASSWORD,
        client_key=CLIENT,
        now=NOW + HOUR,
    )
    new = authenticate(
        db_session,
        username=user.username,
        password=NEW_PASSWORD,
        client_key=CLIENT,
        now=NOW + 2 * HOUR,
    )
    assert old == SignInRefused(WRONG_PASSWORD)
    assert isinstance(new, SecondFactorNeeded)


def test_a_second_factor_reset_needs_the_password_and_replaces_the_app(db_session):
    user = factories.practitioner(db_session)
    old_code = factories.totp_code(user, at=NOW + dt.timedelta(minutes=2))
    issued = link_for(db_session, user, LinkPurpose.SECOND_FACTOR_RESET)
    wrong = reset_second_factor_with_link(
        db_session, token=issued.token, password=WRONG, client_key=CLIENT, now=NOW
    )
    assert wrong == SignInRefused(WRONG_PASSWORD)
    assert usable_link(db_session, token=issued.token, now=NOW) is not None
    pending = reset_second_factor_with_link(
        db_session,
        token=issued.token,
        password=TEST_PASSWORD,
        client_key=CLIENT,
        now=NOW + dt.timedelta(seconds=5),
    )
    assert isinstance(pending, SecondFactorNeeded)
    assert pending.may_set_up
    assert not user.has_second_factor
    by_password = password_step(db_session, user, now=NOW + HOUR)
    assert isinstance(by_password, SignInRefused)  # no second factor now: no way in by password
    later = NOW + dt.timedelta(minutes=2)
    set_up = set_up_totp(
        db_session, pending_token=pending.pending_token, sealer=factories.sealer(), now=later
    )
    confirmed = confirm_totp(
        db_session,
        pending_token=pending.pending_token,
        code=old_code,
        sealer=factories.sealer(),
        client_key=CLIENT,
        now=later,
    )
    assert confirmed == SignInRefused(WRONG_CODE)
    confirmed = confirm_totp(
        db_session,
        pending_token=pending.pending_token,
        code=code_at(set_up.secret, later + dt.timedelta(minutes=1)),
        sealer=factories.sealer(),
        client_key=CLIENT,
        now=later + dt.timedelta(minutes=1),
    )
    assert isinstance(confirmed, SecondFactorAccepted)


def test_a_link_cannot_be_used_for_another_purpose(db_session):
    user = factories.practitioner(db_session)
    issued = link_for(db_session, user, LinkPurpose.SECOND_FACTOR_RESET)
    misused = set_password_with_link(
        db_session, token=issued.token, new_password=NEW_PASSWORD, now=NOW
    )
    assert misused == SignInRefused(LINK_UNUSABLE)


def test_an_ordinary_sign_in_cannot_set_up_a_new_second_factor(db_session):
    user = factories.practitioner(db_session)
    first = password_step(db_session, user)
    refused = set_up_totp(
        db_session, pending_token=first.pending_token, sealer=factories.sealer(), now=NOW
    )
    assert refused == SignInRefused(NO_SET_UP)
    assert isinstance(code_step(db_session, user, first.pending_token), SecondFactorAccepted)


def test_links_are_kept_by_digest_only(db_session):
    issued = link_for(db_session, factories.practitioner(db_session), LinkPurpose.PASSWORD_RESET)
    stored = db_session.scalars(select(OneTimeLink.token_hash)).all()
    assert issued.token not in stored
    assert digest(issued.token) in stored
