"""The user management API: council-scoped, JSON in and out, problems named by field."""

from __future__ import annotations

from http import HTTPStatus

import httpx
from test_api_tokens import bearer, issue_token

from contactpoint.access.models import UserAccount

import factories
from accounts import Account

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
