"""Housekeeping: delete sign-in records that have done their work.

What is deleted, and why each period was chosen:

- **Throttle counters** whose lock has passed and whose last failure is more
  than :data:`THROTTLE_KEPT_FOR` (1 day) old. The throttles forget failures
  after 1 hour and locks last 15 minutes, so such a row no longer changes any
  answer; every failure stays in the audit trail.
- **Pending sign-ins** and **passkey challenges** once they have expired
  (10 and 5 minutes): an expired one is refused anyway, so it is kept no longer.
- **One-time links** used or expired more than :data:`LINKS_KEPT_FOR` (30 days)
  ago, so that a council team can still see a recent link's fate.
- **Sessions** ended, or last active, more than :data:`SESSIONS_KEPT_FOR`
  (90 days) ago. The audit trail names a session by a digest of its id; keeping
  the row for 90 days lets an investigation of recent events see its role, start
  and end.

The audit trail is never touched: it is append-only, and the database refuses
deletions from it. The run itself is recorded there, with counts only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Final, cast

from sqlalchemy import and_, delete, or_

from contactpoint.access import audit_trail
from contactpoint.access.models import (
    OneTimeLink,
    PendingSignIn,
    SignInThrottle,
    UserSession,
    WebAuthnChallenge,
)

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
    from sqlalchemy.engine import CursorResult
    from sqlalchemy.orm import Session

    from contactpoint.access.policy import Principal

THROTTLE_KEPT_FOR: Final = dt.timedelta(days=1)
LINKS_KEPT_FOR: Final = dt.timedelta(days=30)
SESSIONS_KEPT_FOR: Final = dt.timedelta(days=90)


@dataclass(frozen=True, slots=True)
class Purged:
    """How many rows of each kind were deleted."""

    throttle_counters: int
    pending_sign_ins: int
    passkey_challenges: int
    one_time_links: int
    sessions: int

    def as_counts(self) -> dict[str, int]:
        return asdict(self)


def purge_expired(session: Session, *, by: Principal, now: dt.datetime) -> Purged:
    """Delete what has done its work (see the module's description), and audit the counts."""
    purged = Purged(
        throttle_counters=_delete(session, SignInThrottle, _inert_throttles(now)),
        pending_sign_ins=_delete(session, PendingSignIn, PendingSignIn.expires_at <= now),
        passkey_challenges=_delete(session, WebAuthnChallenge, WebAuthnChallenge.expires_at <= now),
        one_time_links=_delete(session, OneTimeLink, _old_links(now - LINKS_KEPT_FOR)),
        sessions=_delete(session, UserSession, _old_sessions(now - SESSIONS_KEPT_FOR)),
    )
    audit_trail.housekeeping_done(session, by=by, counts=purged.as_counts())
    return purged


def _inert_throttles(now: dt.datetime) -> ColumnElement[bool]:
    lock_passed = or_(SignInThrottle.locked_until.is_(None), SignInThrottle.locked_until <= now)
    return and_(lock_passed, SignInThrottle.last_failure_at <= now - THROTTLE_KEPT_FOR)


def _old_links(cutoff: dt.datetime) -> ColumnElement[bool]:
    used_long_ago = OneTimeLink.used_at <= cutoff
    expired_long_ago = and_(OneTimeLink.used_at.is_(None), OneTimeLink.expires_at <= cutoff)
    return or_(used_long_ago, expired_long_ago)


def _old_sessions(cutoff: dt.datetime) -> ColumnElement[bool]:
    # A session that timed out is ended only when next resumed, so some never are:
    # their last activity says when they stopped (the idle limit is 30 minutes).
    ended_long_ago = UserSession.ended_at <= cutoff
    idle_long_ago = and_(UserSession.ended_at.is_(None), UserSession.last_seen_at <= cutoff)
    return or_(ended_long_ago, idle_long_ago)


def _delete(session: Session, model: type[object], condition: ColumnElement[bool]) -> int:
    result = cast(
        "CursorResult[tuple[()]]",
        session.execute(
            delete(model).where(condition).execution_options(synchronize_session=False)
        ),
    )
    return int(result.rowcount)
