"""Demo users: one ready user per role, development mode only, signing in with a known code."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contactpoint.access.demo import (
    DEMO_PASSWORD,
    DemoRefusedError,
    create_demo_users,
    demo_totp_secret,
)
from contactpoint.access.models import UserAccount
from contactpoint.access.permissions import Permission
from contactpoint.access.policy import Role, permissions_for
from contactpoint.access.second_factor import code_at
from contactpoint.access.sign_in import SecondFactorAccepted, SecondFactorNeeded, authenticate
from contactpoint.settings import Mode, Settings

import factories
from factories import NOW, TEST_SECRET_KEY
from signing_in import CLIENT, code_step


def settings_in(mode: Mode) -> Settings:
    return Settings(mode=mode, secret_key=TEST_SECRET_KEY)


def make_demo_users(db_session, mode=Mode.DEVELOPMENT):
    council = factories.council(db_session)
    return create_demo_users(db_session, settings=settings_in(mode), council_id=council.id, now=NOW)


def test_the_demo_has_one_ready_user_per_role_and_a_child_protection_officer(db_session):
    made = make_demo_users(db_session)
    assert {role for user in made for role in user.roles} == set(Role)
    [officer] = [user for user in made if user.child_protection_officer]
    stored = db_session.scalar(select(UserAccount).where(UserAccount.username == officer.username))
    assert Permission.DIRECTORY_SHIELD_OVERRIDE in permissions_for(stored, Role.PRACTITIONER)
    assert all(user.totp_command == f"contactpoint users totp {user.username}" for user in made)


def test_every_demo_user_can_sign_in_with_the_demo_password_and_their_code(db_session):
    for demo_user in make_demo_users(db_session):
        first = authenticate(
            db_session,
            username=demo_user.username,
            password=DEMO_PASSWORD,
            client_key=CLIENT,
            now=NOW,
        )
        assert isinstance(first, SecondFactorNeeded), demo_user.username
        user = db_session.scalar(
            select(UserAccount).where(UserAccount.username == demo_user.username)
        )
        code = code_at(demo_totp_secret(demo_user.username), NOW)
        second = code_step(db_session, user, first.pending_token, code=code)
        assert isinstance(second, SecondFactorAccepted), (demo_user.username, second)


@pytest.mark.parametrize("mode", [Mode.TEST, Mode.PRODUCTION])
def test_demo_users_are_refused_outside_development_mode(db_session, mode):
    with pytest.raises(DemoRefusedError, match="development mode"):
        make_demo_users(db_session, mode=mode)


def test_making_the_demo_users_again_puts_them_back_as_they_were(db_session):
    council = factories.council(db_session)
    settings = settings_in(Mode.DEVELOPMENT)
    first = create_demo_users(db_session, settings=settings, council_id=council.id, now=NOW)
    suspended = db_session.scalar(
        select(UserAccount).where(UserAccount.username == first[0].username)
    )
    suspended.suspended_at = NOW
    again = create_demo_users(db_session, settings=settings, council_id=council.id, now=NOW)
    assert again == first
    assert suspended.suspended_at is None
    demo_names = select(UserAccount).where(UserAccount.username.like("demo-%"))
    assert len(db_session.scalars(demo_names).all()) == len(first)


def test_demo_users_need_a_council(db_session):
    school = factories.accredited_organisation(db_session)
    with pytest.raises(DemoRefusedError, match="not a council"):
        create_demo_users(
            db_session, settings=settings_in(Mode.DEVELOPMENT), council_id=school.id, now=NOW
        )
