"""Signed-in sessions: timeouts, conditions re-checked on every request, CSRF, re-authentication.

A session's token lives only in the user's cookie; the database keeps its
SHA-256 digest as the session's id. Every request resumes the session, which
ends it when it has been idle for 30 minutes, when it is 12 hours old, when any
condition of access has lapsed, or when the role it acts in has been withdrawn.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from sqlalchemy import Select, delete, select

from contactpoint.access import audit_trail
from contactpoint.access.credentials import digest, new_token, same
from contactpoint.access.models import PendingSignIn, SessionEndReason, UserAccount, UserSession
from contactpoint.access.policy import (
    LapsedCondition,
    Principal,
    Role,
    access_conditions,
    principal_for_user,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

IDLE_TIMEOUT: Final = dt.timedelta(minutes=30)
ABSOLUTE_TIMEOUT: Final = dt.timedelta(hours=12)
EXPIRY_WARNING: Final = dt.timedelta(minutes=5)
REAUTHENTICATION_LASTS: Final = dt.timedelta(minutes=5)

_ENDED_MESSAGES: Final = {
    SessionEndReason.IDLE_TIMEOUT: (
        "You were signed out because you had not done anything for 30 minutes. Sign in again."
    ),
    SessionEndReason.ABSOLUTE_TIMEOUT: (
        "You were signed out because you had been signed in for 12 hours. Sign in again."
    ),
    SessionEndReason.ROLE_WITHDRAWN: (
        "You were signed out because the role you were acting in was withdrawn. Sign in again."
    ),
    SessionEndReason.CREDENTIALS_CHANGED: (
        "You were signed out because your password or second factor changed. Sign in again."
    ),
}
NOT_SIGNED_IN: Final = "You are not signed in. Sign in to continue."


@dataclass(frozen=True, slots=True)
class StartedSession:
    """A new session: ``token`` goes in the session cookie and nowhere else."""

    token: str
    user_session: UserSession


@dataclass(frozen=True, slots=True)
class ActiveSession:
    user_session: UserSession
    user: UserAccount
    principal: Principal
    expires_at: dt.datetime

    def seconds_until_expiry(self, now: dt.datetime) -> int:
        return max(0, int((self.expires_at - now).total_seconds()))

    def expiry_warning_due(self, now: dt.datetime) -> bool:
        return self.expires_at - now <= EXPIRY_WARNING


@dataclass(frozen=True, slots=True)
class SessionEnded:
    """No session: never started, signed out, or timed out; ``message`` says which."""

    reason: SessionEndReason | None
    message: str


@dataclass(frozen=True, slots=True)
class AccessStopped:
    """A condition of access has lapsed; each lapsed condition says who can restore it."""

    lapsed: tuple[LapsedCondition, ...]

    @property
    def message(self) -> str:
        return " ".join(condition.message for condition in self.lapsed)


def open_session(
    session: Session, *, user: UserAccount, acting_role: Role, method: str, now: dt.datetime
) -> StartedSession:
    """A brand-new session with a new random token, for a fully authenticated user.

    Called by :func:`contactpoint.access.sign_in.start_session`; pages never call it.
    """
    token = new_token()
    user_session = UserSession(
        id=digest(token),
        user_id=user.id,
        acting_role=acting_role,
        csrf_token=new_token(),
        created_at=now,
        last_seen_at=now,
    )
    session.add(user_session)
    session.flush()
    audit_trail.sign_in_succeeded(session, user=user, user_session=user_session, method=method)
    return StartedSession(token=token, user_session=user_session)


def resume_session(
    session: Session, *, token: str, now: dt.datetime, touch: bool = True
) -> ActiveSession | SessionEnded | AccessStopped:
    """The session for the cookie's ``token``, if it may go on; every request calls this.

    ``touch=False`` (for a page asking how long is left) does not count as activity.
    """
    user_session = session.get(UserSession, digest(token)) if token else None
    if user_session is None:
        return SessionEnded(reason=None, message=NOT_SIGNED_IN)
    if user_session.ended_at is not None:
        return _already_ended(session, user_session, now=now)
    timed_out = _timed_out(user_session, now=now)
    if timed_out is not None:
        _end(session, user_session, reason=timed_out, now=now)
        audit_trail.session_ended(
            session, user=user_session.user, user_session=user_session, cause=timed_out.value
        )
        return SessionEnded(reason=timed_out, message=_ENDED_MESSAGES[timed_out])
    return _check_user(session, user_session, now=now, touch=touch)


def end_session(
    session: Session,
    *,
    user_session: UserSession,
    now: dt.datetime,
    reason: SessionEndReason = SessionEndReason.SIGNED_OUT,
) -> None:
    if user_session.ended_at is None:
        _end(session, user_session, reason=reason, now=now)
        cause = "user" if reason is SessionEndReason.SIGNED_OUT else reason.value
        audit_trail.session_ended(
            session, user=user_session.user, user_session=user_session, cause=cause
        )


def end_all_sessions(
    session: Session,
    *,
    user_id: int,
    reason: SessionEndReason,
    now: dt.datetime,
    keep: UserSession | None = None,
) -> int:
    """End every open session (and half-finished sign-in) of an account, at once.

    ``keep`` spares the session making the change (a user changing their own password).
    """
    query = _open_sessions(user_id).where(UserSession.id != ("" if keep is None else keep.id))
    session.execute(delete(PendingSignIn).where(PendingSignIn.user_id == user_id))
    return _end_each(session, query, reason=reason, now=now)


def open_sessions_of(session: Session, *, user_id: int, now: dt.datetime) -> list[UserSession]:
    """A user's sessions still in use, newest first: for "your sessions" and administrators."""
    query = _open_sessions(user_id).order_by(UserSession.created_at.desc())
    return [s for s in session.scalars(query) if _timed_out(s, now=now) is None]


def end_sessions_acting_as(session: Session, *, user_id: int, role: Role, now: dt.datetime) -> int:
    query = _open_sessions(user_id).where(UserSession.acting_role == role)
    return _end_each(session, query, reason=SessionEndReason.ROLE_WITHDRAWN, now=now)


def expires_at(user_session: UserSession) -> dt.datetime:
    """The earlier of the idle and the absolute timeout."""
    return min(user_session.last_seen_at + IDLE_TIMEOUT, user_session.created_at + ABSOLUTE_TIMEOUT)


def seconds_until_expiry(user_session: UserSession, *, now: dt.datetime) -> int:
    return max(0, int((expires_at(user_session) - now).total_seconds()))


def csrf_token_for(user_session: UserSession) -> str:
    """The token every form of this session must send back (see :func:`check_csrf`)."""
    return user_session.csrf_token


def check_csrf(user_session: UserSession, token: str | None) -> bool:
    """Whether a submitted form carries this session's token (compared in constant time)."""
    return token is not None and same(token, user_session.csrf_token)


def recently_reauthenticated(
    user_session: UserSession, *, now: dt.datetime, within: dt.timedelta = REAUTHENTICATION_LASTS
) -> bool:
    at = user_session.reauthenticated_at
    return at is not None and dt.timedelta(0) <= now - at <= within


def is_live(user_session: UserSession, *, now: dt.datetime) -> bool:
    """Not ended, and not past either timeout (conditions of access are checked apart)."""
    return user_session.ended_at is None and _timed_out(user_session, now=now) is None


def rotate_after_reauthentication(
    session: Session, *, user_session: UserSession, now: dt.datetime
) -> StartedSession:
    """A new token (and CSRF token) for a session whose user has just re-authenticated.

    The old token stops working; the new session keeps the old one's start, so
    the 12-hour limit still counts from the sign-in.
    """
    token = new_token()
    rotated = UserSession(
        id=digest(token),
        user_id=user_session.user_id,
        acting_role=user_session.acting_role,
        csrf_token=new_token(),
        created_at=user_session.created_at,
        last_seen_at=now,
        reauthenticated_at=now,
    )
    _end(session, user_session, reason=SessionEndReason.ROTATED, now=now)
    session.add(rotated)
    session.flush()
    return StartedSession(token=token, user_session=rotated)


def _check_user(
    session: Session, user_session: UserSession, *, now: dt.datetime, touch: bool
) -> ActiveSession | SessionEnded | AccessStopped:
    user = user_session.user
    lapsed = access_conditions(user, user.organisation, today=now.date())
    if lapsed:
        reason = (
            SessionEndReason.SUSPENDED
            if user.suspended_at is not None
            else SessionEndReason.CONDITION_LAPSED
        )
        _end(session, user_session, reason=reason, now=now)
        audit_trail.access_stopped(session, user=user, user_session=user_session)
        return AccessStopped(lapsed=tuple(lapsed))
    if user_session.acting_role not in user.roles:
        _end(session, user_session, reason=SessionEndReason.ROLE_WITHDRAWN, now=now)
        audit_trail.session_ended(
            session, user=user, user_session=user_session, cause="role_withdrawn"
        )
        return SessionEnded(
            SessionEndReason.ROLE_WITHDRAWN, _ENDED_MESSAGES[SessionEndReason.ROLE_WITHDRAWN]
        )
    if touch:
        user_session.last_seen_at = now
        session.flush()
    principal = principal_for_user(
        user,
        acting_role=user_session.acting_role,
        reauthenticated=recently_reauthenticated(user_session, now=now),
        session_ref=audit_trail.session_ref(user_session),
    )
    return ActiveSession(user_session, user, principal, expires_at(user_session))


def _already_ended(
    session: Session, user_session: UserSession, *, now: dt.datetime
) -> SessionEnded | AccessStopped:
    reason = user_session.ended_reason
    if reason in {SessionEndReason.SUSPENDED, SessionEndReason.CONDITION_LAPSED}:
        user = user_session.user
        lapsed = access_conditions(user, user.organisation, today=now.date())
        if lapsed:
            return AccessStopped(lapsed=tuple(lapsed))
    del session
    message = NOT_SIGNED_IN if reason is None else _ENDED_MESSAGES.get(reason, NOT_SIGNED_IN)
    return SessionEnded(reason=reason, message=message)


def _open_sessions(user_id: int) -> Select[UserSession]:
    return select(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))


def _end_each(
    session: Session,
    query: Select[UserSession],
    *,
    reason: SessionEndReason,
    now: dt.datetime,
) -> int:
    ended = list(session.scalars(query.with_for_update()))
    for user_session in ended:
        _end(session, user_session, reason=reason, now=now)
    for user_session in ended:
        audit_trail.session_ended(
            session, user=user_session.user, user_session=user_session, cause=reason.value
        )
    return len(ended)


def _timed_out(user_session: UserSession, *, now: dt.datetime) -> SessionEndReason | None:
    if now >= user_session.created_at + ABSOLUTE_TIMEOUT:
        return SessionEndReason.ABSOLUTE_TIMEOUT
    if now >= user_session.last_seen_at + IDLE_TIMEOUT:
        return SessionEndReason.IDLE_TIMEOUT
    return None


def _end(
    session: Session, user_session: UserSession, *, reason: SessionEndReason, now: dt.datetime
) -> None:
    user_session.ended_at = now
    user_session.ended_reason = reason
    session.flush()
