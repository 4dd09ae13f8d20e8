"""Passkeys (WebAuthn): options, registration, sign-in, and refusing what was not our challenge."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from contactpoint.access import reauthentication
from contactpoint.access.models import Ceremony, WebAuthnChallenge
from contactpoint.access.passkeys import (
    CHALLENGE_LIFETIME,
    PasskeyError,
    begin_passkey_authentication,
    begin_passkey_registration,
    finish_passkey_registration,
    relying_party_from,
    verify_passkey_authentication,
)
from contactpoint.access.policy import Role
from contactpoint.access.sessions import StartedSession
from contactpoint.access.sign_in import (
    WRONG_PASSKEY,
    SecondFactorAccepted,
    SecondFactorMethod,
    SignInRefused,
    passkey_options,
    start_session,
    verify_passkey,
)
from contactpoint.audit.events import EventType
from contactpoint.audit.models import AuditEventDetails, AuditEventRow
from contactpoint.settings import Mode, Settings

import factories
from factories import NOW, TEST_PASSWORD
from signing_in import CLIENT, password_step, sign_in
from soft_authenticator import SoftAuthenticator


@pytest.fixture
def authenticator(relying_party):
    return SoftAuthenticator(rp_id=relying_party.id, origin=relying_party.origin)


def register(db_session, user, authenticator, relying_party, *, at=NOW):
    options = begin_passkey_registration(db_session, user=user, relying_party=relying_party, now=at)
    return finish_passkey_registration(
        db_session,
        user=user,
        credential_json=authenticator.register(options),
        relying_party=relying_party,
        now=at,
    )


def check(db_session, user, relying_party, response, *, at=NOW):
    return verify_passkey_authentication(
        db_session, user=user, credential_json=response, relying_party=relying_party, now=at
    )


def test_the_relying_party_comes_from_the_public_url():
    settings = Settings(mode=Mode.TEST, public_url="https://contactpoint.example.gov.uk/")
    party = relying_party_from(settings)
    assert (party.id, party.origin) == (
        "contactpoint.example.gov.uk",
        "https://contactpoint.example.gov.uk",
    )


def test_registration_options_name_us_and_a_random_user_handle_not_the_username(
    db_session, relying_party
):
    user = factories.practitioner(db_session)
    options = json.loads(
        begin_passkey_registration(db_session, user=user, relying_party=relying_party, now=NOW)
    )
    assert options["rp"] == {"id": "localhost", "name": "ContactPoint"}
    assert options["user"]["id"] == user.webauthn_user_handle
    assert options["user"]["name"] == user.username
    stored = db_session.scalar(
        select(WebAuthnChallenge).where(WebAuthnChallenge.user_id == user.id)
    )
    assert stored.challenge == options["challenge"]
    assert stored.ceremony is Ceremony.REGISTRATION
    assert stored.expires_at == NOW + CHALLENGE_LIFETIME


def test_a_passkey_registered_answering_our_challenge_is_kept(
    db_session, authenticator, relying_party
):
    user = factories.practitioner(db_session, with_totp=False)
    passkey = register(db_session, user, authenticator, relying_party)
    assert passkey.transports == "internal"
    assert user.has_second_factor


def test_a_registration_answering_a_challenge_from_another_origin_is_refused(
    db_session, authenticator, relying_party
):
    user = factories.practitioner(db_session)
    options = begin_passkey_registration(
        db_session, user=user, relying_party=relying_party, now=NOW
    )
    response = authenticator.register(options, origin="https://phishing.example")
    with pytest.raises(PasskeyError):
        finish_passkey_registration(
            db_session, user=user, credential_json=response, relying_party=relying_party, now=NOW
        )


def test_a_user_signs_in_with_a_passkey_instead_of_a_code(db_session, authenticator, relying_party):
    user = factories.practitioner(db_session, with_totp=False)
    register(db_session, user, authenticator, relying_party)
    first = password_step(db_session, user)
    assert first.methods == {SecondFactorMethod.PASSKEY}
    options = passkey_options(
        db_session, pending_token=first.pending_token, relying_party=relying_party, now=NOW
    )
    accepted = verify_passkey(
        db_session,
        pending_token=first.pending_token,
        credential_json=authenticator.sign(options),
        relying_party=relying_party,
        client_key=CLIENT,
        now=NOW,
    )
    assert isinstance(accepted, SecondFactorAccepted)
    started = start_session(
        db_session, pending_token=first.pending_token, acting_role=Role.PRACTITIONER, now=NOW
    )
    assert isinstance(started, StartedSession)


def test_a_signature_over_a_challenge_we_never_issued_is_refused(
    db_session, authenticator, relying_party
):
    user = factories.practitioner(db_session)
    register(db_session, user, authenticator, relying_party)
    options = begin_passkey_authentication(
        db_session, user=user, relying_party=relying_party, now=NOW
    )
    forged = authenticator.sign(options, challenge="bm90LW91ci1jaGFsbGVuZ2U")
    assert not check(db_session, user, relying_party, forged)


def test_a_replayed_passkey_response_is_refused(db_session, authenticator, relying_party):
    user = factories.practitioner(db_session)
    register(db_session, user, authenticator, relying_party)
    options = begin_passkey_authentication(
        db_session, user=user, relying_party=relying_party, now=NOW
    )
    response = authenticator.sign(options)
    assert check(db_session, user, relying_party, response)
    assert not check(db_session, user, relying_party, response)


def test_a_challenge_answered_after_5_minutes_is_refused(db_session, authenticator, relying_party):
    user = factories.practitioner(db_session)
    register(db_session, user, authenticator, relying_party)
    options = begin_passkey_authentication(
        db_session, user=user, relying_party=relying_party, now=NOW
    )
    late = NOW + CHALLENGE_LIFETIME
    assert not check(db_session, user, relying_party, authenticator.sign(options), at=late)


def test_another_users_challenge_does_not_work_for_this_user(db_session, relying_party):
    mine, theirs = factories.practitioner(db_session), factories.practitioner(db_session)
    my_key = SoftAuthenticator(rp_id=relying_party.id, origin=relying_party.origin)
    register(db_session, mine, my_key, relying_party)
    their_options = begin_passkey_authentication(
        db_session, user=theirs, relying_party=relying_party, now=NOW
    )
    assert not check(db_session, mine, relying_party, my_key.sign(their_options))


def test_a_passkey_registered_to_someone_else_is_refused(db_session, relying_party):
    mine, theirs = factories.practitioner(db_session), factories.practitioner(db_session)
    their_key = SoftAuthenticator(rp_id=relying_party.id, origin=relying_party.origin)
    register(db_session, theirs, their_key, relying_party)
    options = begin_passkey_authentication(
        db_session, user=mine, relying_party=relying_party, now=NOW
    )
    assert not check(db_session, mine, relying_party, their_key.sign(options))


def test_a_wrong_passkey_at_sign_in_counts_as_a_failure(db_session, authenticator, relying_party):
    user = factories.practitioner(db_session)
    register(db_session, user, authenticator, relying_party)
    first = password_step(db_session, user)
    options = passkey_options(
        db_session, pending_token=first.pending_token, relying_party=relying_party, now=NOW
    )
    refused = verify_passkey(
        db_session,
        pending_token=first.pending_token,
        credential_json=authenticator.sign(options, origin="https://phishing.example"),
        relying_party=relying_party,
        client_key=CLIENT,
        now=NOW,
    )
    assert refused == SignInRefused(WRONG_PASSKEY)
    failed = db_session.scalars(
        select(AuditEventRow)
        .where(AuditEventRow.event_type == EventType.SIGN_IN)
        .order_by(AuditEventRow.sequence.desc())
    ).first()
    details = db_session.get(AuditEventDetails, failed.sequence).details.replace(" ", "")
    assert '"failure":"wrong_passkey"' in details


def test_the_signature_counter_is_kept_to_detect_cloned_authenticators(
    db_session, authenticator, relying_party
):
    user = factories.practitioner(db_session)
    passkey = register(db_session, user, authenticator, relying_party)
    for minute in range(2):
        at = NOW + dt.timedelta(minutes=minute)
        options = begin_passkey_authentication(
            db_session, user=user, relying_party=relying_party, now=at
        )
        assert check(db_session, user, relying_party, authenticator.sign(options), at=at)
    assert passkey.sign_count == 2
    authenticator.sign_count = 0  # a clone, behind the original
    options = begin_passkey_authentication(
        db_session, user=user, relying_party=relying_party, now=NOW
    )
    assert not check(db_session, user, relying_party, authenticator.sign(options))


def test_a_passkey_confirms_who_you_are_before_a_high_risk_action(
    db_session, authenticator, relying_party
):
    user = factories.child_protection_officer(db_session)
    register(db_session, user, authenticator, relying_party)
    started = sign_in(db_session, user)
    at = NOW + dt.timedelta(minutes=1)
    options = reauthentication.passkey_options(
        db_session, user_session=started.user_session, relying_party=relying_party, now=at
    )
    confirmed = reauthentication.reauthenticate_with_passkey(
        db_session,
        user_session=started.user_session,
        password=TEST_PASSWORD,
        credential_json=authenticator.sign(options),
        relying_party=relying_party,
        client_key=CLIENT,
        now=at,
    )
    assert confirmed.user_session.reauthenticated_at == at
