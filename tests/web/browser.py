"""Helpers for the browser tests: signing in, the accessibility check and a watch on the console."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from factories import TEST_PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Page

    from accounts import Account

AXE_SCRIPT: Final = Path(__file__).resolve().parents[2] / "node_modules/axe-core/axe.min.js"
WCAG_22_AA: Final = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def sign_in(page: Page, base: str, account: Account) -> None:
    """Signs in at ``base`` with the account's password and current code, as a person would."""
    page.goto(f"{base}/sign-in")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/sign-in/code")
    page.get_by_label("Enter the code from your authenticator app").fill(account.code())
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/home")


def assert_accessible(page: Page) -> None:
    """Runs axe-core on the page, once loaded, and fails on any WCAG 2.2 AA violation."""
    # After a click that navigates, the new page may still be parsing: axe would check
    # half a page, or lose its context to the navigation.
    page.wait_for_load_state()
    # page.evaluate runs through the DevTools protocol, which the page's CSP does not
    # govern, so axe is loaded without weakening the CSP (add_script_tag would inline a
    # <script>, which the CSP blocks, and bypass_csp would test a page with no CSP).
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    results: dict[str, Any] = page.evaluate(
        "options => window.axe.run(document, options)",
        {"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]},
    )
    violations = results["violations"]
    assert not violations, f"axe found violations on {page.url}:\n" + _describe(violations)


def watch_console_errors(page: Page) -> list[str]:
    """The page's console errors (CSP violations among them), collected from now on."""
    errors: list[str] = []

    def collect(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", collect)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def unexpected(errors: list[str]) -> list[str]:
    """The console errors other than the browser's report of each 4xx page it was sent
    (those are the pages under test)."""
    return [error for error in errors if "the server responded with a status of 4" not in error]


@cache
def _axe_source() -> str:
    if not AXE_SCRIPT.exists():
        raise FileNotFoundError(f"{AXE_SCRIPT} is missing: run `npm ci` in the project root")
    return AXE_SCRIPT.read_text(encoding="utf-8")


def _describe(violations: list[dict[str, Any]]) -> str:
    summary = [
        {
            "rule": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"]],
        }
        for violation in violations
    ]
    return json.dumps(summary, indent=2)
