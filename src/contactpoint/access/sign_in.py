"""Signing in: a password, then a second factor, then the role to act in.

1. :func:`authenticate` checks the username and password. It answers the same
   way, after the same argon2 work, whether or not the username exists, and
   refuses at once (without checking anything) while the account name or the
   client is throttled. Success gives a *pending* sign-in, whose token goes in a
   short-lived pre-authentication cookie.
2. :func:`verify_code` or :func:`verify_passkey` checks the second factor. A
   pending sign-in made from a one-time link may instead set one up
   (:func:`set_up_totp` then :func:`confirm_totp`, or :func:`register_passkey`).
   The conditions of access are checked here, and again at step 3.
3. :func:`start_session` opens the session in the chosen role, with a brand-new
   token; the pending sign-in and its token are discarded.

Re-authentication before high-risk actions is in :mod:`.reauthentication`.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from contactpoint.access import audit_trail, passkeys, second_factor, throttling
from contactpoint.access.credentials import digest, new_token
from contactpoint.access.models import PendingSignIn, UserAccount
from contactpoint.access.passwords import check_password
from contactpoint.access.policy import Role, access_conditions
from contactpoint.access.sessions import AccessStopped, StartedSession, open_session
from contactpoint.access.users import find_user

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from contactpoint.access.credentials import Sealer
    from contactpoint.access.passkeys import RelyingParty
    from contactpoint.access.second_factor import TotpSetUp

PENDING_LIFETIME: Final = dt.timedelta(minutes=10)
_SECONDS_SHOWN_UP_TO: Final = 120  # longer waits are shown in minutes

WRONG_PASSWORD: Final = "Your username or password is not right. Check them and try again."  # noqa: S105 - a message
WRONG_CODE: Final = (
    "The code is not right, or it has been used already. "
    "Wait for your app to show a new code and try again."
)
WRONG_PASSKEY: Final = "Your passkey could not be checked. Try again."
NO_PASSKEY: Final = (
    "Your account has no passkey. Enter the code from your authenticator app instead."
)
TIMED_OUT: Final = "Your sign-in took too long, or has already finished. Sign in again."
NO_SECOND_FACTOR: Final = (
    "Your account has no second factor set up. Use the set-up link you were given, "
    "or ask your council's ContactPoint team for a new one."
)
NO_SUCH_ROLE: Final = "Choose one of your roles."
NO_SET_UP: Final = "A second factor can only be set up from a set-up link."


class SecondFactorMethod(enum.StrEnum):
    TOTP = "totp"
    PASSKEY = "passkey"


@dataclass(frozen=True, slots=True)
class SignInRefused:
    """Not signed in; ``message`` is fit to show, and never says whether a username exists."""

    message: str
    retry_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class SecondFactorNeeded:
    """The password (or a one-time link) was right; the second factor comes next."""

    pending_token: str
    expires_at: dt.datetime
    methods: frozenset[SecondFactorMethod]
    may_set_up: bool


@dataclass(frozen=True, slots=True)
class SecondFactorAccepted:
    """Fully authenticated; the user now chooses which of ``roles`` to act in."""

    pending_token: str
    roles: tuple[Role, ...]


SecondFactorOutcome = SecondFactorAccepted | AccessStopped | SignInRefused


def authenticate(
    session: Session, *, username: str, password: str, client_key: str, now: dt.datetime
) -> SecondFactorNeeded | SignInRefused:
    """Step 1. ``client_key`` identifies where the attempt comes from (its address)."""
    refused = throttle_check(session, username=username, client_key=client_key, now=now)
    if refused is not None:
        return refused
    user = find_user(session, username=username)
    checked = check_password(password, user.password_hash if user is not None else None)
    if user is None or not checked.hash_matches:
        record_failed_attempt(
            session,
            username=username,
            user=user,
            client_key=client_key,
            method="password",
            failure="wrong_password",
            now=now,
        )
        return SignInRefused(WRONG_PASSWORD)
    if checked.new_hash is not None:
        user.password_hash = checked.new_hash
    if not user.has_second_factor:
        return SignInRefused(NO_SECOND_FACTOR)
    return begin_pending_sign_in(session, user=user, may_set_up=False, now=now)


def begin_pending_sign_in(
    session: Session, *, user: UserAccount, may_set_up: bool, now: dt.datetime
) -> SecondFactorNeeded:
    """Step 1 done (by password, or by a one-time link with ``may_set_up``)."""
    if may_set_up:
        second_factor.forget_unconfirmed_totp(user)
    token = new_token()
    pending = PendingSignIn(
        id=digest(token),
        user_id=user.id,
        may_set_up_second_factor=may_set_up,
        started_at=now,
        expires_at=now + PENDING_LIFETIME,
    )
    session.add(pending)
    session.flush()
    return SecondFactorNeeded(token, pending.expires_at, _methods_of(user), may_set_up)


def _methods_of(user: UserAccount) -> frozenset[SecondFactorMethod]:
    methods = {SecondFactorMethod.TOTP} if user.has_totp else set()
    methods |= {SecondFactorMethod.PASSKEY} if user.passkeys else set()
    return frozenset(methods)


def verify_code(
    session: Session,
    *,
    pending_token: str,
    code: str,
    sealer: Sealer,
    client_key: str,
    now: dt.datetime,
) -> SecondFactorOutcome:
    """Step 2 with a code from the user's authenticator app."""
    pending = _pending(session, token=pending_token, now=now)
    if pending is None:
        return SignInRefused(TIMED_OUT)
    refused = _throttled_pending(session, pending, client_key=client_key, now=now)
    if refused is not None:
        return refused
    passed = second_factor.verify_totp(
        session, user=pending.user, code=code, sealer=sealer, now=now
    )
    return _outcome(
        session,
        pending,
        token=pending_token,
        passed=passed,
        method=SecondFactorMethod.TOTP,
        client_key=client_key,
        now=now,
    )


def passkey_options(
    session: Session, *, pending_token: str, relying_party: RelyingParty, now: dt.datetime
) -> str | SignInRefused:
    """Step 2 with a passkey: the options (JSON) for ``navigator.credentials.get()``.

    Refused, with no challenge issued, when the user has no passkey. This comes after
    the password, so saying so reveals nothing about which usernames exist.
    """
    pending = _pending(session, token=pending_token, now=now)
    if pending is None:
        return SignInRefused(TIMED_OUT)
    if not pending.user.passkeys:
        return SignInRefused(NO_PASSKEY)
    return passkeys.begin_passkey_authentication(
        session, user=pending.user, relying_party=relying_party, now=now
    )


def pending_methods(
    session: Session, *, pending_token: str, now: dt.datetime
) -> frozenset[SecondFactorMethod]:
    """The second factors a pending sign-in's user has (none once it has timed out).

    Only a pending sign-in knows its user, and it exists only after the password
    (or a one-time link): the pages may offer a passkey from this without saying
    anything about a username before the password.
    """
    pending = _pending(session, token=pending_token, now=now)
    return frozenset() if pending is None else _methods_of(pending.user)


def verify_passkey(
    session: Session,
    *,
    pending_token: str,
    credential_json: str,
    relying_party: RelyingParty,
    client_key: str,
    now: dt.datetime,
) -> SecondFactorOutcome:
    pending = _pending(session, token=pending_token, now=now)
    if pending is None:
        return SignInRefused(TIMED_OUT)
    refused = _throttled_pending(session, pending, client_key=client_key, now=now)
    if refused is not None:
        return refused
    passed = passkeys.verify_passkey_authentication(
        session,
        user=pending.user,
        credential_json=credential_json,
        relying_party=relying_party,
        now=now,
    )
    return _outcome(
        session,
        pending,
        token=pending_token,
        passed=passed,
        method=SecondFactorMethod.PASSKEY,
        client_key=client_key,
        now=now,
        refusal=WRONG_PASSKEY,
    )


def set_up_totp(
    session: Session, *, pending_token: str, sealer: Sealer, now: dt.datetime
) -> TotpSetUp | SignInRefused:
    """Step 2 at first sign-in: a new authenticator app secret, with its QR code."""
    pending = _pending_set_up(session, token=pending_token, now=now)
    if isinstance(pending, SignInRefused):
        return pending
    set_up = second_factor.begin_totp_set_up(pending.user, sealer=sealer)
    session.flush()
    return set_up


def confirm_totp(
    session: Session,
    *,
    pending_token: str,
    code: str,
    sealer: Sealer,
    client_key: str,
    now: dt.datetime,
) -> SecondFactorOutcome:
    """Step 2 at first sign-in: the first code from the newly set-up app."""
    pending = _pending_set_up(session, token=pending_token, now=now)
    if isinstance(pending, SignInRefused):
        return pending
    refused = _throttled_pending(session, pending, client_key=client_key, now=now)
    if refused is not None:
        return refused
    passed = second_factor.confirm_totp_set_up(
        session, user=pending.user, code=code, sealer=sealer, now=now
    )
    if passed:
        audit_trail.second_factor_set_up(session, user=pending.user, method="totp")
    return _outcome(
        session,
        pending,
        token=pending_token,
        passed=passed,
        method=SecondFactorMethod.TOTP,
        client_key=client_key,
        now=now,
    )


def passkey_set_up_options(
    session: Session, *, pending_token: str, relying_party: RelyingParty, now: dt.datetime
) -> str | SignInRefused:
    pending = _pending_set_up(session, token=pending_token, now=now)
    if isinstance(pending, SignInRefused):
        return pending
    return passkeys.begin_passkey_registration(
        session, user=pending.user, relying_party=relying_party, now=now
    )


def register_passkey(
    session: Session,
    *,
    pending_token: str,
    credential_json: str,
    relying_party: RelyingParty,
    now: dt.datetime,
) -> SecondFactorOutcome:
    pending = _pending_set_up(session, token=pending_token, now=now)
    if isinstance(pending, SignInRefused):
        return pending
    try:
        passkeys.finish_passkey_registration(
            session,
            user=pending.user,
            credential_json=credential_json,
            relying_party=relying_party,
            now=now,
        )
    except passkeys.PasskeyError as error:
        return SignInRefused(str(error))
    audit_trail.second_factor_set_up(session, user=pending.user, method="passkey")
    return _accepted(
        session, pending, token=pending_token, method=SecondFactorMethod.PASSKEY, now=now
    )


def start_session(
    session: Session, *, pending_token: str, acting_role: Role, now: dt.datetime
) -> StartedSession | AccessStopped | SignInRefused:
    """Step 3: the session proper, with a new token; the pending sign-in is discarded."""
    pending = _pending(session, token=pending_token, now=now)
    if pending is None or pending.second_factor_verified_at is None:
        return SignInRefused(TIMED_OUT)
    user = pending.user
    if acting_role not in user.roles:
        return SignInRefused(NO_SUCH_ROLE)
    lapsed = access_conditions(user, user.organisation, today=now.date())
    method = _sign_in_method(pending)
    session.delete(pending)
    session.flush()
    if lapsed:
        audit_trail.access_stopped(session, user=user, method=method)
        return AccessStopped(lapsed=tuple(lapsed))
    return open_session(session, user=user, acting_role=acting_role, method=method, now=now)


def _outcome(
    session: Session,
    pending: PendingSignIn,
    *,
    token: str,
    passed: bool,
    method: SecondFactorMethod,
    client_key: str,
    now: dt.datetime,
    refusal: str = WRONG_CODE,
) -> SecondFactorOutcome:
    if not passed:
        record_failed_attempt(
            session,
            username=pending.user.username,
            user=pending.user,
            client_key=client_key,
            method=method.value,
            failure="wrong_passkey" if method is SecondFactorMethod.PASSKEY else "wrong_code",
            now=now,
        )
        return SignInRefused(refusal)
    throttling.forget_failures(session, key=throttling.account_key(pending.user.username))
    return _accepted(session, pending, token=token, method=method, now=now)


def _accepted(
    session: Session,
    pending: PendingSignIn,
    *,
    token: str,
    method: SecondFactorMethod,
    now: dt.datetime,
) -> SecondFactorAccepted | AccessStopped:
    user = pending.user
    lapsed = access_conditions(user, user.organisation, today=now.date())
    if lapsed:
        pending.second_factor_method = method.value
        session.delete(pending)
        session.flush()
        audit_trail.access_stopped(session, user=user, method=_sign_in_method(pending))
        return AccessStopped(lapsed=tuple(lapsed))
    pending.second_factor_verified_at = now
    pending.second_factor_method = method.value
    session.flush()
    return SecondFactorAccepted(pending_token=token, roles=tuple(sorted(user.roles)))


def _sign_in_method(pending: PendingSignIn) -> str:
    """How this sign-in began and went on, for the audit trail: ``link_totp``..."""
    began = "link_" if pending.may_set_up_second_factor else "password_"
    return began + (pending.second_factor_method or SecondFactorMethod.TOTP)


def _pending_set_up(
    session: Session, *, token: str, now: dt.datetime
) -> PendingSignIn | SignInRefused:
    """A pending sign-in that started from a one-time link, so may set up a second factor."""
    pending = _pending(session, token=token, now=now)
    if pending is None:
        return SignInRefused(TIMED_OUT)
    if not pending.may_set_up_second_factor:
        return SignInRefused(NO_SET_UP)
    return pending


def _pending(session: Session, *, token: str, now: dt.datetime) -> PendingSignIn | None:
    pending = session.get(PendingSignIn, digest(token)) if token else None
    if pending is None or now >= pending.expires_at:
        return None
    return pending


def throttle_check(
    session: Session,
    *,
    username: str,
    client_key: str,
    now: dt.datetime,
    user: UserAccount | None = None,
    method: str = "password",
) -> SignInRefused | None:
    """A refusal saying how long to wait, while the account name or the client is throttled.

    Checked before the account is looked up, so it takes the same time either way;
    ``user`` is given only where the account is already known (the second step).
    """
    throttled = throttling.check(
        session, keys=throttling.sign_in_keys(username, client_key), now=now
    )
    if throttled is None:
        return None
    audit_trail.sign_in_failed(
        session, user=user, client_key=client_key, method=method, failure="throttled"
    )
    return SignInRefused(_wait_message(throttled.retry_at, now=now), retry_at=throttled.retry_at)


def record_failed_attempt(
    session: Session,
    *,
    username: str,
    user: UserAccount | None,
    client_key: str,
    method: str,
    failure: str,
    now: dt.datetime,
) -> None:
    """A wrong password or code, counted against the account name and the client."""
    throttling.record_failure(session, keys=throttling.sign_in_keys(username, client_key), now=now)
    audit_trail.sign_in_failed(
        session, user=user, client_key=client_key, method=method, failure=failure
    )


def _throttled_pending(
    session: Session, pending: PendingSignIn, *, client_key: str, now: dt.datetime
) -> SignInRefused | None:
    return throttle_check(
        session,
        username=pending.user.username,
        client_key=client_key,
        now=now,
        user=pending.user,
        method="second_factor",
    )


def _wait_message(retry_at: dt.datetime, *, now: dt.datetime) -> str:
    wait = wait_phrase(seconds_until(retry_at, now=now))
    return f"There have been too many attempts to sign in. Wait {wait}, then try again."


def seconds_until(retry_at: dt.datetime, *, now: dt.datetime) -> int:
    """Whole seconds to wait (at least 1), rounded up."""
    return max(1, math.ceil((retry_at - now).total_seconds()))


def wait_phrase(seconds: int) -> str:
    """``1 second``, ``45 seconds``, ``15 minutes``: short waits in seconds, longer in minutes."""
    if seconds == 1:
        return "1 second"
    if seconds < _SECONDS_SHOWN_UP_TO:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"
