"""Every route declares who may use it, and the one guard enforces it for every role."""

from __future__ import annotations

import datetime as dt
import json
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.routing import APIRoute
from pydantic import SecretStr
from sqlalchemy import select

from contactpoint.access.permissions import Permission, Public
from contactpoint.access.policy import ROLE_GRANTS, Role
from contactpoint.audit.events import EventType
from contactpoint.audit.models import AuditEventDetails
from contactpoint.settings import Mode, Settings, SettingsError
from contactpoint.web.authorisation import declared_requirement, route_table, undeclared_routes

import factories
from accounts import (
    denials_of,
    events_of,
    make_account,
    open_session_for,
    session_cookie,
    set_last_seen,
)
from factories import NOW
from markup import parse_html, text_of, text_of_class
from web_app import build_app

if TYPE_CHECKING:
    from fastapi import FastAPI

PAGE_ROLES = {
    Role.PRACTITIONER: factories.practitioner,
    Role.COUNCIL_TEAM: factories.council_team,
    Role.DATA_MANAGER: factories.data_manager,
    Role.AUDITOR: factories.auditor,
    Role.NATIONAL_ADMINISTRATOR: factories.national_administrator,
}
REFUSED = {HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN}


def _app_for_listing() -> FastAPI:
    # Only for reading the route table at collection time: nothing connects to it.
    settings = Settings(
        mode=Mode.TEST,
        database_url="sqlite://",
        data_dir=Path("var"),
        secret_key=SecretStr(factories.TEST_SECRET_KEY),
    )
    return build_app(settings)


def _served_routes() -> list[tuple[str, str, APIRoute]]:
    return [
        (method, path, route)
        for path, route in route_table(_app_for_listing())
        if isinstance(route, APIRoute)
        for method in sorted(route.methods)
    ]


SERVED = _served_routes()


def _url(path: str) -> str:
    return path.replace("{token}", "no-such-link")


def test_every_route_declares_its_access_requirement():
    app = _app_for_listing()

    assert undeclared_routes(app) == []
    assert {declared_requirement(route) for _m, _p, route in SERVED} >= {
        Public.ACCESS,
        Permission.ACCESS_SELF_MANAGE,
    }


def test_a_route_added_without_a_declaration_is_found_and_stops_the_service(
    web_settings, client_for
):
    app = build_app(web_settings)
    app.add_api_route("/forgotten", lambda: {"open": "to all"})

    assert undeclared_routes(app) == ["/forgotten"]
    with pytest.raises(SettingsError, match="/forgotten"):
        client_for(app)


def _call(client, method: str, path: str, headers: dict[str, str] | None = None):
    return client.request(method, _url(path), headers=headers or {}, follow_redirects=False)


def _assert_nobody_is_sent_to_sign_in(client, method: str, path: str, requirement) -> None:
    response = _call(client, method, path)
    if isinstance(requirement, Public):
        assert response.status_code not in REFUSED
    elif path.startswith("/api/") or path == "/session/status":
        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert response.headers["content-type"] == "application/problem+json"
    else:
        assert response.status_code == HTTPStatus.SEE_OTHER
        assert response.headers["location"].startswith("/sign-in")


@pytest.mark.parametrize(
    ("method", "path", "route"), SERVED, ids=[f"{m} {p}" for m, p, _ in SERVED]
)
def test_every_route_refuses_or_allows_every_role_as_declared(app, client, method, path, route):
    requirement = declared_requirement(route)
    _assert_nobody_is_sent_to_sign_in(client, method, path, requirement)
    for role, make in PAGE_ROLES.items():
        account = make_account(app, make)
        token = open_session_for(app, account, role)
        response = _call(client, method, path, session_cookie(token))
        if isinstance(requirement, Public):
            assert response.status_code not in REFUSED, (role, response.status_code)
        elif requirement in ROLE_GRANTS[role]:
            assert response.status_code not in REFUSED, (role, response.status_code)
            assert not response.headers.get("location", "").startswith("/sign-in"), role
            assert denials_of(app, account) == 0, role
        else:
            assert response.status_code == HTTPStatus.FORBIDDEN, role
            assert denials_of(app, account) == 1, role


def test_a_refusal_names_what_the_role_cannot_do_and_is_audited(app, client):
    account = make_account(app, factories.practitioner)
    token = open_session_for(app, account, Role.PRACTITIONER)

    response = client.get("/test-only/audit-reports", headers=session_cookie(token))
    page = parse_html(response.text)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert text_of(page, "h1") == "You cannot use this page"
    assert "Acting as practitioner, you cannot see audit reports" in text_of(page, "main")
    assert denials_of(app, account) == 1
    with app.state.sessions() as session:
        [details] = session.scalars(
            select(AuditEventDetails.details).order_by(AuditEventDetails.sequence.desc()).limit(1)
        )
    assert json.loads(details) == {
        "permission": "audit:report:view",
        "route": "/test-only/audit-reports",
    }


def test_an_api_refusal_is_problem_details(app, client):
    account = make_account(app, factories.practitioner)
    token = open_session_for(app, account, Role.PRACTITIONER)

    response = client.get("/api/test-only/loads", headers=session_cookie(token))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["detail"].startswith("Acting as practitioner, you cannot")


def test_a_page_asked_for_without_signing_in_comes_back_after_sign_in(client):
    response = client.get("/home?tab=1", follow_redirects=False)

    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response.headers["location"] == "/sign-in?next=%2Fhome%3Ftab%3D1"


def test_an_idle_session_is_ended_and_the_sign_in_page_says_why(app, client):
    account = make_account(app, factories.practitioner)
    token = open_session_for(app, account, Role.PRACTITIONER)
    set_last_seen(app, token, NOW - dt.timedelta(minutes=31))

    response = client.get("/home", headers=session_cookie(token), follow_redirects=False)
    sign_in = client.get(response.headers["location"], headers=session_cookie(token))

    again = client.get("/home", headers=session_cookie(token), follow_redirects=False)

    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response.headers["location"] == "/sign-in?next=%2Fhome"
    notice = text_of_class(parse_html(sign_in.text), "govuk-notification-banner")
    assert "you had not done anything for 30 minutes" in notice
    assert again.status_code == HTTPStatus.SEE_OTHER  # the session stays ended
    assert events_of(app, EventType.SIGN_OUT) == 1  # ended once, for idleness


def test_a_lapsed_condition_stops_access_and_says_who_can_restore_it(app, client):
    account = make_account(app, factories.practitioner)
    token = open_session_for(app, account, Role.PRACTITIONER)
    with app.state.sessions() as session:
        user = session.get(factories.UserAccount, account.id)
        user.background_check_on = factories.LAPSED_CHECK_ON
        session.commit()

    response = client.get("/home", headers=session_cookie(token))
    page = parse_html(response.text)
    again = client.get("/home", headers=session_cookie(token), follow_redirects=False)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert text_of(page, "h1") == "Your access to ContactPoint has stopped"
    assert "background check expired on 24 November 2026" in text_of(page, "main")
    assert "council's ContactPoint team" in text_of(page, "main")
    assert again.status_code in {HTTPStatus.FORBIDDEN, HTTPStatus.SEE_OTHER}


@pytest.mark.parametrize(
    "next_path", ["https://evil.example/", "//evil.example/", "/\\evil.example", "home"]
)
def test_sign_in_never_sends_the_user_to_another_site(client, next_path):
    response = client.get("/sign-in", params={"next": next_path})

    assert "contactpoint-return-to" not in response.headers.get("set-cookie", "")
