"""A council's team issues and revokes a token for a system of its area, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

import factories
from accounts import Account
from browser import assert_accessible, sign_in, unexpected, watch_console_errors

pytestmark = pytest.mark.browser


def test_a_council_team_member_issues_and_revokes_a_systems_token(app, live_server, browser_page):
    with app.state.sessions() as session:
        council = factories.council(session)
        team = factories.council_team(session, of=council)
        school = factories.accredited_organisation(session, in_council=council)
        session.commit()
        account, school_name = Account(app, team), school.name
    page = browser_page
    errors = watch_console_errors(page)
    sign_in(page, live_server, account)

    page.goto(f"{live_server}/service-tokens")
    assert page.locator("h1").inner_text() == "API tokens for organisations' systems"
    assert_accessible(page)
    page.get_by_label("Days until it expires").fill("400")
    page.get_by_role("button", name="Issue token").click()  # no organisation, name or scope
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    assert "Enter the name of the system" in summary.inner_text()
    assert_accessible(page)
    page.get_by_label("Organisation whose system it is").select_option(label=school_name)
    page.get_by_label("Name of the system").fill("Feed sender")
    page.get_by_label("feeds:load:submit").check()
    page.get_by_label("Days until it expires").fill("30")
    page.get_by_role("button", name="Issue token").click()

    expect(page.locator("h1")).to_have_text("Token issued")  # waits for the page to load
    assert page.locator("#api-token").inner_text().startswith("cpt_")
    assert f"Feed sender, of {school_name}" in page.locator(".govuk-panel").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="Back to API tokens for organisations' systems").click()
    expect(page.locator("table")).to_contain_text("Feed sender")
    assert_accessible(page)
    page.get_by_role("button", name="Revoke").click()
    expect(page.locator("table")).to_contain_text("Revoked")  # the list, once reloaded
    assert_accessible(page)
    assert unexpected(errors) == []
