"""API tokens in the guard: a bearer token is authenticated, scoped and decided on."""

from __future__ import annotations

import datetime as dt
import json
from http import HTTPStatus
from typing import TYPE_CHECKING

from sqlalchemy import select

from contactpoint.access.models import ApiToken, UserAccount
from contactpoint.access.permissions import Permission
from contactpoint.access.policy import Role, principal_for_operator
from contactpoint.access.tokens import issue_token_for_user, revoke_token
from contactpoint.audit.events import EventType, Outcome
from contactpoint.audit.models import AuditEventDetails, AuditEventRow

import factories
from accounts import denials_of, make_account
from factories import NOW

if TYPE_CHECKING:
    from fastapi import FastAPI

    from accounts import Account

USERS = "/api/v1/users"
OPERATOR = principal_for_operator("tester")


def issue_token(
    app: FastAPI,
    account: Account,
    *,
    scopes: tuple[Permission, ...] = (Permission.ACCESS_USER_MANAGE,),
    role: Role = Role.COUNCIL_TEAM,
    lifetime: dt.timedelta = dt.timedelta(days=30),
) -> str:
    with app.state.sessions() as session:
        user = session.get(UserAccount, account.id)
        issued = issue_token_for_user(
            session,
            by=OPERATOR,
            user=user,
            acting_role=role,
            scopes=scopes,
            now=NOW,
            lifetime=lifetime,
        )
        session.commit()
    return issued.token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_good_token_lists_the_users_its_holder_manages(app, client):
    account = make_account(app, factories.council_team)

    response = client.get(USERS, headers=bearer(issue_token(app, account)))

    assert response.status_code == HTTPStatus.OK
    assert [user["username"] for user in response.json()] == [account.username]


def test_a_revoked_token_is_refused_with_a_bearer_challenge(app, client):
    account = make_account(app, factories.council_team)
    token = issue_token(app, account)
    with app.state.sessions() as session:
        api_token = session.query(ApiToken).one()
        revoke_token(session, by=OPERATOR, api_token=api_token, now=NOW)
        session.commit()

    response = client.get(USERS, headers=bearer(token))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "The API token has been revoked."


def test_an_expired_token_is_refused(app, client, clock):
    account = make_account(app, factories.council_team)
    token = issue_token(app, account, lifetime=dt.timedelta(hours=1))
    clock.advance(dt.timedelta(hours=1))

    response = client.get(USERS, headers=bearer(token))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["detail"] == "The API token has expired."


def test_a_token_without_the_scope_is_forbidden_and_the_refusal_audited(app, client):
    account = make_account(app, factories.council_team)
    token = issue_token(app, account, scopes=(Permission.AUDIT_REPORT_VIEW,))

    response = client.get(USERS, headers=bearer(token))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.headers["content-type"] == "application/problem+json"
    assert "scopes do not include access:user:manage" in response.json()["detail"]
    assert denials_of(app, account) == 1


def test_a_token_whose_holder_lacks_the_permission_is_forbidden(app, client):
    account = make_account(app, factories.practitioner)
    token = issue_token(
        app, account, role=Role.PRACTITIONER, scopes=(Permission.DIRECTORY_CHILD_SEARCH,)
    )

    response = client.get(USERS, headers=bearer(token))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert denials_of(app, account) == 1


def test_a_suspended_users_token_stops_working_at_once(app, client):
    account = make_account(app, factories.council_team)
    token = issue_token(app, account)
    with app.state.sessions() as session:
        session.get(UserAccount, account.id).suspended_at = NOW
        session.commit()

    response = client.get(USERS, headers=bearer(token))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "suspended" in response.json()["detail"]


def test_a_request_without_a_token_is_challenged(client):
    response = client.get(USERS)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.headers["www-authenticate"] == "Bearer"


def test_an_unknown_or_malformed_token_is_refused(client):
    for header in ("Bearer cpt_not-a-token", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 500, "Bearer"):
        response = client.get(USERS, headers={"Authorization": header})

        assert response.status_code == HTTPStatus.UNAUTHORIZED, header
        assert response.headers["www-authenticate"].startswith("Bearer"), header


def test_a_bearer_request_needs_no_form_token_and_reads_no_cookie(app, client):
    account = make_account(app, factories.council_team)
    token = issue_token(app, account)
    # A cookie naming no session would end in a redirect or 401 if it were read.
    headers = {**bearer(token), "Cookie": "contactpoint-session=stale"}

    response = client.post(
        f"{USERS}/{account.id}/reinstate", headers=headers, follow_redirects=False
    )

    # Refused by the domain (nobody changes their own account), not by CSRF.
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "your own account" in response.json()["detail"]


def test_a_bearer_token_is_not_accepted_by_pages(app, client):
    account = make_account(app, factories.council_team)

    response = client.get(
        "/users", headers=bearer(issue_token(app, account)), follow_redirects=False
    )

    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response.headers["location"].startswith("/sign-in")


def test_a_lapsed_holders_token_is_refused_and_the_refusal_audited(app, client):
    account = make_account(app, factories.council_team)
    token = issue_token(app, account)
    with app.state.sessions() as session:
        session.get(UserAccount, account.id).background_check_on = factories.LAPSED_CHECK_ON
        session.commit()

    response = client.get(USERS, headers=bearer(token))

    assert response.status_code == HTTPStatus.FORBIDDEN
    with app.state.sessions() as session:
        event = session.scalars(
            select(AuditEventRow).order_by(AuditEventRow.sequence.desc()).limit(1)
        ).one()
        details = json.loads(session.get(AuditEventDetails, event.sequence).details)
    assert (event.event_type, event.outcome) == (EventType.SIGN_IN, Outcome.DENIED)
    assert event.actor_user_id == account.id
    assert details == {"method": "api_token", "failure": "access_lapsed"}
