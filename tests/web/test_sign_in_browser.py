"""Signing in, first sign-in from a link, refusals and the timeout warning, in a real browser."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest
from playwright.sync_api import expect

from contactpoint.access.models import LinkPurpose
from contactpoint.access.policy import Role

import factories
from accounts import SESSION_COOKIE, age_session, issue_link, make_account, open_session_for
from browser import assert_accessible, unexpected, watch_console_errors
from factories import NOW, TEST_PASSWORD

pytestmark = pytest.mark.browser


def _sign_in_with_password(page, base: str, username: str, password: str = TEST_PASSWORD) -> None:
    page.goto(f"{base}/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()


def _enter_code(page, code: str) -> None:
    page.get_by_label("Enter the code from your authenticator app").fill(code)
    page.get_by_role("button", name="Continue").click()


def test_a_practitioner_signs_in_with_password_and_code_then_signs_out(
    app, live_server, browser_page
):
    account = make_account(app, factories.practitioner)
    page = browser_page
    errors = watch_console_errors(page)

    page.goto(f"{live_server}/sign-in")
    assert_accessible(page)
    _sign_in_with_password(page, live_server, account.username)
    page.wait_for_url(f"{live_server}/sign-in/code")
    assert_accessible(page)
    _enter_code(page, account.code())

    page.wait_for_url(f"{live_server}/home")
    assert account.username in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Sign out").first.click()
    expect(page.locator("h1")).to_have_text("You have signed out")
    assert_accessible(page)
    assert unexpected(errors) == []


def test_a_wrong_code_shows_the_error_summary(app, live_server, browser_page):
    account = make_account(app, factories.practitioner)
    page = browser_page

    _sign_in_with_password(page, live_server, account.username)
    _enter_code(page, "000000")

    summary = page.locator(".govuk-error-summary")
    assert "The code is not right" in summary.inner_text()
    assert summary.evaluate("element => element === document.activeElement")  # focused
    assert_accessible(page)


def test_a_wrong_password_shows_the_error_summary(app, live_server, browser_page):
    page = browser_page

    _sign_in_with_password(page, live_server, "nobody", "not the password")

    assert "username or password is not right" in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page)


def test_a_first_sign_in_from_a_link_sets_a_password_and_an_app(app, live_server, browser_page):
    account = make_account(app, factories.practitioner, with_totp=False)
    link = issue_link(app, account, LinkPurpose.FIRST_SIGN_IN)
    page = browser_page
    errors = watch_console_errors(page)

    page.goto(f"{live_server}{link}")
    assert_accessible(page)
    page.get_by_label("Password", exact=True).fill("a fine long password")
    page.get_by_label("Confirm password").fill("a fine long password")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{live_server}/sign-in/set-up")
    expect(page.locator("#qr-code svg")).to_be_visible()
    assert_accessible(page)
    secret = page.locator("#secret-key").inner_text()
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).at(NOW))
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url(f"{live_server}/home")
    assert unexpected(errors) == []


def test_a_user_with_several_roles_chooses_one_on_an_accessible_page(
    app, live_server, browser_page
):
    account = make_account(app, factories.user_account, roles=(Role.PRACTITIONER, Role.AUDITOR))
    page = browser_page

    _sign_in_with_password(page, live_server, account.username)
    _enter_code(page, account.code())
    page.wait_for_url(f"{live_server}/sign-in/role")
    assert_accessible(page)
    page.get_by_label("Auditor").check()
    page.get_by_role("button", name="Continue").click()

    expect(page.locator("main")).to_contain_text("acting as auditor")


def _with_session(page, base: str, token: str) -> None:
    page.context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": base}])


def test_the_refusal_and_access_stopped_pages_are_accessible(app, live_server, browser_page):
    practitioner = make_account(app, factories.practitioner)
    _with_session(browser_page, live_server, open_session_for(app, practitioner, Role.PRACTITIONER))

    refused = browser_page.goto(f"{live_server}/test-only/audit-reports")
    assert refused is not None
    assert refused.status == 403
    assert_accessible(browser_page)

    lapsed = make_account(app, factories.practitioner)
    token = open_session_for(app, lapsed, Role.PRACTITIONER)
    with app.state.sessions() as session:
        session.get(factories.UserAccount, lapsed.id).suspended_at = NOW
        session.commit()
    _with_session(browser_page, live_server, token)
    stopped = browser_page.goto(f"{live_server}/home")
    assert stopped is not None
    assert stopped.status == 403
    assert "suspended" in browser_page.locator("main").inner_text()
    assert_accessible(browser_page)


def test_the_timeout_warning_shows_five_minutes_before_the_end(app, live_server, browser_page):
    account = make_account(app, factories.practitioner)
    token = open_session_for(app, account, Role.PRACTITIONER)
    # 4 minutes before the 12-hour limit: activity cannot extend it.
    age_session(app, token, started_at=NOW - dt.timedelta(hours=12) + dt.timedelta(minutes=4))
    _with_session(browser_page, live_server, token)
    errors = watch_console_errors(browser_page)

    browser_page.goto(f"{live_server}/home")
    warning = browser_page.get_by_role("alertdialog", name="You will be signed out soon")
    warning.wait_for(state="visible")

    assert "4 minutes" in warning.inner_text()
    assert browser_page.get_by_role("button", name="Stay signed in").evaluate(
        "button => button === document.activeElement"
    )
    assert_accessible(browser_page)
    assert unexpected(errors) == []


def test_no_warning_shows_while_plenty_of_time_is_left(app, live_server, browser_page):
    account = make_account(app, factories.practitioner)
    _with_session(browser_page, live_server, open_session_for(app, account, Role.PRACTITIONER))

    browser_page.goto(f"{live_server}/home")
    browser_page.wait_for_load_state("networkidle")

    assert browser_page.locator("#session-warning").is_hidden()
