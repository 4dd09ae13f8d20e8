"""The app as the web tests build it: with test-only routes, and a clock they control."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from contactpoint.access.permissions import PUBLIC, Permission
from contactpoint.web.app import create_app
from contactpoint.web.authorisation import requires

from factories import NOW

if TYPE_CHECKING:
    from fastapi import FastAPI


class Clock:
    """The app's clock in tests: fixed at the factories' NOW until a test moves it."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, by: dt.timedelta) -> None:
        self.now += by


def failing_view() -> None:
    # What an unexpected error might carry: a child's name and date of birth.
    raise RuntimeError("cannot link Amelia Hartley born 2014-03-02")


def numbered_view(number: int) -> dict[str, int]:
    return {"number": number}


def restricted_view() -> dict[str, str]:
    return {"restricted": "yes"}


def build_app(settings, clock=None) -> FastAPI:
    """The app, with test-only routes: one that fails, one that validates, and two that
    need permissions only some roles hold (a page, and an API endpoint no role may use)."""
    app = create_app(settings)
    if clock is not None:
        app.state.clock = clock
    public = [requires(PUBLIC)]
    app.add_api_route("/test-only/failure", failing_view, dependencies=public)
    app.add_api_route("/test-only/numbers", numbered_view, dependencies=public)
    reports = [requires(Permission.AUDIT_REPORT_VIEW)]
    app.add_api_route("/test-only/audit-reports", restricted_view, dependencies=reports)
    feeds = [requires(Permission.FEEDS_LOAD_SUBMIT)]
    app.add_api_route("/api/test-only/loads", restricted_view, dependencies=feeds)
    return app
