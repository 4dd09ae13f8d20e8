"""Re-authentication before high-risk actions (a shield override, an export).

The user gives their password and a new second factor again. Success gives the
session a new token (the old one stops working: set the new one in the cookie),
and lasts a few minutes (:data:`contactpoint.access.sessions.REAUTHENTICATION_LASTS`);
the policy refuses high-risk permissions without it. Failures count against the
same throttles as sign-in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from contactpoint.access import audit_trail, passkeys, second_factor, throttling
from contactpoint.access.passwords import check_password
from contactpoint.access.sessions import StartedSession, is_live, rotate_after_reauthentication
from contactpoint.access.sign_in import throttle_check

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable

    from sqlalchemy.orm import Session

    from contactpoint.access.credentials import Sealer
    from contactpoint.access.models import UserSession
    from contactpoint.access.passkeys import RelyingParty


def reauthenticate(
    session: Session,
    *,
    user_session: UserSession,
    password: str,
    code: str,
    sealer: Sealer,
    client_key: str,
    now: dt.datetime,
) -> StartedSession | None:
    """The password and a new code from the authenticator app; None if either is wrong."""
    user = user_session.user

    def code_is_right() -> bool:
        return second_factor.verify_totp(session, user=user, code=code, sealer=sealer, now=now)

    return _confirm(session, user_session, password, code_is_right, client_key=client_key, now=now)


def reauthenticate_with_passkey(
    session: Session,
    *,
    user_session: UserSession,
    password: str,
    credential_json: str,
    relying_party: RelyingParty,
    client_key: str,
    now: dt.datetime,
) -> StartedSession | None:
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
        session, user_session, password, passkey_is_right, client_key=client_key, now=now
    )


def passkey_options(
    session: Session, *, user_session: UserSession, relying_party: RelyingParty, now: dt.datetime
) -> str:
    return passkeys.begin_passkey_authentication(
        session, user=user_session.user, relying_party=relying_party, now=now
    )


def _confirm(
    session: Session,
    user_session: UserSession,
    password: str,
    second_factor_is_right: Callable[[], bool],
    *,
    client_key: str,
    now: dt.datetime,
) -> StartedSession | None:
    user = user_session.user
    if not is_live(user_session, now=now):
        return None  # an ended session is never brought back, however right the password
    if throttle_check(session, username=user.username, client_key=client_key, now=now):
        return None
    passed = check_password(password, user.password_hash).hash_matches and second_factor_is_right()
    audit_trail.reauthenticated(session, user=user, user_session=user_session, succeeded=passed)
    if not passed:
        keys = throttling.sign_in_keys(user.username, client_key)
        throttling.record_failure(session, keys=keys, now=now)
        return None
    # As at sign-in: proving who you are clears the account's count of failures.
    throttling.forget_failures(session, key=throttling.account_key(user.username))
    return rotate_after_reauthentication(session, user_session=user_session, now=now)
