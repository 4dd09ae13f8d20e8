"""Signing a test user in, step by step, as the web pages will."""

from __future__ import annotations

import datetime as dt

from contactpoint.access.policy import Role
from contactpoint.access.sessions import StartedSession
from contactpoint.access.sign_in import (
    SecondFactorAccepted,
    SecondFactorNeeded,
    authenticate,
    start_session,
    verify_code,
)

import factories
from factories import NOW, TEST_PASSWORD

CLIENT = "203.0.113.9"  # an address reserved for documentation


def password_step(session, user, *, now: dt.datetime = NOW, client: str = CLIENT):
    return authenticate(
        session, username=user.username, password=TEST_PASSWORD, client_key=client, now=now
    )


def code_step(session, user, pending_token: str, *, now=NOW, client=CLIENT, code=None):
    return verify_code(
        session,
        pending_token=pending_token,
        code=factories.totp_code(user, at=now) if code is None else code,
        sealer=factories.sealer(),
        client_key=client,
        now=now,
    )


def sign_in(
    session, user, *, now: dt.datetime = NOW, role: Role | None = None, client: str = CLIENT
) -> StartedSession:
    """Password, code, role: the whole sign-in, asserting each step succeeds."""
    first = password_step(session, user, now=now, client=client)
    assert isinstance(first, SecondFactorNeeded), first
    second = code_step(session, user, first.pending_token, now=now, client=client)
    assert isinstance(second, SecondFactorAccepted), second
    started = start_session(
        session, pending_token=first.pending_token, acting_role=role or second.roles[0], now=now
    )
    assert isinstance(started, StartedSession), started
    return started
