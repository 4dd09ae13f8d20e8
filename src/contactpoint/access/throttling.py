"""Throttling of failed sign-ins, per account name and per client, with back-off and lockout.

Two counters are kept for every failure: one for the username typed (whether
or not an account has it, so that throttling says nothing about which names
exist) and one for the client (its network address), so that guessing across
many accounts from one place is slowed and stopped too. Wrong second-factor
codes count against both, like wrong passwords.

Each counter waits longer after each failure (1, 2, 4, 8 ... seconds) and
locks after a number of failures; a lock passes by itself. Failures older than
the policy's window are forgotten.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from contactpoint.access.credentials import digest
from contactpoint.access.models import SignInThrottle

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    lock_after: int  # failures
    lock_for: dt.timedelta
    backoff_from: int  # the failure after which waiting starts
    backoff_base: dt.timedelta
    backoff_cap: dt.timedelta
    window: dt.timedelta  # failures older than this are forgotten

    def wait_after(self, failures: int) -> dt.timedelta:
        if failures < self.backoff_from:
            return dt.timedelta(0)
        return min(self.backoff_base * (1 << (failures - self.backoff_from)), self.backoff_cap)


# 5 wrong passwords or codes lock an account name for 15 minutes: at most 20
# guesses an hour, far below ASVS's ceiling of 100.
ACCOUNT_POLICY: Final = ThrottlePolicy(
    lock_after=5,
    lock_for=dt.timedelta(minutes=15),
    backoff_from=1,
    backoff_base=dt.timedelta(seconds=1),
    backoff_cap=dt.timedelta(seconds=30),
    window=dt.timedelta(hours=1),
)
# A client (one address) may fail more often, because a council office puts many
# users behind one address; guessing across accounts is still stopped.
CLIENT_POLICY: Final = ThrottlePolicy(
    lock_after=30,
    lock_for=dt.timedelta(minutes=15),
    backoff_from=10,
    backoff_base=dt.timedelta(seconds=1),
    backoff_cap=dt.timedelta(seconds=30),
    window=dt.timedelta(hours=1),
)


@dataclass(frozen=True, slots=True)
class Throttled:
    retry_at: dt.datetime


def sign_in_keys(username: str, client: str) -> dict[str, ThrottlePolicy]:
    """The counters a sign-in attempt is checked and counted against."""
    return {account_key(username): ACCOUNT_POLICY, client_key(client): CLIENT_POLICY}


def account_key(username: str) -> str:
    return "account:" + digest(normalise_username(username))


def client_key(client: str) -> str:
    return "client:" + digest(client)


def normalise_username(username: str) -> str:
    return username.strip().lower()


def check(
    session: Session, *, keys: dict[str, ThrottlePolicy], now: dt.datetime
) -> Throttled | None:
    """When the next attempt may be made, if any of ``keys`` must wait; else None."""
    retry_ats = [
        retry_at
        for key, policy in keys.items()
        if (retry_at := _retry_at(session.get(SignInThrottle, key), policy, now)) is not None
    ]
    return Throttled(retry_at=max(retry_ats)) if retry_ats else None


def record_failure(session: Session, *, keys: dict[str, ThrottlePolicy], now: dt.datetime) -> None:
    for key, policy in keys.items():
        throttle = _throttle(session, key=key, now=now)
        if now - throttle.first_failure_at > policy.window or _lock_has_passed(throttle, now):
            throttle.failures = 0
            throttle.first_failure_at = now
            throttle.locked_until = None
        session.flush()
        # Counted in SQL, so that concurrent failures are not lost.
        session.execute(
            update(SignInThrottle)
            .where(SignInThrottle.key == key)
            .values(failures=SignInThrottle.failures + 1, last_failure_at=now)
        )
        session.refresh(throttle)
        if throttle.failures >= policy.lock_after:
            throttle.locked_until = now + policy.lock_for
    session.flush()


def forget_failures(session: Session, *, key: str) -> None:
    """After a full sign-in: the account's count starts again (the client's never does)."""
    session.execute(delete(SignInThrottle).where(SignInThrottle.key == key))


def _retry_at(
    throttle: SignInThrottle | None, policy: ThrottlePolicy, now: dt.datetime
) -> dt.datetime | None:
    if throttle is None:
        return None
    if throttle.locked_until is not None:
        return throttle.locked_until if now < throttle.locked_until else None
    if now - throttle.first_failure_at > policy.window:
        return None
    retry_at = throttle.last_failure_at + policy.wait_after(throttle.failures)
    return retry_at if now < retry_at else None


def _lock_has_passed(throttle: SignInThrottle, now: dt.datetime) -> bool:
    return throttle.locked_until is not None and now >= throttle.locked_until


def _throttle(session: Session, *, key: str, now: dt.datetime) -> SignInThrottle:
    existing = session.get(SignInThrottle, key)
    if existing is not None:
        return existing
    made = SignInThrottle(key=key, failures=0, first_failure_at=now, last_failure_at=now)
    try:
        with session.begin_nested():
            session.add(made)
    except IntegrityError:  # another request made it first
        found = session.get(SignInThrottle, key)
        if found is None:
            raise
        return found
    return made
