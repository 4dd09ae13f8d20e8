"""The passkey endpoints, driven by a software authenticator: setting one up from a link,
signing in with one, confirming who you are with one, and the answers they refuse."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select

from access.soft_authenticator import SoftAuthenticator
from contactpoint.access.models import LinkPurpose, UserAccount, WebAuthnChallenge
from contactpoint.access.passkeys import (
    begin_passkey_registration,
    finish_passkey_registration,
    relying_party_from,
)
from contactpoint.access.policy import Role

import factories
from accounts import (
    Account,
    form_token,
    issue_link,
    make_account,
    open_session_for,
    post_form,
    session_cookie,
)
from factories import NOW, TEST_PASSWORD
from markup import parse_html, text_of_class

if TYPE_CHECKING:
    from fastapi import FastAPI

NEW_PASSWORD = "a fine long password for passkeys"  # noqa: S105 - test data
WRONG_PASSKEY = "Your passkey could not be checked"


@pytest.fixture
def authenticator(web_settings) -> SoftAuthenticator:
    party = relying_party_from(web_settings)
    return SoftAuthenticator(rp_id=party.id, origin=party.origin)


def _with_passkey(app: FastAPI, account: Account, authenticator: SoftAuthenticator) -> None:
    """Registers the authenticator's passkey to the account, as set-up would have."""
    party = relying_party_from(app.state.settings)
    with app.state.sessions() as session:
        user = session.get(UserAccount, account.id)
        options = begin_passkey_registration(session, user=user, relying_party=party, now=NOW)
        finish_passkey_registration(
            session,
            user=user,
            credential_json=authenticator.register(options),
            relying_party=party,
            now=NOW,
        )
        session.commit()


def _options(client, page_path: str, options_path: str, headers=None):
    token = form_token(client.get(page_path, headers=headers or {}).text)
    return client.post(options_path, data={"csrf_token": token}, headers=headers or {})


def _post_credential(client, page_path: str, action: str, credential: str, **fields: str):
    return post_form(client, page_path, action, credential=credential, **fields)


def _after_password(client, account: Account) -> str:
    """Signs in with the password; the passkey's options for the code page."""
    client.cookies.clear()
    first = post_form(
        client, "/sign-in", "/sign-in", username=account.username, password=TEST_PASSWORD
    )
    assert first.headers["location"] == "/sign-in/code"
    options = _options(client, "/sign-in/code", "/sign-in/passkey/options")
    assert options.status_code == HTTPStatus.OK, options.text
    assert options.headers["content-type"] == "application/json"
    return options.text


def _refusal(response) -> str:
    return text_of_class(parse_html(response.text), "govuk-error-summary")


# --- Setting up ------------------------------------------------------------------------


def test_a_first_sign_in_link_sets_up_a_passkey_and_signs_in(app, client, authenticator):
    account = make_account(app, factories.practitioner, with_totp=False)
    link = issue_link(app, account, LinkPurpose.FIRST_SIGN_IN)
    set_password = post_form(client, link, link, password=NEW_PASSWORD, confirmation=NEW_PASSWORD)
    assert set_password.headers["location"] == "/sign-in/set-up"

    options = _options(client, "/sign-in/set-up", "/sign-in/set-up/passkey/options")
    registered = _post_credential(
        client, "/sign-in/set-up", "/sign-in/set-up/passkey", authenticator.register(options.text)
    )

    assert json.loads(options.text)["rp"]["id"] == "localhost"
    assert registered.status_code == HTTPStatus.SEE_OTHER
    assert registered.headers["location"] == "/home"
    assert "contactpoint-session" in registered.cookies


def test_a_passkey_made_for_another_site_is_not_set_up(app, client, authenticator):
    account = make_account(app, factories.practitioner, with_totp=False)
    link = issue_link(app, account, LinkPurpose.FIRST_SIGN_IN)
    post_form(client, link, link, password=NEW_PASSWORD, confirmation=NEW_PASSWORD)
    options = _options(client, "/sign-in/set-up", "/sign-in/set-up/passkey/options")

    credential = authenticator.register(options.text, origin="https://evil.example")
    refused = _post_credential(client, "/sign-in/set-up", "/sign-in/set-up/passkey", credential)

    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "The passkey could not be added" in _refusal(refused)


def test_set_up_options_need_a_set_up_link(app, client):
    account = make_account(app, factories.practitioner)
    post_form(client, "/sign-in", "/sign-in", username=account.username, password=TEST_PASSWORD)

    refused = _options(client, "/sign-in/code", "/sign-in/set-up/passkey/options")

    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert refused.headers["content-type"] == "application/problem+json"
    assert "set-up link" in refused.json()["detail"]


# --- Signing in ------------------------------------------------------------------------


def test_a_user_signs_in_with_password_and_passkey(app, client, authenticator):
    account = make_account(app, factories.practitioner)
    _with_passkey(app, account, authenticator)

    options = _after_password(client, account)
    signed_in = _post_credential(
        client, "/sign-in/code", "/sign-in/passkey", authenticator.sign(options)
    )

    assert signed_in.status_code == HTTPStatus.SEE_OTHER
    assert signed_in.headers["location"] == "/home"
    assert client.get("/home", follow_redirects=False).status_code == HTTPStatus.OK


def test_an_answer_to_another_challenge_is_refused(app, client, authenticator):
    account = make_account(app, factories.practitioner)
    _with_passkey(app, account, authenticator)
    options = _after_password(client, account)

    credential = authenticator.sign(options, challenge="bm90LW91ci1jaGFsbGVuZ2U")
    refused = _post_credential(client, "/sign-in/code", "/sign-in/passkey", credential)

    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert WRONG_PASSKEY in _refusal(refused)


def test_a_replayed_answer_is_refused(app, client, authenticator):
    account = make_account(app, factories.practitioner)
    _with_passkey(app, account, authenticator)
    answer = authenticator.sign(_after_password(client, account))
    first = _post_credential(client, "/sign-in/code", "/sign-in/passkey", answer)
    assert first.status_code == HTTPStatus.SEE_OTHER

    _after_password(client, account)  # a new sign-in, and a new challenge
    replayed = _post_credential(client, "/sign-in/code", "/sign-in/passkey", answer)

    assert replayed.status_code == HTTPStatus.BAD_REQUEST
    assert WRONG_PASSKEY in _refusal(replayed)


def test_a_passkey_not_registered_to_the_account_is_refused(app, client, web_settings):
    account = make_account(app, factories.practitioner)
    party = relying_party_from(web_settings)
    _with_passkey(app, account, SoftAuthenticator(rp_id=party.id, origin=party.origin))
    stranger = SoftAuthenticator(rp_id=party.id, origin=party.origin)

    options = _after_password(client, account)
    refused = _post_credential(client, "/sign-in/code", "/sign-in/passkey", stranger.sign(options))

    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert WRONG_PASSKEY in _refusal(refused)


@pytest.mark.parametrize("credential", ["", "not json", '{"id": "x"}', "x" * 20_000])
def test_a_malformed_answer_is_refused(app, client, authenticator, credential):
    account = make_account(app, factories.practitioner)
    _with_passkey(app, account, authenticator)
    _after_password(client, account)

    refused = _post_credential(client, "/sign-in/code", "/sign-in/passkey", credential)

    assert refused.status_code == HTTPStatus.BAD_REQUEST


def _challenges(app: FastAPI) -> int:
    with app.state.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(WebAuthnChallenge)) or 0)


def test_the_code_page_offers_a_passkey_only_to_a_user_who_has_one(app, client, authenticator):
    with_passkey = make_account(app, factories.practitioner)
    _with_passkey(app, with_passkey, authenticator)
    without = make_account(app, factories.practitioner)

    pages = {}
    for account in (with_passkey, without):
        client.cookies.clear()
        post_form(client, "/sign-in", "/sign-in", username=account.username, password=TEST_PASSWORD)
        pages[account.id] = client.get("/sign-in/code").text

    assert "Use a passkey instead" in pages[with_passkey.id]
    assert "/scripts/passkeys.js" in pages[with_passkey.id]
    assert "passkey" not in pages[without.id].lower()


def test_a_wrong_code_shows_the_code_page_again_with_the_passkey_only_if_the_user_has_one(
    app, client, authenticator
):
    with_passkey = make_account(app, factories.practitioner)
    _with_passkey(app, with_passkey, authenticator)
    without = make_account(app, factories.practitioner)

    refused = {}
    for account in (with_passkey, without):
        client.cookies.clear()
        post_form(client, "/sign-in", "/sign-in", username=account.username, password=TEST_PASSWORD)
        refused[account.id] = post_form(client, "/sign-in/code", "/sign-in/code", code="000000")

    assert "Use a passkey instead" in refused[with_passkey.id].text
    assert "passkey" not in refused[without.id].text.lower()


def test_passkey_options_are_refused_with_no_challenge_to_a_user_without_a_passkey(app, client):
    account = make_account(app, factories.practitioner)
    post_form(client, "/sign-in", "/sign-in", username=account.username, password=TEST_PASSWORD)
    before = _challenges(app)

    refused = _options(client, "/sign-in/code", "/sign-in/passkey/options")

    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert refused.headers["content-type"] == "application/problem+json"
    assert "Your account has no passkey" in refused.json()["detail"]
    assert _challenges(app) == before == 0


def test_options_without_a_sign_in_in_progress_are_refused(client):
    client.get("/sign-in")
    token = form_token(client.get("/sign-in").text)

    refused = client.post("/sign-in/passkey/options", data={"csrf_token": token})

    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "took too long" in refused.json()["detail"]


def test_options_without_the_form_token_are_refused(client):
    refused = client.post(
        "/sign-in/passkey/options", data={}, headers={"Accept": "application/json"}
    )

    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert refused.headers["content-type"] == "application/problem+json"


# --- Confirming who you are -------------------------------------------------------------


def test_a_passkey_confirms_who_you_are_and_rotates_the_session(app, client, authenticator):
    officer = make_account(app, factories.child_protection_officer)
    _with_passkey(app, officer, authenticator)
    token = open_session_for(app, officer, Role.PRACTITIONER)
    signed_in = session_cookie(token)
    options = _options(client, "/reauthenticate", "/reauthenticate/passkey/options", signed_in)
    page = client.get("/reauthenticate", headers=signed_in)
    assert "Use a passkey instead of a code" in page.text

    confirmed = client.post(
        "/reauthenticate/passkey",
        data={
            "csrf_token": form_token(page.text),
            "password": TEST_PASSWORD,
            "credential": authenticator.sign(options.text),
            "next": "/home",
        },
        headers=signed_in,
        follow_redirects=False,
    )

    assert confirmed.status_code == HTTPStatus.SEE_OTHER
    assert confirmed.headers["location"] == "/home"
    assert confirmed.cookies["contactpoint-session"] != token


def test_a_wrong_passkey_does_not_confirm_who_you_are(app, client, authenticator, web_settings):
    officer = make_account(app, factories.child_protection_officer)
    _with_passkey(app, officer, authenticator)
    signed_in = session_cookie(open_session_for(app, officer, Role.PRACTITIONER))
    options = _options(client, "/reauthenticate", "/reauthenticate/passkey/options", signed_in)
    party = relying_party_from(web_settings)
    stranger = SoftAuthenticator(rp_id=party.id, origin=party.origin)
    page = client.get("/reauthenticate", headers=signed_in)

    refused = client.post(
        "/reauthenticate/passkey",
        data={
            "csrf_token": form_token(page.text),
            "password": TEST_PASSWORD,
            "credential": stranger.sign(options.text),
        },
        headers=signed_in,
    )

    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "your passkey could not be checked" in _refusal(refused)


def test_a_user_without_a_passkey_is_not_offered_one_to_confirm_who_they_are(app, client):
    officer = make_account(app, factories.child_protection_officer)
    signed_in = session_cookie(open_session_for(app, officer, Role.PRACTITIONER))

    page = client.get("/reauthenticate", headers=signed_in)
    refused = _options(client, "/reauthenticate", "/reauthenticate/passkey/options", signed_in)

    assert "passkey" not in page.text.lower()
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "no passkey" in refused.json()["detail"]
    assert _challenges(app) == 0
