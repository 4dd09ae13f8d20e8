"""The session's remaining time, asked without extending it, and staying signed in."""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus

from contactpoint.access.policy import Role

import factories
from accounts import (
    form_token,
    last_seen,
    make_account,
    open_session_for,
    session_cookie,
    set_last_seen,
)
from factories import NOW
from markup import parse_html


def _signed_in(app, *, idle_for: dt.timedelta = dt.timedelta(0)):
    account = make_account(app, factories.practitioner)
    token = open_session_for(app, account, Role.PRACTITIONER)
    set_last_seen(app, token, NOW - idle_for)
    return token


def test_the_status_says_how_long_is_left_without_extending_the_session(app, client):
    token = _signed_in(app, idle_for=dt.timedelta(minutes=26))

    response = client.get("/session/status", headers=session_cookie(token))

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"seconds_left": 240, "warning_due": True}
    assert last_seen(app, token) == NOW - dt.timedelta(minutes=26)


def test_the_status_without_a_session_is_401_json(client):
    response = client.get("/session/status")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["detail"] == "You are not signed in. Sign in to continue."


def test_a_signed_in_page_carries_the_warning_and_its_script(app, client):
    token = _signed_in(app, idle_for=dt.timedelta(minutes=10))

    page = parse_html(client.get("/home", headers=session_cookie(token)).text)
    warning = page.find(".//*[@id='session-warning']")

    assert warning is not None
    assert warning.get("role") == "alertdialog"
    assert warning.get("data-seconds-left") == str(30 * 60)  # the page itself was activity
    assert warning.get("data-warn-seconds") == "300"
    scripts = [script.get("src") for script in page.iter("script")]
    assert "/scripts/session-timeout.js" in scripts
    assert client.get("/scripts/session-timeout.js").status_code == HTTPStatus.OK


def test_staying_signed_in_extends_the_session(app, client, clock):
    token = _signed_in(app)
    page = client.get("/home", headers=session_cookie(token)).text
    clock.advance(dt.timedelta(minutes=27))

    response = client.post(
        "/session/extend",
        data={"csrf_token": form_token(page), "return_to": "/home"},
        headers=session_cookie(token),
        follow_redirects=False,
    )

    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response.headers["location"] == "/home"
    assert last_seen(app, token) == NOW + dt.timedelta(minutes=27)
