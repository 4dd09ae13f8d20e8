"""One-time codes (TOTP): right, wrong, reused, drifted; set-up with a QR code; sealed at rest."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest
from sqlalchemy import text

from contactpoint.access.credentials import Sealer, UnsealError
from contactpoint.access.second_factor import (
    SecondFactorSetUpError,
    begin_totp_set_up,
    code_at,
    confirm_totp_set_up,
    verify_totp,
)
from contactpoint.access.sign_in import begin_pending_sign_in

import factories
from factories import NOW

STEP = dt.timedelta(seconds=30)


def verify(db_session, user, code, at=NOW):
    return verify_totp(db_session, user=user, code=code, sealer=factories.sealer(), now=at)


def test_the_code_the_users_app_shows_is_accepted(db_session):
    user = factories.practitioner(db_session)
    assert verify(db_session, user, factories.totp_code(user))


def test_a_wrong_code_is_refused(db_session):
    user = factories.practitioner(db_session)
    right = factories.totp_code(user)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    assert not verify(db_session, user, wrong)


def test_a_code_cannot_be_used_twice_in_the_same_step(db_session):
    user = factories.practitioner(db_session)
    code = factories.totp_code(user)
    assert verify(db_session, user, code)
    assert not verify(db_session, user, code, at=NOW + dt.timedelta(seconds=5))


def test_a_used_code_is_refused_in_the_next_step_too(db_session):
    user = factories.practitioner(db_session)
    code = factories.totp_code(user)
    assert verify(db_session, user, code)
    assert not verify(db_session, user, code, at=NOW + STEP)


def test_an_earlier_code_is_refused_once_a_later_one_was_used(db_session):
    user = factories.practitioner(db_session)
    earlier = factories.totp_code(user, at=NOW - STEP)
    assert verify(db_session, user, factories.totp_code(user))
    assert not verify(db_session, user, earlier)


@pytest.mark.parametrize("offset", [-1, 1])
def test_a_code_one_step_away_is_accepted_for_clock_drift(db_session, offset):
    user = factories.practitioner(db_session)
    assert verify(db_session, user, factories.totp_code(user, at=NOW + offset * STEP))


@pytest.mark.parametrize("offset", [-2, 2])
def test_a_code_two_steps_away_is_refused(db_session, offset):
    user = factories.practitioner(db_session)
    assert not verify(db_session, user, factories.totp_code(user, at=NOW + offset * STEP))


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_anything_but_six_digits_is_refused(db_session, code):
    assert not verify(db_session, factories.practitioner(db_session), code)


def test_spaces_typed_inside_a_code_are_ignored(db_session):
    user = factories.practitioner(db_session)
    code = factories.totp_code(user)
    assert verify(db_session, user, f" {code[:3]} {code[3:]} ")


def test_a_user_without_an_app_has_no_code_that_works(db_session):
    user = factories.practitioner(db_session, with_totp=False)
    assert not verify(db_session, user, "123456")


def test_set_up_gives_a_qr_code_and_the_key_and_works_once_a_code_confirms_it(db_session):
    user = factories.practitioner(db_session, with_totp=False)
    set_up = begin_totp_set_up(user, sealer=factories.sealer())
    assert set_up.qr_code_svg.startswith("<svg")
    assert "<title>QR code for your authenticator app</title>" in set_up.qr_code_svg
    assert set_up.provisioning_uri.startswith("otpauth://totp/ContactPoint:")
    assert pyotp.parse_uri(set_up.provisioning_uri).secret == set_up.secret
    assert not user.has_totp
    confirmed = confirm_totp_set_up(
        db_session, user=user, code=code_at(set_up.secret, NOW), sealer=factories.sealer(), now=NOW
    )
    assert confirmed
    assert user.has_totp


def test_showing_the_set_up_again_keeps_the_secret_so_a_scanned_code_stays_good(db_session):
    user = factories.practitioner(db_session, with_totp=False)
    first = begin_totp_set_up(user, sealer=factories.sealer())
    again = begin_totp_set_up(user, sealer=factories.sealer())
    assert again.secret == first.secret


def test_a_new_sign_in_from_a_link_starts_with_a_secret_nobody_has_seen(db_session):
    user = factories.practitioner(db_session, with_totp=False)
    shown = begin_totp_set_up(user, sealer=factories.sealer())
    begin_pending_sign_in(db_session, user=user, may_set_up=True, now=NOW)
    fresh = begin_totp_set_up(user, sealer=factories.sealer())
    assert fresh.secret != shown.secret


def test_set_up_is_not_confirmed_by_a_wrong_code(db_session):
    user = factories.practitioner(db_session, with_totp=False)
    begin_totp_set_up(user, sealer=factories.sealer())
    assert not confirm_totp_set_up(
        db_session, user=user, code="000000", sealer=factories.sealer(), now=NOW
    )
    assert not user.has_totp


def test_an_app_already_set_up_must_be_reset_before_another(db_session):
    user = factories.practitioner(db_session)
    with pytest.raises(SecondFactorSetUpError, match="reset"):
        begin_totp_set_up(user, sealer=factories.sealer())


def test_the_secret_is_sealed_in_the_database(db_session):
    user = factories.practitioner(db_session, with_totp=False)
    set_up = begin_totp_set_up(user, sealer=factories.sealer())
    db_session.flush()
    stored = db_session.execute(
        text("SELECT totp_secret_sealed FROM user_account WHERE id = :id"), {"id": user.id}
    ).scalar_one()
    assert set_up.secret not in stored
    assert factories.sealer().unseal(stored) == set_up.secret


def test_a_sealed_secret_cannot_be_opened_with_another_secret_key():
    sealed = Sealer("one secret key, long enough").seal("JBSWY3DPEHPK3PXP")
    with pytest.raises(UnsealError, match="CONTACTPOINT_SECRET_KEY"):
        Sealer("another secret key entirely").unseal(sealed)
