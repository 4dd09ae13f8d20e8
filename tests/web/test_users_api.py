"""The user management API: council-scoped, JSON in and out, problems named by field."""

from __future__ import annotations

from http import HTTPStatus

import httpx
import pytest
from test_api_tokens import bearer, issue_token

from contactpoint.access.models import UserAccount
from contactpoint.access.permissions import Permission
from contactpoint.access.policy import Role
from contactpoint.access.users import MAX_DISPLAY_NAME

import factories
from accounts import Account, denials_of, open_session_for, session_cookie

USERS = "/api/v1/users"


def _team_with_colleague(app):
    """A council team member, a practitioner in its council, and one in another council."""
    with app.state.sessions() as session:
        council = factories.council(session)
        team = factories.council_team(session, of=council)
        in_council = factories.accredited_organisation(session, in_council=council)
        ours = factories.practitioner(session, organisation_of=in_council)
        theirs = factories.practitioner(session)
        session.commit()
        return Account(app, team), ours.id, theirs.id, in_council.id


def test_the_list_holds_only_the_users_of_the_callers_council(app, client):
    team, ours, theirs, _ = _team_with_colleague(app)

    response = client.get(USERS, headers=bearer(issue_token(app, team)))

    ids = {user["id"] for user in response.json()}
    assert ids == {team.id, ours}
    assert theirs not in ids


def test_a_user_outside_the_council_is_not_found_nor_changed(app, client):
    team, _, theirs, _ = _team_with_colleague(app)
    headers = bearer(issue_token(app, team))

    seen = client.get(f"{USERS}/{theirs}", headers=headers)
    suspended = client.post(
        f"{USERS}/{theirs}/suspend", json={"reason": "misuse_suspected"}, headers=headers
    )

    assert seen.status_code == suspended.status_code == HTTPStatus.NOT_FOUND
    with app.state.sessions() as session:
        assert session.get(UserAccount, theirs).suspended_at is None


def test_creating_a_user_returns_it_with_a_first_sign_in_link_once(app, client):
    team, _, _, organisation_id = _team_with_colleague(app)
    new_user = {
        "username": "Ada.Lovelace",
        "display_name": "Ada Lovelace",
        "organisation_id": organisation_id,
        "roles": ["practitioner"],
        "vetting": {"training_completed_on": "2026-10-01"},
    }

    response = client.post(USERS, json=new_user, headers=bearer(issue_token(app, team)))

    assert response.status_code == HTTPStatus.CREATED, response.text
    created = response.json()
    assert created["user"]["username"] == "ada.lovelace"
    assert created["user"]["roles"] == ["practitioner"]
    assert created["user"]["training_completed_on"] == "2026-10-01"
    assert "background_check" in created["user"]["lapsed_conditions"]
    assert created["first_sign_in_link"]["purpose"] == "first_sign_in"
    assert "/account/links/" in created["first_sign_in_link"]["link"]
    again = client.get(f"{USERS}/{created['user']['id']}", headers=bearer(issue_token(app, team)))
    assert "link" not in again.text


def test_bad_input_names_each_field_and_never_echoes_it(app, client):
    team, _, theirs, _ = _team_with_colleague(app)
    with app.state.sessions() as session:
        other_organisation = session.get(UserAccount, theirs).organisation_id
    new_user = {
        "username": "a secret password!",
        "display_name": "Ada",
        "organisation_id": other_organisation,
        "roles": ["national_administrator"],
    }

    response = client.post(USERS, json=new_user, headers=bearer(issue_token(app, team)))

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    fields = {tuple(error["location"]) for error in response.json()["errors"]}
    assert fields == {("body", "username"), ("body", "organisation_id")}
    assert "a secret password" not in response.text


def test_malformed_json_and_unknown_fields_are_422_not_500(app, client):
    team, _, _, _ = _team_with_colleague(app)
    headers = {**bearer(issue_token(app, team)), "Content-Type": "application/json"}

    broken = client.post(USERS, content=b"{not json", headers=headers)
    extra = client.post(
        USERS,
        json={
            "username": "x",
            "display_name": "X",
            "organisation_id": 1,
            "roles": [],
            "password": "p",
        },
        headers=headers,
    )
    wrong_role = client.post(f"{USERS}/1/suspend", json={"reason": "bored"}, headers=headers)

    assert broken.status_code == extra.status_code == wrong_role.status_code == 422
    assert {tuple(e["location"]) for e in extra.json()["errors"]} >= {("body", "password")}


def test_suspending_reinstating_and_recording_vetting(app, client):
    team, ours, _, _ = _team_with_colleague(app)
    headers = bearer(issue_token(app, team))

    suspended = client.post(
        f"{USERS}/{ours}/suspend", json={"reason": "long_absence"}, headers=headers
    )
    reinstated = client.post(f"{USERS}/{ours}/reinstate", headers=headers)
    vetted = client.post(
        f"{USERS}/{ours}/vetting", json={"background_check_on": "2026-11-01"}, headers=headers
    )
    future = client.post(
        f"{USERS}/{ours}/vetting", json={"training_completed_on": "2027-01-01"}, headers=headers
    )
    empty = client.post(f"{USERS}/{ours}/vetting", json={}, headers=headers)

    assert suspended.json()["suspended"] is True
    assert suspended.json()["suspended_reason"] == "Long absence"
    assert "account_active" in suspended.json()["lapsed_conditions"]
    assert reinstated.json()["suspended"] is False
    assert vetted.json()["background_check_on"] == "2026-11-01"
    assert future.status_code == empty.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert future.json()["errors"][0]["location"] == ["body", "training_completed_on"]


def test_a_reset_link_is_issued_for_a_password_or_second_factor(app, client):
    team, ours, _, _ = _team_with_colleague(app)
    headers = bearer(issue_token(app, team))

    password = client.post(
        f"{USERS}/{ours}/reset-links", json={"purpose": "password"}, headers=headers
    )
    factor = client.post(
        f"{USERS}/{ours}/reset-links", json={"purpose": "second-factor"}, headers=headers
    )

    assert password.status_code == factor.status_code == HTTPStatus.CREATED
    assert password.json()["purpose"] == "password_reset"
    assert factor.json()["purpose"] == "second_factor_reset"
    assert password.json()["expires_at"].startswith("2026-11-26T10:00")


def test_the_api_works_over_real_http(app, live_server):
    team, ours, _, _ = _team_with_colleague(app)
    headers = bearer(issue_token(app, team))

    with httpx.Client(base_url=live_server) as http:
        listed = http.get(USERS, headers=headers)
        suspended = http.post(
            f"{USERS}/{ours}/suspend", json={"reason": "left_organisation"}, headers=headers
        )

    assert listed.status_code == HTTPStatus.OK
    assert len(listed.json()) == 2
    assert suspended.json()["suspended"] is True


def _roles(app, user_id: int) -> set[Role]:
    with app.state.sessions() as session:
        return set(session.get(UserAccount, user_id).roles)


def test_renaming_granting_and_withdrawing_a_role(app, client):
    team, ours, _, _ = _team_with_colleague(app)
    headers = bearer(issue_token(app, team))

    renamed = client.request(
        "PATCH", f"{USERS}/{ours}", json={"display_name": "Mary Seacole"}, headers=headers
    )
    granted = client.post(f"{USERS}/{ours}/roles", json={"role": "auditor"}, headers=headers)
    withdrawn = client.request("DELETE", f"{USERS}/{ours}/roles/practitioner", headers=headers)

    assert renamed.status_code == HTTPStatus.OK, renamed.text
    assert renamed.json()["display_name"] == "Mary Seacole"
    assert granted.json()["roles"] == ["auditor", "practitioner"]
    assert withdrawn.json()["roles"] == ["auditor"]
    assert _roles(app, ours) == {Role.AUDITOR}


def test_granting_a_role_beyond_the_teams_reach_is_403_and_audited(app, client):
    team, ours, theirs, _ = _team_with_colleague(app)
    headers = bearer(issue_token(app, team))

    national = client.post(
        f"{USERS}/{ours}/roles", json={"role": "national_administrator"}, headers=headers
    )
    elsewhere = client.post(f"{USERS}/{theirs}/roles", json={"role": "auditor"}, headers=headers)

    assert national.status_code == HTTPStatus.FORBIDDEN
    assert "Only national administrators" in national.json()["detail"]
    assert denials_of(app, team) == 1
    assert elsewhere.status_code == HTTPStatus.NOT_FOUND
    assert _roles(app, ours) == _roles(app, theirs) == {Role.PRACTITIONER}


def test_withdrawing_a_role_stops_its_token_and_session_at_once(app, client):
    team, ours, _, _ = _team_with_colleague(app)
    headers = bearer(issue_token(app, team))
    client.post(f"{USERS}/{ours}/roles", json={"role": "auditor"}, headers=headers)
    with app.state.sessions() as session:
        auditor = Account(app, session.get(UserAccount, ours))
    token = issue_token(app, auditor, scopes=(Permission.AUDIT_REPORT_VIEW,), role=Role.AUDITOR)
    cookie = session_cookie(open_session_for(app, auditor, Role.AUDITOR))
    before = client.get("/api/v1/audit/overrides", headers=bearer(token))

    withdrawn = client.request("DELETE", f"{USERS}/{ours}/roles/auditor", headers=headers)
    by_token = client.get("/api/v1/audit/overrides", headers=bearer(token))
    by_session = client.get("/audit", headers=cookie, follow_redirects=False)
    client.post(f"{USERS}/{ours}/roles", json={"role": "auditor"}, headers=headers)
    after_regrant = client.get("/api/v1/audit/overrides", headers=bearer(token))

    assert before.status_code == HTTPStatus.OK, before.text
    assert withdrawn.status_code == HTTPStatus.OK
    assert by_token.status_code == HTTPStatus.UNAUTHORIZED
    assert by_session.status_code == HTTPStatus.SEE_OTHER
    assert by_session.headers["location"].startswith("/sign-in")
    assert after_regrant.status_code == HTTPStatus.UNAUTHORIZED  # revoked, never revived


@pytest.mark.parametrize(
    "case",
    [
        ("post", "/roles", {"role": "emperor"}, ["body", "role"], None),
        ("patch", "", {"display_name": ""}, ["body", "display_name"], "Enter the user's name"),
        (
            "patch",
            "",
            {"display_name": "x" * (MAX_DISPLAY_NAME + 1)},
            ["body", "display_name"],
            f"{MAX_DISPLAY_NAME} characters or fewer",
        ),
        ("delete", "/roles/practitioner", None, ["path", "role"], "at least one role"),
        ("delete", "/roles/emperor", None, ["path", "role"], None),
        ("delete", "/roles/auditor", None, ["path", "role"], "does not have that role"),
    ],
)
def test_bad_input_is_422_against_its_field_never_500(app, client, case):
    method, path, body, location, message = case
    team, ours, _, _ = _team_with_colleague(app)

    response = client.request(
        method, f"{USERS}/{ours}{path}", json=body, headers=bearer(issue_token(app, team))
    )

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY, response.text
    [error] = response.json()["errors"]
    assert error["location"] == location
    assert message is None or message in error["message"]
    assert _roles(app, ours) == {Role.PRACTITIONER}
    with app.state.sessions() as session:
        assert session.get(UserAccount, ours).display_name == "Test User"
