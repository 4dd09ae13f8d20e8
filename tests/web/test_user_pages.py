"""The user management pages: a council's team manages its own council's users only."""

from __future__ import annotations

from http import HTTPStatus

from contactpoint.access.models import UserAccount
from contactpoint.access.policy import Role

import factories
from accounts import Account, form_token, open_session_for, session_cookie
from markup import parse_html, text_of, text_of_class


def _team_and_users(app, **states):
    """A signed-in council team member, a practitioner of its council, one of another."""
    with app.state.sessions() as session:
        council = factories.council(session)
        team = factories.council_team(session, of=council)
        in_council = factories.accredited_organisation(session, in_council=council)
        ours = factories.practitioner(session, organisation_of=in_council, **states)
        theirs = factories.practitioner(session)
        session.commit()
        team_account, ours_account = Account(app, team), Account(app, ours)
        ids = ours.id, theirs.id, in_council.id
    cookie = session_cookie(open_session_for(app, team_account, Role.COUNCIL_TEAM))
    return cookie, ours_account, *ids


def _post(client, cookie, page: str, action: str, fields: dict[str, str | list[str]]):
    token = form_token(client.get(page, headers=cookie).text)
    return client.post(
        action, data={"csrf_token": token, **fields}, headers=cookie, follow_redirects=False
    )


def _user(app, user_id: int) -> UserAccount:
    with app.state.sessions() as session:
        user = session.get(UserAccount, user_id)
        session.expunge(user)
        return user


def test_the_list_shows_the_councils_users_with_their_conditions_of_access(app, client):
    cookie, ours, _, theirs, _ = _team_and_users(app, lapsed_check=True)

    response = client.get("/users", headers=cookie)
    page = response.text

    assert response.status_code == HTTPStatus.OK
    assert f'href="/users/{ours.id}"' in page
    assert f'href="/users/{theirs}"' not in page
    assert "Background check expired" in text_of(parse_html(page), "table")


def test_a_user_of_another_council_cannot_be_seen_or_changed(app, client):
    cookie, ours, _, theirs, _ = _team_and_users(app)

    seen = client.get(f"/users/{theirs}", headers=cookie)
    page = f"/users/{ours.id}"  # a form token from a page the team may see
    suspended = _post(client, cookie, page, f"/users/{theirs}/suspend", {"reason": "long_absence"})
    reset = _post(client, cookie, page, f"/users/{theirs}/reset/password", {})

    assert seen.status_code == suspended.status_code == reset.status_code == HTTPStatus.NOT_FOUND
    assert _user(app, theirs).suspended_at is None


def test_creating_a_user_shows_the_first_sign_in_link_once(app, client):
    cookie, _, _, _, organisation_id = _team_and_users(app)
    fields = {
        "username": "grace.hopper",
        "display_name": "Grace Hopper",
        "organisation_id": str(organisation_id),
        "roles": ["practitioner"],
        "training_completed_on-day": "1",
        "training_completed_on-month": "10",
        "training_completed_on-year": "2026",
    }

    response = _post(client, cookie, "/users/new", "/users/new", fields)

    assert response.status_code == HTTPStatus.OK
    link = text_of_class(parse_html(response.text), "app-one-time-link")
    assert link.startswith("http://localhost:8000/account/links/")
    with app.state.sessions() as session:
        created = session.query(UserAccount).filter_by(username="grace.hopper").one()
        assert created.roles == {Role.PRACTITIONER}
        assert str(created.training_completed_on) == "2026-10-01"
    assert link not in client.get(f"/users/{created.id}", headers=cookie).text


def test_bad_input_gets_an_error_summary_linking_to_each_field(app, client):
    cookie, *_ = _team_and_users(app)
    fields = {
        "username": "x",
        "display_name": "",
        "organisation_id": "999999",
        "background_check_on-day": "31",
        "background_check_on-month": "2",
        "background_check_on-year": "2026",
    }

    response = _post(client, cookie, "/users/new", "/users/new", fields)
    summary = parse_html(response.text).find(".//div[@data-module='govuk-error-summary']")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert text_of(parse_html(response.text), "title").startswith("Error: ")
    links = {a.get("href") for a in summary.iter("a")}
    assert links == {"#username", "#display_name", "#organisation_id", "#background_check_on-day"}


def test_roles_the_team_may_not_grant_are_not_offered_and_are_refused(app, client):
    cookie, _, _, _, organisation_id = _team_and_users(app)
    fields = {
        "username": "ada",
        "display_name": "Ada",
        "organisation_id": str(organisation_id),
        "roles": ["national_administrator"],
    }

    form = client.get("/users/new", headers=cookie).text
    response = _post(client, cookie, "/users/new", "/users/new", fields)

    assert 'value="national_administrator"' not in form
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert 'href="#roles"' in response.text


def test_suspending_ends_the_users_sessions_at_once_and_reinstating_restores_access(app, client):
    cookie, ours, ours_id, _, _ = _team_and_users(app)
    their_session = session_cookie(open_session_for(app, ours, Role.PRACTITIONER))
    page = f"/users/{ours_id}"

    suspended = _post(client, cookie, page, f"{page}/suspend", {"reason": "misuse_suspected"})
    refused = client.get("/home", headers=their_session, follow_redirects=False)
    shown = client.get(page, headers=cookie).text
    reinstated = _post(client, cookie, page, f"{page}/reinstate", {})

    assert suspended.status_code == HTTPStatus.SEE_OTHER
    assert refused.status_code in {HTTPStatus.SEE_OTHER, HTTPStatus.FORBIDDEN}
    assert "/home" not in refused.headers.get("location", "")
    assert "Misuse suspected" in shown
    assert reinstated.status_code == HTTPStatus.SEE_OTHER
    assert _user(app, ours_id).suspended_at is None


def test_suspending_without_a_reason_is_answered_on_the_page(app, client):
    cookie, _, ours_id, _, _ = _team_and_users(app)
    page = f"/users/{ours_id}"

    response = _post(client, cookie, page, f"{page}/suspend", {})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert 'href="#reason"' in response.text
    assert _user(app, ours_id).suspended_at is None


def test_vetting_dates_are_recorded_and_bad_ones_refused(app, client):
    cookie, _, ours_id, _, _ = _team_and_users(app)
    page = f"/users/{ours_id}"
    day = {"employer_authorised_on-day": "2", "employer_authorised_on-month": "11"}

    recorded = _post(
        client, cookie, page, f"{page}/vetting", {**day, "employer_authorised_on-year": "2026"}
    )
    future = _post(
        client, cookie, page, f"{page}/vetting", {**day, "employer_authorised_on-year": "2030"}
    )
    empty = _post(client, cookie, page, f"{page}/vetting", {})

    assert recorded.status_code == HTTPStatus.SEE_OTHER
    assert str(_user(app, ours_id).employer_authorised_on) == "2026-11-02"
    assert future.status_code == empty.status_code == HTTPStatus.BAD_REQUEST
    assert 'href="#employer_authorised_on-day"' in future.text


def test_a_reset_link_is_shown_once_for_a_password_or_second_factor(app, client):
    cookie, _, ours_id, _, _ = _team_and_users(app)
    page = f"/users/{ours_id}"

    password = _post(client, cookie, page, f"{page}/reset/password", {})
    factor = _post(client, cookie, page, f"{page}/reset/second-factor", {})
    unknown = _post(client, cookie, page, f"{page}/reset/everything", {})

    assert "Password reset link" in password.text
    assert "Second factor reset link" in factor.text
    assert "/account/links/" in text_of_class(parse_html(factor.text), "app-one-time-link")
    assert unknown.status_code == HTTPStatus.NOT_FOUND


def test_a_post_without_its_form_token_is_refused(app, client):
    cookie, _, ours_id, _, _ = _team_and_users(app)

    response = client.post(
        f"/users/{ours_id}/suspend", data={"reason": "long_absence"}, headers=cookie
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert _user(app, ours_id).suspended_at is None


def test_the_team_cannot_suspend_itself(app, client):
    with app.state.sessions() as session:
        team = factories.council_team(session)
        session.commit()
        account = Account(app, team)
    cookie = session_cookie(open_session_for(app, account, Role.COUNCIL_TEAM))
    page = f"/users/{account.id}"

    response = _post(client, cookie, page, f"{page}/suspend", {"reason": "long_absence"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "your own account" in text_of(parse_html(response.text), "main")
