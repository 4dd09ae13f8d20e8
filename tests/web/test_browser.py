"""The pages in a real browser over real HTTP: styled, scripted, within the CSP, accessible."""

from __future__ import annotations

import pytest

from browser import assert_accessible, watch_console_errors

pytestmark = pytest.mark.browser

GOVUK_BLUE = "rgb(29, 112, 184)"
EVERY_PAGE = {
    "start": "/",
    "page-not-found": "/no-such-page",
    "request-problem": "/test-only/numbers?number=not-a-number",
    "service-problem": "/test-only/failure",
}


def test_the_start_page_loads_govuk_frontend_within_the_csp(live_server, browser_page):
    errors = watch_console_errors(browser_page)

    response = browser_page.goto(f"{live_server}/")

    assert response is not None
    assert response.status == 200
    assert browser_page.title() == "ContactPoint - GOV.UK"
    assert browser_page.locator("h1").inner_text() == "ContactPoint"
    header_colour = browser_page.locator(".govuk-header").evaluate(
        "header => getComputedStyle(header).backgroundColor"
    )
    assert header_colour == GOVUK_BLUE  # the stylesheet loaded
    assert "govuk-frontend-supported" in browser_page.locator("body").get_attribute("class")
    assert browser_page.locator("[data-govuk-skip-link-init]").count() == 1  # initAll ran
    assert errors == []  # no CSP violation, no script error


def test_an_unknown_address_shows_the_page_not_found_page(live_server, browser_page):
    errors = watch_console_errors(browser_page)

    response = browser_page.goto(f"{live_server}/no-such-page")

    assert response is not None
    assert response.status == 404
    assert browser_page.locator("h1").inner_text() == "Page not found"
    assert "govuk-frontend-supported" in browser_page.locator("body").get_attribute("class")
    # The browser's own report of the 404 response is the only console error.
    assert [error for error in errors if "404" not in error] == []


@pytest.mark.parametrize("path", EVERY_PAGE.values(), ids=EVERY_PAGE.keys())
def test_every_page_meets_wcag_2_2_aa(live_server, browser_page, path):
    browser_page.goto(f"{live_server}{path}")

    assert_accessible(browser_page)
