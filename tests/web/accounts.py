"""Users and sessions for the web tests, committed to the app's own database."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from contactpoint.access.credentials import digest
from contactpoint.access.links import LINK_PATH, issue_one_time_link
from contactpoint.access.models import LinkPurpose, UserAccount, UserSession
from contactpoint.access.policy import principal_for_operator
from contactpoint.access.sessions import open_session
from contactpoint.audit.events import EventType
from contactpoint.audit.models import AuditEventRow

import factories
from factories import NOW, TEST_PASSWORD

if TYPE_CHECKING:
    from collections.abc import Callable

    from fastapi import FastAPI

    from contactpoint.access.policy import Role

SESSION_COOKIE = "contactpoint-session"
FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Account:
    """A committed user, known by id and username; its code at any moment."""

    def __init__(self, app: FastAPI, user: UserAccount) -> None:
        self.app = app
        self.id = user.id
        self.username = user.username
        self.totp_secret_sealed = user.totp_secret_sealed

    def code(self, at: dt.datetime = NOW) -> str:
        return factories.totp_code(self, at=at)  # type: ignore[arg-type]


def make_account(app: FastAPI, make: Callable[..., UserAccount], **states: Any) -> Account:
    with app.state.sessions() as session:
        user = make(session, **states)
        account = Account(app, user)
        session.commit()
    return account


def open_session_for(app: FastAPI, account: Account, role: Role, *, at: dt.datetime = NOW) -> str:
    """A signed-in session's token, as the sign-in pages would have set in the cookie."""
    with app.state.sessions() as session:
        user = session.get(UserAccount, account.id)
        started = open_session(session, user=user, acting_role=role, method="password_totp", now=at)
        session.commit()
        return started.token


def session_cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"{SESSION_COOKIE}={token}"}


def set_last_seen(app: FastAPI, token: str, at: dt.datetime) -> None:
    with app.state.sessions() as session:
        user_session = session.get(UserSession, digest(token))
        user_session.last_seen_at = at
        session.commit()


def last_seen(app: FastAPI, token: str) -> dt.datetime:
    with app.state.sessions() as session:
        return session.get(UserSession, digest(token)).last_seen_at


def denials_of(app: FastAPI, account: Account) -> int:
    """How many access_denied events the audit trail holds for this user."""
    query = select(func.count()).where(
        AuditEventRow.event_type == EventType.ACCESS_DENIED,
        AuditEventRow.actor_user_id == account.id,
    )
    with app.state.sessions() as session:
        return int(session.scalar(query) or 0)


def events_of(app: FastAPI, event_type: EventType) -> int:
    query = select(func.count()).where(AuditEventRow.event_type == event_type)
    with app.state.sessions() as session:
        return int(session.scalar(query) or 0)


def form_token(page: str) -> str:
    match = FORM_TOKEN.search(page)
    assert match, "no form token in the page"
    return match.group(1)


def issue_link(
    app: FastAPI, account: Account, purpose: LinkPurpose, *, at: dt.datetime = NOW
) -> str:
    """A one-time link's path, issued by the operator."""
    with app.state.sessions() as session:
        user = session.get(UserAccount, account.id)
        issued = issue_one_time_link(
            session, by=principal_for_operator("tester"), user=user, purpose=purpose, now=at
        )
        session.commit()
    return LINK_PATH.format(token=issued.token)


def sign_in_through_pages(client, account: Account, *, password: str = TEST_PASSWORD, code=None):
    """Password then code, through the pages; the response to the code."""
    first = post_form(client, "/sign-in", "/sign-in", username=account.username, password=password)
    assert first.headers["location"] == "/sign-in/code", first.text
    return post_form(client, "/sign-in/code", "/sign-in/code", code=code or account.code())


def post_form(client, page_path: str, action: str, **fields: str):
    """Posts a form as a browser would: with the token of the page that shows it."""
    page = client.get(page_path)
    token = form_token(page.text)
    return client.post(action, data={"csrf_token": token, **fields}, follow_redirects=False)


def age_session(app: FastAPI, token: str, *, started_at: dt.datetime) -> None:
    """Move a session's start back, as if signed in at ``started_at``."""
    with app.state.sessions() as session:
        user_session = session.get(UserSession, digest(token))
        user_session.created_at = started_at
        session.commit()
