"""Signing in through the pages: password, code, role; signing out; one-time links."""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus

import pyotp
import pytest

from contactpoint.access.models import LinkPurpose
from contactpoint.access.policy import Role
from contactpoint.access.sign_in import WRONG_CODE, WRONG_PASSWORD
from contactpoint.audit.events import EventType
from contactpoint.settings import Mode
from contactpoint.web.app import create_app

import factories
from accounts import (
    events_of,
    form_token,
    issue_link,
    make_account,
    post_form,
    sign_in_through_pages,
)
from factories import NOW
from markup import parse_html, text_of, text_of_class

SVG = "{http://www.w3.org/2000/svg}"
NOT_THE_PASSWORD = "not the password"  # noqa: S105 - test data
TOO_SHORT = "short"
NEW_PASSWORD = "a fine long password"  # noqa: S105 - test data


def _problem(response) -> str:
    return text_of_class(parse_html(response.text), "govuk-error-summary__list")


def test_a_practitioner_signs_in_with_password_and_code_and_signs_out(app, client):
    account = make_account(app, factories.practitioner)

    signed_in = sign_in_through_pages(client, account)
    home = client.get("/home")
    signed_out = post_form(client, "/home", "/sign-out")
    after = client.get("/home", follow_redirects=False)

    assert signed_in.status_code == HTTPStatus.SEE_OTHER
    assert signed_in.headers["location"] == "/home"
    assert home.status_code == HTTPStatus.OK
    assert account.username in text_of(parse_html(home.text), "main")
    assert "acting as practitioner" in home.text
    assert "Search for a child" in home.text
    assert signed_out.headers["location"] == "/signed-out"
    assert after.headers["location"].startswith("/sign-in")
    assert events_of(app, EventType.SIGN_OUT) == 1


def test_the_session_cookie_is_new_at_sign_in_and_kept_from_scripts(app, client):
    account = make_account(app, factories.practitioner)
    password = factories.TEST_PASSWORD
    post_form(client, "/sign-in", "/sign-in", username=account.username, password=password)
    pending = client.cookies.get("contactpoint-sign-in")

    response = post_form(client, "/sign-in/code", "/sign-in/code", code=account.code())
    cookies = response.headers.get_list("set-cookie")
    [session_cookie] = [c for c in cookies if c.startswith("contactpoint-session=")]

    assert pending
    assert f"contactpoint-session={pending};" not in session_cookie
    for attribute in ("HttpOnly", "Path=/", "SameSite=lax"):
        assert attribute in session_cookie
    assert any(c.startswith('contactpoint-sign-in=""') for c in cookies)  # discarded


def test_cookies_are_secure_with_the_host_prefix_in_production(client_for, web_settings):
    production = client_for(create_app(web_settings.model_copy(update={"mode": Mode.PRODUCTION})))

    cookie = production.get("/sign-in").headers["set-cookie"]

    assert cookie.startswith("__Host-contactpoint-form=")
    assert "Secure" in cookie
    assert "Path=/" in cookie


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(app, client):
    account = make_account(app, factories.practitioner)

    wrong = post_form(
        client, "/sign-in", "/sign-in", username=account.username, password=NOT_THE_PASSWORD
    )
    unknown = post_form(
        client, "/sign-in", "/sign-in", username="nobody-here", password=NOT_THE_PASSWORD
    )

    assert wrong.status_code == unknown.status_code == HTTPStatus.BAD_REQUEST
    assert _problem(wrong) == _problem(unknown) == WRONG_PASSWORD
    assert text_of(parse_html(wrong.text), "title").startswith("Error: ")
    assert events_of(app, EventType.SIGN_IN) == 2  # both attempts committed to the trail


@pytest.mark.parametrize("known", [True, False], ids=["known-user", "unknown-user"])
def test_too_many_attempts_say_how_long_to_wait_and_nothing_about_the_account(
    app, client, clock, known
):
    username = make_account(app, factories.practitioner).username if known else "no-such-user"
    for _attempt in range(5):
        post_form(client, "/sign-in", "/sign-in", username=username, password=NOT_THE_PASSWORD)
        clock.advance(dt.timedelta(minutes=1))

    response = post_form(
        client, "/sign-in", "/sign-in", username=username, password=NOT_THE_PASSWORD
    )

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert _problem(response) == (
        "There have been too many attempts to sign in. Wait 14 minutes, then try again."
    )


def test_a_missing_username_and_password_are_each_asked_for(client):
    response = post_form(client, "/sign-in", "/sign-in", username=" ", password="")
    page = parse_html(response.text)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert _problem(response) == "Enter your username Enter your password"
    assert page.find(".//a[@href='#username']") is not None
    assert page.find(".//input[@id='password'][@aria-describedby='password-error']") is not None


def test_a_wrong_code_is_refused_with_a_clear_message(app, client):
    account = make_account(app, factories.practitioner)

    response = sign_in_through_pages(client, account, code="000000")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert _problem(response) == WRONG_CODE


def test_a_code_cannot_be_used_twice(app, client):
    account = make_account(app, factories.practitioner)
    sign_in_through_pages(client, account)
    post_form(client, "/home", "/sign-out")

    again = sign_in_through_pages(client, account)

    assert again.status_code == HTTPStatus.BAD_REQUEST
    assert _problem(again) == WRONG_CODE


def test_a_user_with_several_roles_chooses_one(app, client):
    roles = (Role.PRACTITIONER, Role.AUDITOR)
    account = make_account(app, factories.user_account, roles=roles)

    to_roles = sign_in_through_pages(client, account)
    choice = client.get("/sign-in/role")
    unchosen = post_form(client, "/sign-in/role", "/sign-in/role")
    chosen = post_form(client, "/sign-in/role", "/sign-in/role", role="auditor")

    assert to_roles.headers["location"] == "/sign-in/role"
    radios = parse_html(choice.text).iterfind(".//input[@type='radio']")
    assert {radio.get("value") for radio in radios} == {"auditor", "practitioner"}
    assert _problem(unchosen) == "Choose the role you are working in today"
    assert chosen.headers["location"] == "/home"
    assert "acting as auditor" in client.get("/home").text


def test_signing_in_goes_back_to_the_page_first_asked_for(app, client):
    account = make_account(app, factories.practitioner)
    client.get("/sign-in", params={"next": "/home?from=start"})

    assert sign_in_through_pages(client, account).headers["location"] == "/home?from=start"


def test_a_user_whose_access_has_lapsed_cannot_sign_in_and_is_told_why(app, client):
    account = make_account(app, factories.lapsed_check)

    response = sign_in_through_pages(client, account)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "background check expired" in text_of(parse_html(response.text), "main")


def test_a_first_sign_in_link_sets_a_password_then_an_authenticator_app(app, client):
    account = make_account(app, factories.practitioner, with_totp=False)
    link = issue_link(app, account, LinkPurpose.FIRST_SIGN_IN)

    weak = post_form(client, link, link, password=TOO_SHORT, confirmation=TOO_SHORT)
    differ = post_form(client, link, link, password=NEW_PASSWORD, confirmation=TOO_SHORT)
    new_password = NEW_PASSWORD
    chosen = post_form(client, link, link, password=new_password, confirmation=new_password)
    set_up = client.get("/sign-in/set-up")
    page = parse_html(set_up.text)
    secret = "".join(page.find(".//code[@id='secret-key']").itertext())
    code = pyotp.TOTP(secret).at(NOW)
    token = form_token(set_up.text)
    done = client.post(
        "/sign-in/set-up", data={"csrf_token": token, "code": code}, follow_redirects=False
    )

    assert "at least 12 characters" in _problem(weak)
    assert _problem(differ) == "The passwords do not match"
    assert chosen.headers["location"] == "/sign-in/set-up"
    qr_code = page.find(f".//div[@id='qr-code']/{SVG}svg/{SVG}title")
    assert qr_code is not None  # inline, and titled for screen readers
    assert done.headers["location"] == "/home"
    assert client.get(link).status_code == HTTPStatus.NOT_FOUND  # used up


def test_an_unknown_link_says_it_cannot_be_used(client):
    response = client.get("/account/links/not-a-real-token")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert text_of(parse_html(response.text), "h1") == "This link cannot be used"
