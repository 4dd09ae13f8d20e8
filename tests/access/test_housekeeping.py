"""Housekeeping: expired sign-in records are deleted after their retention, nothing
sooner, the audit trail never; and the run is audited with counts only."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactpoint.access import throttling
from contactpoint.access.credentials import digest, new_token
from contactpoint.access.housekeeping import (
    LINKS_KEPT_FOR,
    SESSIONS_KEPT_FOR,
    THROTTLE_KEPT_FOR,
    purge_expired,
)
from contactpoint.access.models import (
    Ceremony,
    LinkPurpose,
    OneTimeLink,
    PendingSignIn,
    SignInThrottle,
    UserSession,
    WebAuthnChallenge,
)
from contactpoint.access.policy import Role, principal_for_operator
from contactpoint.access.sessions import open_session
from contactpoint.audit.events import Actor, ActorKind, EventType, sign_out_event
from contactpoint.audit.models import AuditEventDetails, AuditEventRow
from contactpoint.audit.services import record

import factories
from factories import NOW
from signing_in import CLIENT, password_step

SECOND = dt.timedelta(seconds=1)
OPERATOR = principal_for_operator("housekeeper")


def _ids(db_session, model, key) -> set[object]:
    db_session.expire_all()
    return set(db_session.scalars(select(key)))


def _throttle(db_session, name: str, *, last_failure_at: dt.datetime, locked_until=None) -> str:
    key = throttling.account_key(name)
    db_session.add(
        SignInThrottle(
            key=key,
            failures=5,
            first_failure_at=last_failure_at,
            last_failure_at=last_failure_at,
            locked_until=locked_until,
        )
    )
    return key


def _link(db_session, user, *, expires_at: dt.datetime, used_at=None) -> int:
    link = OneTimeLink(
        token_hash=digest(new_token()),
        user_id=user.id,
        purpose=LinkPurpose.PASSWORD_RESET,
        created_at=expires_at - dt.timedelta(days=1),
        expires_at=expires_at,
        used_at=used_at,
    )
    db_session.add(link)
    db_session.flush()
    return link.id


def _session_at(db_session, user, at: dt.datetime, *, ended: bool) -> str:
    started = open_session(
        db_session, user=user, acting_role=Role.PRACTITIONER, method="password_totp", now=at
    )
    if ended:
        started.user_session.ended_at = at + dt.timedelta(hours=1)
    db_session.flush()
    return started.user_session.id


def test_throttle_counters_go_once_a_day_has_passed_and_no_lock_holds(db_session):
    old = NOW - THROTTLE_KEPT_FOR - SECOND
    stale = _throttle(db_session, "stale", last_failure_at=old)
    recent = _throttle(db_session, "recent", last_failure_at=NOW - dt.timedelta(hours=2))
    locked = _throttle(db_session, "locked", last_failure_at=old, locked_until=NOW + SECOND)
    db_session.flush()

    purged = purge_expired(db_session, by=OPERATOR, now=NOW)

    remaining = _ids(db_session, SignInThrottle, SignInThrottle.key)
    assert stale not in remaining
    assert {recent, locked} <= remaining
    assert purged.throttle_counters == 1


def test_expired_pending_sign_ins_and_passkey_challenges_go_and_live_ones_stay(db_session):
    user = factories.practitioner(db_session)
    expired = password_step(db_session, user, now=NOW - dt.timedelta(minutes=11))
    live = password_step(db_session, user, now=NOW - dt.timedelta(minutes=9))
    for name, expires_at in (("old", NOW - SECOND), ("new", NOW + SECOND)):
        db_session.add(
            WebAuthnChallenge(
                user_id=user.id,
                ceremony=Ceremony.AUTHENTICATION,
                challenge=f"challenge-{name}-{user.id}",
                expires_at=expires_at,
            )
        )
    db_session.flush()

    purged = purge_expired(db_session, by=OPERATOR, now=NOW)

    pending = _ids(db_session, PendingSignIn, PendingSignIn.id)
    assert digest(expired.pending_token) not in pending
    assert digest(live.pending_token) in pending
    challenges = _ids(db_session, WebAuthnChallenge, WebAuthnChallenge.challenge)
    assert f"challenge-new-{user.id}" in challenges
    assert f"challenge-old-{user.id}" not in challenges
    assert (purged.pending_sign_ins, purged.passkey_challenges) == (1, 1)


def test_one_time_links_go_30_days_after_use_or_expiry(db_session):
    user = factories.practitioner(db_session)
    long_ago = NOW - LINKS_KEPT_FOR - SECOND
    lately = NOW - LINKS_KEPT_FOR + SECOND
    used_long_ago = _link(db_session, user, expires_at=NOW + SECOND, used_at=long_ago)
    expired_long_ago = _link(db_session, user, expires_at=long_ago)
    used_lately = _link(db_session, user, expires_at=long_ago, used_at=lately)
    expired_lately = _link(db_session, user, expires_at=lately)
    unused = _link(db_session, user, expires_at=NOW + dt.timedelta(days=3))

    purged = purge_expired(db_session, by=OPERATOR, now=NOW)

    remaining = _ids(db_session, OneTimeLink, OneTimeLink.id)
    assert {used_long_ago, expired_long_ago}.isdisjoint(remaining)
    assert {used_lately, expired_lately, unused} <= remaining
    assert purged.one_time_links == 2


def test_sessions_go_90_days_after_they_ended_or_were_last_used(db_session):
    user = factories.practitioner(db_session)
    long_ago = NOW - SESSIONS_KEPT_FOR - dt.timedelta(hours=2)
    ended_long_ago = _session_at(db_session, user, long_ago, ended=True)
    abandoned_long_ago = _session_at(db_session, user, long_ago, ended=False)
    ended_lately = _session_at(db_session, user, NOW - dt.timedelta(days=89), ended=True)
    open_now = _session_at(db_session, user, NOW - dt.timedelta(minutes=5), ended=False)

    purged = purge_expired(db_session, by=OPERATOR, now=NOW)

    remaining = _ids(db_session, UserSession, UserSession.id)
    assert {ended_long_ago, abandoned_long_ago}.isdisjoint(remaining)
    assert {ended_lately, open_now} <= remaining
    assert purged.sessions == 2


def test_the_run_is_audited_as_the_operator_with_counts_only_and_the_trail_is_untouched(
    db_session,
):
    user = factories.practitioner(db_session)
    password_step(db_session, user, now=NOW - dt.timedelta(hours=1))
    _throttle(db_session, "someone", last_failure_at=NOW - dt.timedelta(days=2))
    db_session.flush()
    record(
        db_session, sign_out_event(Actor.user(user.id, role="practitioner", organisation_id=None))
    )
    before = db_session.execute(select(AuditEventRow.sequence, AuditEventRow.hash)).all()

    purged = purge_expired(db_session, by=OPERATOR, now=NOW)

    event = db_session.scalars(
        select(AuditEventRow).order_by(AuditEventRow.sequence.desc()).limit(1)
    ).one()
    details = json.loads(db_session.get(AuditEventDetails, event.sequence).details)
    after = db_session.execute(select(AuditEventRow.sequence, AuditEventRow.hash)).all()
    assert before  # there was a trail, and every event of it is still there, unchanged
    assert set(after) - set(before) == {(event.sequence, event.hash)}
    assert (event.event_type, event.actor_kind, event.actor_label) == (
        EventType.ADMIN_ACTION,
        ActorKind.OPERATOR,
        "housekeeper",
    )
    assert details == {"action": "purge_expired", "deleted": purged.as_counts()}
    assert purged.pending_sign_ins >= 1
    assert purged.throttle_counters >= 1


def test_the_housekeeping_command_deletes_and_says_how_many(fresh_database):
    with Session(fresh_database.engine) as session:
        user = factories.practitioner(session)
        _link(session, user, expires_at=NOW - dt.timedelta(days=400))
        _throttle(session, "someone", last_failure_at=NOW - dt.timedelta(days=400))
        password_step(session, user, now=NOW, client=CLIENT)  # expired long before today
        session.commit()
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CONTACTPOINT_")},
        "CONTACTPOINT_DATABASE_URL": fresh_database.url,
        "CONTACTPOINT_MODE": "production",
        "COLUMNS": "200",
    }

    result = subprocess.run(
        [sys.executable, "-m", "contactpoint", "housekeeping"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "One time links" in result.stdout
    with Session(fresh_database.engine) as session:
        assert session.scalar(select(func.count()).select_from(OneTimeLink)) == 0
        assert session.scalar(select(func.count()).select_from(SignInThrottle)) == 0
        assert session.scalar(select(func.count()).select_from(PendingSignIn)) == 0
        kinds = session.scalars(
            select(AuditEventRow.actor_kind).where(
                AuditEventRow.event_type == EventType.ADMIN_ACTION
            )
        ).all()
    assert ActorKind.OPERATOR in kinds
