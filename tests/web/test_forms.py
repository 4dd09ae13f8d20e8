"""Every form carries a token that is checked on every POST; bad input never gives a 500."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from contactpoint.access.models import LinkPurpose
from contactpoint.access.policy import Role

import factories
from accounts import (
    form_token,
    issue_link,
    make_account,
    open_session_for,
    post_form,
    session_cookie,
)
from markup import parse_html, text_of, text_of_class

FORMS_BEFORE_SIGN_IN = ["/sign-in", "/sign-in/code", "/sign-in/role", "/sign-in/set-up"]
FORM_EXPIRED = "Sorry, your form could not be sent"


@pytest.mark.parametrize("action", FORMS_BEFORE_SIGN_IN)
@pytest.mark.parametrize("token", [None, "forged"], ids=["missing", "forged"])
def test_a_form_before_sign_in_without_its_token_is_refused(client, action, token):
    client.get("/sign-in")  # the browser holds a genuine form cookie
    fields = {"username": "someone", "password": "something", "code": "123456"}
    if token is not None:
        fields["csrf_token"] = token

    response = client.post(action, data=fields)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert text_of(parse_html(response.text), "h1") == FORM_EXPIRED


def test_a_token_from_another_browser_is_refused(client, client_for, app):
    other_browser_token = form_token(client.get("/sign-in").text)
    fresh = client_for(app)

    response = fresh.post("/sign-in", data={"csrf_token": other_browser_token, "username": "a"})

    assert response.status_code == HTTPStatus.BAD_REQUEST


@pytest.mark.parametrize("action", ["/sign-out", "/session/extend"])
@pytest.mark.parametrize("token", [None, "forged"], ids=["missing", "forged"])
def test_a_signed_in_form_without_the_sessions_token_is_refused(app, client, action, token):
    account = make_account(app, factories.practitioner)
    cookie = session_cookie(open_session_for(app, account, Role.PRACTITIONER))
    fields = {} if token is None else {"csrf_token": token}

    response = client.post(action, data=fields, headers=cookie, follow_redirects=False)
    still_signed_in = client.get("/home", headers=cookie)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert text_of(parse_html(response.text), "h1") == FORM_EXPIRED
    assert still_signed_in.status_code == HTTPStatus.OK


def test_the_pre_sign_in_token_does_not_work_for_a_signed_in_form(app, client):
    account = make_account(app, factories.practitioner)
    cookie = session_cookie(open_session_for(app, account, Role.PRACTITIONER))
    pre_sign_in = form_token(client.get("/sign-in").text)

    response = client.post("/sign-out", data={"csrf_token": pre_sign_in}, headers=cookie)

    assert response.status_code == HTTPStatus.BAD_REQUEST


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"username": "a"}'),
        ("text/plain", b"username=a"),
        ("application/x-www-form-urlencoded", b"username=\xff\xfe&password=\xc3"),
        ("multipart/form-data; boundary=broken", b"--nothing"),
    ],
    ids=["json", "text", "not-utf-8", "broken-multipart"],
)
def test_a_body_no_page_of_ours_sends_is_refused_without_a_500(client, content_type, body):
    client.get("/sign-in")

    response = client.post("/sign-in", content=body, headers={"content-type": content_type})

    assert HTTPStatus.BAD_REQUEST <= response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR


def test_non_utf_8_input_with_a_genuine_token_is_just_a_wrong_password(client):
    token = form_token(client.get("/sign-in").text)
    body = f"csrf_token={token}&username=%FF%FE&password=%C3".encode()

    response = client.post(
        "/sign-in", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "username or password is not right" in response.text


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"username": "u" * 300, "password": "p"}, "Your username or password is not right"),
        ({"username": "someone", "password": "p" * 2000}, "Your username or password is not right"),
        ({"username": "", "password": "p"}, "Enter your username"),
    ],
    ids=["long-username", "long-password", "no-username"],
)
def test_bad_sign_in_input_gets_an_error_summary(client, fields, problem):
    response = post_form(client, "/sign-in", "/sign-in", **fields)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert problem in text_of_class(parse_html(response.text), "govuk-error-summary")
    assert "u" * 300 not in response.text


@pytest.mark.parametrize("code", ["", "1" * 40, "abcdef"], ids=["empty", "long", "letters"])
def test_bad_codes_get_an_error_summary(app, client, code):
    account = make_account(app, factories.practitioner)
    post_form(
        client, "/sign-in", "/sign-in", username=account.username, password=factories.TEST_PASSWORD
    )

    response = post_form(client, "/sign-in/code", "/sign-in/code", code=code)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert text_of_class(parse_html(response.text), "govuk-error-summary")


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({}, "Enter your password"),
        ({"password": "x" * 200, "confirmation": "x" * 200}, "at most 128 characters"),
        ({"password": "a fine long password"}, "Enter your password again"),
    ],
    ids=["missing", "too-long", "no-confirmation"],
)
def test_bad_new_passwords_get_an_error_summary(app, client, fields, problem):
    account = make_account(app, factories.practitioner, with_totp=False)
    link = issue_link(app, account, LinkPurpose.FIRST_SIGN_IN)

    response = post_form(client, link, link, **fields)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert problem in text_of_class(parse_html(response.text), "govuk-error-summary")


def test_an_over_long_link_token_is_just_an_unusable_link(client):
    response = client.get("/account/links/" + "x" * 5000)

    assert response.status_code == HTTPStatus.NOT_FOUND
