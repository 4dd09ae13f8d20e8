"""A council's team manages a user in a real browser: add, suspend, reinstate, give a role."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

import factories
from accounts import make_account
from browser import assert_accessible, sign_in, unexpected, watch_console_errors

pytestmark = pytest.mark.browser


def test_a_council_team_member_adds_suspends_reinstates_and_gives_a_role_to_a_user(
    app, live_server, browser_page
):
    account = make_account(app, factories.council_team)
    page = browser_page
    errors = watch_console_errors(page)
    sign_in(page, live_server, account)

    page.goto(f"{live_server}/users")
    assert_accessible(page)
    page.get_by_role("button", name="Add a user").click()
    assert_accessible(page)
    page.get_by_role("button", name="Add user").click()  # nothing filled in
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Username").fill("mary.seacole")
    page.get_by_label("Full name").fill("Mary Seacole")
    page.get_by_label("Organisation").select_option(index=1)
    page.get_by_label("Practitioner").check()
    page.get_by_role("button", name="Add user").click()

    expect(page.locator("h1")).to_have_text("User added")
    assert "/account/links/" in page.locator("#one-time-link").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="Go to Mary Seacole's details").click()
    assert_accessible(page)
    page.get_by_label("Left the organisation").check()
    page.get_by_role("button", name="Suspend Mary Seacole").click()
    expect(page.locator(".govuk-summary-list")).to_contain_text("Suspended")
    assert_accessible(page)
    page.get_by_role("button", name="Reinstate Mary Seacole").click()
    expect(page.locator(".govuk-summary-list")).to_contain_text("Not suspended")
    page.get_by_role("button", name="Give role").click()  # no role chosen
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose a role")
    assert_accessible(page)
    page.get_by_label("Auditor").check()
    page.get_by_role("button", name="Give role").click()
    expect(page.locator(".govuk-summary-list")).to_contain_text("Auditor")
    expect(page.get_by_role("group", name="Withdraw a role")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Reset password").click()
    expect(page.locator("h1")).to_have_text("Link issued")
    assert_accessible(page)
    assert unexpected(errors) == []
