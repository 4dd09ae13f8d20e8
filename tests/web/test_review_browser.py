"""A council's team works the review queue in a real browser, with the accessibility check."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from contactpoint.access.models import UserAccount
from contactpoint.directory.services import find_child
from linkage.test_review_support import ReviewDirectory

from accounts import Account
from browser import assert_accessible, sign_in, watch_console_errors

pytestmark = pytest.mark.browser


def test_a_council_team_member_accepts_a_match_from_the_queue(
    app, live_server, browser_page, tmp_path
):
    directory = ReviewDirectory(app.state.engine, tmp_path)
    [item, _] = directory.load_pairs()
    provisional = directory.child_of("school", "S1")
    candidate = directory.child_of("health", "H1")
    with app.state.sessions() as session:
        account = Account(app, session.get(UserAccount, directory.team_user_id))
    page = browser_page
    errors = watch_console_errors(page)
    sign_in(page, live_server, account)

    page.goto(f"{live_server}/review")
    assert page.locator("h1").inner_text() == "Matches to review"
    assert "2 records waiting" in page.locator("table").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name=f"Review item {item}").click()
    expect(page.locator("h1")).to_have_text("Review a possible match")
    assert "24 July 2014" in page.locator(".app-incoming").inner_text()
    assert candidate in page.locator(".app-candidate").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Accept: the same child").click()

    expect(page.locator(".govuk-panel")).to_contain_text(candidate)
    assert_accessible(page)
    with app.state.sessions() as session:
        assert find_child(session, provisional).contactpoint_id == candidate
    page.get_by_role("link", name="Go back to the matches to review").click()
    expect(page.locator("table")).to_contain_text("1 record waiting")
    assert errors == []
