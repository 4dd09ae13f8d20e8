"""A service's own policy check refuses: answered with a 403 and audited, never a 500."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from sqlalchemy import func, select

from contactpoint.access.permissions import Permission
from contactpoint.access.policy import Role, decide, require
from contactpoint.organisations.models import Organisation
from contactpoint.web.authorisation import Caller, requires
from contactpoint.web.dependencies import DatabaseSession

import factories
from accounts import denials_of, make_account, open_session_for, session_cookie
from web_app import build_app


def reads_then_asks_the_policy(session: DatabaseSession, principal: Caller) -> dict[str, int]:
    """Like a service that checks again: reads first, then finds the caller may not act."""
    held = session.scalar(select(func.count()).select_from(Organisation))
    require(decide(principal, Permission.ACCESS_ORGANISATION_MANAGE))
    return {"organisations": int(held or 0)}


@pytest.fixture
def app(web_settings, clock):
    app = build_app(web_settings, clock)
    may_search = [requires(Permission.DIRECTORY_CHILD_SEARCH)]
    app.add_api_route(
        "/test-only/service-check", reads_then_asks_the_policy, dependencies=may_search
    )
    app.add_api_route(
        "/api/test-only/service-check", reads_then_asks_the_policy, dependencies=may_search
    )
    return app


@pytest.mark.parametrize("path", ["/test-only/service-check", "/api/test-only/service-check"])
def test_a_refusal_from_inside_a_service_is_a_403_and_is_audited(app, client, path):
    account = make_account(app, factories.practitioner)
    token = open_session_for(app, account, Role.PRACTITIONER)
    before = denials_of(app, account)
    response = client.get(path, headers=session_cookie(token))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "add organisations" in response.text
    assert denials_of(app, account) == before + 1
