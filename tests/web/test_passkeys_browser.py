"""Passkeys in a real browser, with Chrome's virtual authenticator: set one up from a
first-sign-in link, sign out, and sign in again with the password and the passkey.

Browsers refuse passkeys on a bare IP address, so the site is opened at
``http://localhost:<port>`` and the app's ``public_url`` (the relying party) is that origin.
"""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest
import uvicorn

from access.soft_authenticator import SoftAuthenticator
from contactpoint.access.models import LinkPurpose, UserAccount
from contactpoint.access.passkeys import (
    begin_passkey_registration,
    finish_passkey_registration,
    relying_party_from,
)

import factories
from accounts import issue_link, make_account
from browser import assert_accessible, unexpected, watch_console_errors
from factories import NOW, TEST_PASSWORD
from web_app import build_app

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fastapi import FastAPI

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a fine long password for passkeys"  # noqa: S105 - test data
VIRTUAL_AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


@contextmanager
def _serving(app: FastAPI, listener: socket.socket) -> Iterator[None]:
    config = uvicorn.Config(app, access_log=False, log_level="warning", ws="none", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the web server did not start")
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def passkey_site(web_settings, clock) -> Iterator[tuple[FastAPI, str]]:
    """The app at http://localhost:<port>, with that as its public address."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        base = f"http://localhost:{listener.getsockname()[1]}"
        app = build_app(web_settings.model_copy(update={"public_url": base}), clock)
        with _serving(app, listener):
            yield app, base


def _add_virtual_authenticator(page) -> object:
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    added = devtools.send("WebAuthn.addVirtualAuthenticator", {"options": VIRTUAL_AUTHENTICATOR})
    return devtools, added["authenticatorId"]


def _with_passkey_elsewhere(app: FastAPI, user_id: int) -> None:
    """A passkey registered to the user from another authenticator than the browser's."""
    party = relying_party_from(app.state.settings)
    authenticator = SoftAuthenticator(rp_id=party.id, origin=party.origin)
    with app.state.sessions() as session:
        user = session.get(UserAccount, user_id)
        options = begin_passkey_registration(session, user=user, relying_party=party, now=NOW)
        credential = authenticator.register(options)
        finish_passkey_registration(
            session, user=user, credential_json=credential, relying_party=party, now=NOW
        )
        session.commit()


def test_a_passkey_set_up_from_a_link_signs_the_user_in_again(passkey_site, browser_page):
    app, base = passkey_site
    account = make_account(app, factories.practitioner, with_totp=False)
    link = issue_link(app, account, LinkPurpose.FIRST_SIGN_IN)
    page = browser_page
    devtools, authenticator_id = _add_virtual_authenticator(page)
    errors = watch_console_errors(page)

    page.goto(f"{base}{link}")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/sign-in/set-up")
    assert_accessible(page)
    page.get_by_role("button", name="Set up a passkey instead").click()
    page.wait_for_url(f"{base}/home")
    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url(f"{base}/signed-out")

    page.goto(f"{base}/sign-in")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/sign-in/code")
    assert_accessible(page)
    page.get_by_role("button", name="Use a passkey instead").click()
    page.wait_for_url(f"{base}/home")

    assert account.username in page.locator("main").inner_text()
    stored = devtools.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    assert len(stored["credentials"]) == 1
    assert unexpected(errors) == []


def test_the_passkey_button_says_when_the_browser_has_no_passkey(passkey_site, browser_page):
    app, base = passkey_site
    account = make_account(app, factories.practitioner)
    _with_passkey_elsewhere(app, account.id)  # so the code page offers a passkey
    page = browser_page
    _add_virtual_authenticator(page)  # an authenticator holding no passkey for the site

    page.goto(f"{base}/sign-in")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/sign-in/code")
    page.get_by_role("button", name="Use a passkey instead").click()

    problem = page.locator("[data-passkey-problem]")
    problem.wait_for(state="visible")
    assert "could not be used" in problem.inner_text()
    assert_accessible(page)
