"""A council's team issues and revokes a colleague's API token in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

import factories
from accounts import Account
from browser import assert_accessible, sign_in, unexpected, watch_console_errors

pytestmark = pytest.mark.browser


def test_a_council_team_member_issues_and_revokes_a_token(app, live_server, browser_page):
    with app.state.sessions() as session:
        council = factories.council(session)
        team = factories.council_team(session, of=council)
        colleague = factories.council_team(session, of=council)
        session.commit()
        account, colleague_id = Account(app, team), colleague.id
    page = browser_page
    errors = watch_console_errors(page)
    sign_in(page, live_server, account)

    page.goto(f"{live_server}/users/{colleague_id}")
    page.get_by_role("link", name="API tokens").click()
    assert_accessible(page)
    page.get_by_label("Days until it expires").fill("400")
    page.get_by_role("button", name="Issue token").click()  # no role, no scope, too long
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Council team").check()
    page.get_by_label("access:user:manage").check()
    page.get_by_label("Days until it expires").fill("30")
    page.get_by_role("button", name="Issue token").click()

    expect(page.locator("h1")).to_have_text("Token issued")  # waits for the page to load
    assert page.locator("#api-token").inner_text().startswith("cpt_")
    assert_accessible(page)
    page.get_by_role("link", name="API tokens").click()
    assert_accessible(page)
    page.get_by_role("button", name="Revoke").click()
    # The revoked list is a new page: read before it loaded, the table held "1 token".
    expect(page.locator("table")).to_contain_text("Revoked")
    assert_accessible(page)
    assert unexpected(errors) == []
