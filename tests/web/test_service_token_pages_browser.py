"""A council's team issues and revokes a token for a system of its area, in a real browser."""

from __future__ import annotations

import pytest

import factories
from accounts import Account
from browser import assert_accessible, watch_console_errors
from factories import TEST_PASSWORD

pytestmark = pytest.mark.browser


def _sign_in(page, base: str, account) -> None:
    page.goto(f"{base}/sign-in")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/sign-in/code")
    page.get_by_label("Enter the code from your authenticator app").fill(account.code())
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/home")


def _unexpected(errors: list[str]) -> list[str]:
    return [error for error in errors if "the server responded with a status of 4" not in error]


def test_a_council_team_member_issues_and_revokes_a_systems_token(app, live_server, browser_page):
    with app.state.sessions() as session:
        council = factories.council(session)
        team = factories.council_team(session, of=council)
        school = factories.accredited_organisation(session, in_council=council)
        session.commit()
        account, school_name = Account(app, team), school.name
    page = browser_page
    errors = watch_console_errors(page)
    _sign_in(page, live_server, account)

    page.goto(f"{live_server}/service-tokens")
    assert page.locator("h1").inner_text() == "API tokens for organisations' systems"
    assert_accessible(page)
    page.get_by_label("Days until it expires").fill("400")
    page.get_by_role("button", name="Issue token").click()  # no organisation, name or scope
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    assert "Enter the name of the system" in summary.inner_text()
    assert_accessible(page)
    page.get_by_label("Organisation whose system it is").select_option(label=school_name)
    page.get_by_label("Name of the system").fill("Feed sender")
    page.get_by_label("feeds:load:submit").check()
    page.get_by_label("Days until it expires").fill("30")
    page.get_by_role("button", name="Issue token").click()

    assert page.locator("h1").inner_text() == "Token issued"
    assert page.locator("#api-token").inner_text().startswith("cpt_")
    assert f"Feed sender, of {school_name}" in page.locator(".govuk-panel").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="Back to API tokens for organisations' systems").click()
    assert "Feed sender" in page.locator("table").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Revoke").click()
    assert "Revoked" in page.locator("table").inner_text()
    assert_accessible(page)
    assert _unexpected(errors) == []
