"""Re-authentication before high-risk actions: the guard sends the user to confirm who
they are, and back; the session gets a new token."""

from __future__ import annotations

import datetime as dt
import json
from http import HTTPStatus

import pytest
from sqlalchemy import select

from contactpoint.access.permissions import Permission
from contactpoint.access.policy import Role
from contactpoint.audit.events import EventType, Outcome
from contactpoint.audit.models import AuditEventDetails, AuditEventRow
from contactpoint.web.authorisation import requires

import factories
from accounts import (
    denials_of,
    events_of,
    form_token,
    make_account,
    open_session_for,
    session_cookie,
)
from browser import assert_accessible
from factories import TEST_PASSWORD
from markup import parse_html, text_of_class
from web_app import build_app

OVERRIDE_PATH = "/test-only/override"
API_OVERRIDE_PATH = "/api/test-only/override"
CONFIRM_PATH = "/reauthenticate"
WRONG_PASSWORD = "not the password"  # noqa: S105 - test data


def override_view() -> dict[str, str]:
    return {"shield": "overridden"}


@pytest.fixture
def app(web_settings, clock):
    """The test app, with a page that needs the right to override a shield."""
    app = build_app(web_settings, clock)
    needs_override = [requires(Permission.DIRECTORY_SHIELD_OVERRIDE)]
    app.add_api_route(OVERRIDE_PATH, override_view, dependencies=needs_override)
    app.add_api_route(API_OVERRIDE_PATH, override_view, dependencies=needs_override)
    return app


@pytest.fixture
def officer(app):
    return make_account(app, factories.child_protection_officer)


@pytest.fixture
def token(app, officer) -> str:
    return open_session_for(app, officer, Role.PRACTITIONER)


def _confirm(client, token: str, *, password: str = TEST_PASSWORD, code: str, next_path: str):
    page = client.get(CONFIRM_PATH, params={"next": next_path}, headers=session_cookie(token))
    fields = {"password": password, "code": code, "next": next_path}
    return client.post(
        CONFIRM_PATH,
        data={"csrf_token": form_token(page.text), **fields},
        headers=session_cookie(token),
        follow_redirects=False,
    )


def _new_token(response) -> str:
    return response.cookies["contactpoint-session"]


def test_a_high_risk_page_not_confirmed_lately_sends_the_user_to_confirm_and_back(client, token):
    response = client.get(
        f"{OVERRIDE_PATH}?child=1", headers=session_cookie(token), follow_redirects=False
    )

    assert response.status_code == HTTPStatus.SEE_OTHER
    assert (
        response.headers["location"] == "/reauthenticate?next=%2Ftest-only%2Foverride%3Fchild%3D1"
    )


def test_the_prompt_is_recorded_as_a_reauthentication_step_not_as_a_denied_access(
    app, client, officer, token
):
    client.get(f"{OVERRIDE_PATH}?child=1", headers=session_cookie(token), follow_redirects=False)

    assert denials_of(app, officer) == 0
    [(outcome, details)] = _sign_in_events(app, officer, method="reauthenticate")
    assert outcome is Outcome.DENIED
    assert details == {
        "method": "reauthenticate",
        "failure": "reauthentication_required",
        "permission": "directory:shield:override",
        "route": OVERRIDE_PATH,  # the route's template, never the query string
    }


def test_the_api_cannot_reauthenticate_so_it_refuses_and_records_a_denial(app, client, officer):
    token = open_session_for(app, officer, Role.PRACTITIONER)

    response = client.get(API_OVERRIDE_PATH, headers=session_cookie(token))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert denials_of(app, officer) == 1
    assert _sign_in_events(app, officer, method="reauthenticate") == []


def _sign_in_events(app, account, *, method: str) -> list[tuple[Outcome, dict[str, object]]]:
    query = (
        select(AuditEventRow.outcome, AuditEventDetails.details)
        .join(AuditEventDetails, AuditEventDetails.sequence == AuditEventRow.sequence)
        .where(AuditEventRow.event_type == EventType.SIGN_IN)
        .where(AuditEventRow.actor_user_id == account.id)
        .order_by(AuditEventRow.sequence)
    )
    with app.state.sessions() as session:
        found = [(outcome, json.loads(details)) for outcome, details in session.execute(query)]
    return [(outcome, details) for outcome, details in found if details["method"] == method]


def test_too_many_wrong_attempts_say_how_many_minutes_to_wait(app, client, clock, officer, token):
    for _ in range(5):  # five failures lock the account name for 15 minutes
        _confirm(client, token, code="000000", next_path=OVERRIDE_PATH)
        clock.advance(dt.timedelta(minutes=1))

    throttled = _confirm(client, token, code=officer.code(clock.now), next_path=OVERRIDE_PATH)

    assert throttled.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert throttled.headers["retry-after"] == str(14 * 60)
    summary = text_of_class(parse_html(throttled.text), "govuk-error-summary")
    assert "Too many attempts: try again in 14 minutes." in summary
    assert "contactpoint-session" not in throttled.cookies
    [(outcome, details)] = _sign_in_events(app, officer, method="reauthenticate_totp")[-1:]
    assert (outcome, details["failure"]) == (Outcome.DENIED, "throttled")


def test_confirming_with_password_and_code_rotates_the_session_and_allows_the_page(
    app, client, officer, token
):
    confirmed = _confirm(client, token, code=officer.code(), next_path=OVERRIDE_PATH)
    rotated = _new_token(confirmed)

    allowed = client.get(OVERRIDE_PATH, headers=session_cookie(rotated))
    old = client.get("/home", headers=session_cookie(token), follow_redirects=False)

    assert confirmed.status_code == HTTPStatus.SEE_OTHER
    assert confirmed.headers["location"] == OVERRIDE_PATH
    assert rotated != token
    assert allowed.status_code == HTTPStatus.OK
    assert allowed.json() == {"shield": "overridden"}
    assert old.status_code == HTTPStatus.SEE_OTHER  # the old token no longer works
    assert old.headers["location"].startswith("/sign-in")
    assert events_of(app, EventType.SIGN_IN) == 2  # the sign-in, and the re-authentication
    [(outcome, _details)] = _sign_in_events(app, officer, method="reauthenticate_totp")
    assert outcome is Outcome.SUCCESS


def test_a_wrong_code_shows_the_error_summary_and_the_page_stays_refused(client, officer, token):
    refused = _confirm(client, token, code="000000", next_path=OVERRIDE_PATH)

    again = client.get(OVERRIDE_PATH, headers=session_cookie(token), follow_redirects=False)

    assert refused.status_code == HTTPStatus.BAD_REQUEST
    summary = text_of_class(parse_html(refused.text), "govuk-error-summary")
    assert "password or code is not right" in summary
    assert "contactpoint-session" not in refused.cookies
    assert again.headers["location"].startswith(CONFIRM_PATH)


def test_a_wrong_password_is_refused_like_a_wrong_code(client, officer, token):
    refused = _confirm(
        client, token, password=WRONG_PASSWORD, code=officer.code(), next_path="/home"
    )

    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "password or code is not right" in refused.text


def test_empty_fields_are_named_in_the_error_summary(client, token):
    refused = _confirm(client, token, password="", code="", next_path="/home")

    summary = text_of_class(parse_html(refused.text), "govuk-error-summary")
    assert "Enter your password" in summary
    assert "Enter the 6-digit code" in summary


def test_confirming_never_sends_the_user_to_another_site(client, officer, token):
    confirmed = _confirm(client, token, code=officer.code(), next_path="https://evil.example/")

    assert confirmed.headers["location"] == "/home"


def test_a_confirmation_lasts_five_minutes(client, clock, officer, token):
    rotated = _new_token(_confirm(client, token, code=officer.code(), next_path=OVERRIDE_PATH))
    clock.advance(dt.timedelta(minutes=6))

    response = client.get(OVERRIDE_PATH, headers=session_cookie(rotated), follow_redirects=False)

    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response.headers["location"].startswith(CONFIRM_PATH)


def test_a_user_without_the_right_is_refused_not_asked_to_confirm(app, client):
    practitioner = make_account(app, factories.practitioner)
    token = open_session_for(app, practitioner, Role.PRACTITIONER)

    response = client.get(OVERRIDE_PATH, headers=session_cookie(token), follow_redirects=False)

    assert response.status_code == HTTPStatus.FORBIDDEN


@pytest.mark.browser
def test_the_confirm_page_is_accessible_with_and_without_errors(
    app, token, live_server, browser_page
):
    page = browser_page
    page.context.add_cookies([{"name": "contactpoint-session", "value": token, "url": live_server}])

    page.goto(f"{live_server}{OVERRIDE_PATH}")
    page.wait_for_url(f"{live_server}/reauthenticate?next=%2Ftest-only%2Foverride")
    assert_accessible(page)
    page.get_by_label("Password").fill(WRONG_PASSWORD)
    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Continue").click()
    assert "There is a problem" in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page)
