"""Re-authentication before high-risk actions (a shield override, an export).

The user gives their password and a new second factor again. Success gives the
session a new token (the old one stops working: set the new one in the cookie),
and lasts a few minutes (:data:`contactpoint.access.sessions.REAUTHENTICATION_LASTS`);
the policy refuses high-risk permissions without it. Failures count against the
same throttles as sign-in.

A failure is a :class:`ReauthenticationRefused` saying why, so that the page can
say how long to wait when the throttle refuses. A wrong password and a wrong
second factor are one refusal: telling them apart would let someone holding a
stolen session test the password alone.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from contactpoint.access import audit_trail, passkeys, second_factor, throttling
from contactpoint.access.passwords import check_password
from contactpoint.access.sessions import StartedSession, is_live, rotate_after_reauthentication
from contactpoint.access.sign_in import (
    NO_PASSKEY,
    SecondFactorMethod,
    seconds_until,
    throttle_check,
    wait_phrase,
)

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable

    from sqlalchemy.orm import Session

    from contactpoint.access.credentials import Sealer
    from contactpoint.access.models import UserSession
    from contactpoint.access.passkeys import RelyingParty

WRONG_CODE: Final = (
    "Your password or code is not right, or the code has been used already. "
    "Check your password, wait for a new code, and try again."
)
WRONG_PASSKEY: Final = "Your password is not right, or your passkey could not be checked."
SESSION_ENDED: Final = "Your session has ended. Sign in again."


class Refusal(enum.StrEnum):
    WRONG_CODE = "wrong_code"  # the password or the code (never saying which)
    WRONG_PASSKEY = "wrong_passkey"  # the password or the passkey
    THROTTLED = "throttled"  # too many failures lately: wait ``seconds_to_wait``
    NO_PASSKEY = "no_passkey"  # a passkey was asked for by a user who has none
    SESSION_ENDED = "session_ended"  # an ended session is never brought back


@dataclass(frozen=True, slots=True)
class ReauthenticationRefused:
    """Not confirmed; ``message`` is fit to show."""

    refusal: Refusal
    message: str
    seconds_to_wait: int | None = None


ReauthenticationOutcome = StartedSession | ReauthenticationRefused


def reauthenticate(
    session: Session,
    *,
    user_session: UserSession,
    password: str,
    code: str,
    sealer: Sealer,
    client_key: str,
    now: dt.datetime,
) -> ReauthenticationOutcome:
    """The password and a new code from the authenticator app."""
    user = user_session.user

    def code_is_right() -> bool:
        return second_factor.verify_totp(session, user=user, code=code, sealer=sealer, now=now)

    return _confirm(
        session,
        user_session,
        password,
        code_is_right,
        method=SecondFactorMethod.TOTP,
        client_key=client_key,
        now=now,
    )


def reauthenticate_with_passkey(
    session: Session,
    *,
    user_session: UserSession,
    password: str,
    credential_json: str,
    relying_party: RelyingParty,
    client_key: str,
    now: dt.datetime,
) -> ReauthenticationOutcome:
    """The password and a passkey, answering :func:`passkey_options`' challenge."""

    def passkey_is_right() -> bool:
        return passkeys.verify_passkey_authentication(
            session,
            user=user_session.user,
            credential_json=credential_json,
            relying_party=relying_party,
            now=now,
        )

    return _confirm(
        session,
        user_session,
        password,
        passkey_is_right,
        method=SecondFactorMethod.PASSKEY,
        client_key=client_key,
        now=now,
    )


def passkey_options(
    session: Session, *, user_session: UserSession, relying_party: RelyingParty, now: dt.datetime
) -> str | ReauthenticationRefused:
    """The options (JSON) for ``navigator.credentials.get()``; refused, with no challenge
    issued, for a user with no passkey or a session that has ended."""
    if not is_live(user_session, now=now):
        return ReauthenticationRefused(Refusal.SESSION_ENDED, SESSION_ENDED)
    if not user_session.user.passkeys:
        return ReauthenticationRefused(Refusal.NO_PASSKEY, NO_PASSKEY)
    return passkeys.begin_passkey_authentication(
        session, user=user_session.user, relying_party=relying_party, now=now
    )


def _confirm(
    session: Session,
    user_session: UserSession,
    password: str,
    second_factor_is_right: Callable[[], bool],
    *,
    method: SecondFactorMethod,
    client_key: str,
    now: dt.datetime,
) -> ReauthenticationOutcome:
    user = user_session.user
    if not is_live(user_session, now=now):
        # An ended session is never brought back, however right the password.
        return ReauthenticationRefused(Refusal.SESSION_ENDED, SESSION_ENDED)
    audited_method = f"reauthenticate_{method.value}"
    throttled = throttle_check(
        session,
        username=user.username,
        client_key=client_key,
        now=now,
        user=user,
        method=audited_method,
    )
    if throttled is not None and throttled.retry_at is not None:
        return _throttled(seconds_until(throttled.retry_at, now=now))
    passed = check_password(password, user.password_hash).hash_matches and second_factor_is_right()
    audit_trail.reauthenticated(
        session, user=user, user_session=user_session, succeeded=passed, method=audited_method
    )
    if not passed:
        keys = throttling.sign_in_keys(user.username, client_key)
        throttling.record_failure(session, keys=keys, now=now)
        if method is SecondFactorMethod.PASSKEY:
            return ReauthenticationRefused(Refusal.WRONG_PASSKEY, WRONG_PASSKEY)
        return ReauthenticationRefused(Refusal.WRONG_CODE, WRONG_CODE)
    # As at sign-in: proving who you are clears the account's count of failures.
    throttling.forget_failures(session, key=throttling.account_key(user.username))
    return rotate_after_reauthentication(session, user_session=user_session, now=now)


def _throttled(seconds: int) -> ReauthenticationRefused:
    message = f"Too many attempts: try again in {wait_phrase(seconds)}."
    return ReauthenticationRefused(Refusal.THROTTLED, message, seconds_to_wait=seconds)
