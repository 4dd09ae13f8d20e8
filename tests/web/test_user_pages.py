"""The user management pages: a council's team manages its own council's users only."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from contactpoint.access.credentials import digest
from contactpoint.access.models import UserAccount, UserSession
from contactpoint.access.policy import Role
from contactpoint.access.users import MAX_DISPLAY_NAME

import factories
from accounts import Account, denials_of, form_token, open_session_for, session_cookie
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


def _signed_in_account(app, cookie: dict[str, str]) -> Account:
    """The account whose session the cookie holds."""
    token = cookie["Cookie"].partition("=")[2]
    with app.state.sessions() as session:
        return Account(app, session.get(UserSession, digest(token)).user)


def _roles(app, user_id: int) -> set[Role]:
    with app.state.sessions() as session:
        return set(session.get(UserAccount, user_id).roles)


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
    assert links == {
        "#username",
        "#display_name",
        "#organisation_id",
        "#roles",
        "#background_check_on-day",
    }


def test_roles_the_team_may_not_grant_are_not_offered_and_are_refused(app, client):
    cookie, _, _, _, organisation_id = _team_and_users(app)
    team = _signed_in_account(app, cookie)
    fields = {
        "username": "ada",
        "display_name": "Ada",
        "organisation_id": str(organisation_id),
        "roles": ["national_administrator"],
    }

    form = client.get("/users/new", headers=cookie).text
    response = _post(client, cookie, "/users/new", "/users/new", fields)

    assert 'value="national_administrator"' not in form
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "Only national administrators" in text_of(parse_html(response.text), "main")
    assert denials_of(app, team) == 1
    with app.state.sessions() as session:
        assert session.query(UserAccount).filter_by(username="ada").one_or_none() is None


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

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "your own account" in text_of(parse_html(response.text), "main")
    assert denials_of(app, account) == 1
    assert _user(app, account.id).suspended_at is None


def _errors_of(response) -> set[str]:
    summary = parse_html(response.text).find(".//div[@data-module='govuk-error-summary']")
    return {a.get("href") for a in summary.iter("a")}


def test_granting_a_role_on_the_page_lets_the_user_act_in_it(app, client):
    cookie, _, ours_id, _, _ = _team_and_users(app)
    page = f"/users/{ours_id}"

    offered = parse_html(client.get(page, headers=cookie).text)
    granted = _post(client, cookie, page, f"{page}/roles/grant", {"role": "auditor"})

    assert offered.find(".//input[@name='role'][@value='auditor']") is not None
    assert offered.find(".//input[@name='role'][@value='national_administrator']") is None
    assert granted.status_code == HTTPStatus.SEE_OTHER
    assert _roles(app, ours_id) == {Role.PRACTITIONER, Role.AUDITOR}
    assert "Auditor" in text_of_class(
        parse_html(client.get(page, headers=cookie).text), "govuk-summary-list"
    )


def test_granting_a_role_beyond_the_teams_reach_is_refused_and_audited(app, client):
    cookie, _, ours_id, _, _ = _team_and_users(app)
    team = _signed_in_account(app, cookie)
    page = f"/users/{ours_id}"

    response = _post(
        client, cookie, page, f"{page}/roles/grant", {"role": "national_administrator"}
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "Only national administrators" in text_of(parse_html(response.text), "main")
    assert denials_of(app, team) == 1
    assert _roles(app, ours_id) == {Role.PRACTITIONER}


def test_withdrawing_a_role_on_the_page_signs_out_its_session_at_once(app, client):
    cookie, ours, ours_id, _, _ = _team_and_users(app)
    page = f"/users/{ours_id}"
    _post(client, cookie, page, f"{page}/roles/grant", {"role": "auditor"})
    as_auditor = session_cookie(open_session_for(app, ours, Role.AUDITOR))
    as_practitioner = session_cookie(open_session_for(app, ours, Role.PRACTITIONER))
    before = client.get("/home", headers=as_auditor, follow_redirects=False)

    withdrawn = _post(client, cookie, page, f"{page}/roles/withdraw", {"role": "auditor"})
    refused = client.get("/home", headers=as_auditor, follow_redirects=False)
    still = client.get("/home", headers=as_practitioner, follow_redirects=False)

    assert before.status_code == HTTPStatus.OK
    assert withdrawn.status_code == HTTPStatus.SEE_OTHER
    assert refused.status_code == HTTPStatus.SEE_OTHER
    assert refused.headers["location"].startswith("/sign-in")
    assert still.status_code == HTTPStatus.OK
    assert _roles(app, ours_id) == {Role.PRACTITIONER}


def test_the_page_says_a_user_keeps_at_least_one_role_and_refuses_the_last(app, client):
    cookie, _, ours_id, _, _ = _team_and_users(app)
    page = f"/users/{ours_id}"

    shown = text_of(parse_html(client.get(page, headers=cookie).text), "main")
    response = _post(client, cookie, page, f"{page}/roles/withdraw", {"role": "practitioner"})

    assert "must keep at least one role" in shown
    assert "suspend the account instead" in shown
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert _errors_of(response) == {"#withdraw-role"}
    assert _roles(app, ours_id) == {Role.PRACTITIONER}


def test_changing_a_users_name_on_the_page(app, client):
    cookie, _, ours_id, _, _ = _team_and_users(app)
    page = f"/users/{ours_id}"

    response = _post(client, cookie, page, f"{page}/name", {"display_name": " Mary Seacole "})

    assert response.status_code == HTTPStatus.SEE_OTHER
    assert _user(app, ours_id).display_name == "Mary Seacole"
    assert text_of(parse_html(client.get(page, headers=cookie).text), "h1") == "Mary Seacole"


@pytest.mark.parametrize(
    "case",
    [
        ("roles/grant", {"role": "emperor"}, "#grant-role", "Choose a role from the list"),
        ("roles/grant", {}, "#grant-role", "Choose a role from the list"),
        ("roles/withdraw", {"role": "emperor"}, "#withdraw-role", "Choose a role"),
        ("name", {"display_name": "  "}, "#display_name", "Enter the user's name"),
        (
            "name",
            {"display_name": "x" * (MAX_DISPLAY_NAME + 1)},
            "#display_name",
            f"{MAX_DISPLAY_NAME} characters or fewer",
        ),
    ],
)
def test_bad_input_is_answered_against_its_field_never_500(app, client, case):
    action, fields, field_id, message = case
    cookie, _, ours_id, _, _ = _team_and_users(app)
    page = f"/users/{ours_id}"

    response = _post(client, cookie, page, f"{page}/{action}", fields)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert text_of(parse_html(response.text), "title").startswith("Error: ")
    assert _errors_of(response) == {field_id}
    assert message in text_of_class(parse_html(response.text), "govuk-error-summary")
    assert _user(app, ours_id).display_name == "Test User"
    assert _roles(app, ours_id) == {Role.PRACTITIONER}
