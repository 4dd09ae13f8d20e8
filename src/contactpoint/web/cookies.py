"""The cookies the service sets: the session, a sign-in in progress, and the form token.

All are HttpOnly and SameSite=Lax, on path ``/``. Outside development and test they
are Secure and carry the ``__Host-`` prefix, which browsers accept only from a secure
origin, for path ``/`` and with no Domain: no other host can plant or read them.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Final

from contactpoint.access.sessions import ABSOLUTE_TIMEOUT
from contactpoint.access.sign_in import PENDING_LIFETIME
from contactpoint.settings import Mode

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from contactpoint.settings import Settings

_SECURE_PREFIX: Final = "__Host-"


class Cookie(enum.StrEnum):
    """Each cookie's name without its prefix, and how long it lasts."""

    SESSION = "contactpoint-session"
    SIGN_IN = "contactpoint-sign-in"  # the pending sign-in, between password and role
    SIGN_IN_ROLES = "contactpoint-sign-in-roles"  # only for showing the role choice
    RETURN_TO = "contactpoint-return-to"  # the page to go back to after signing in
    FORM = "contactpoint-form"  # the double-submit token of forms before sign-in

    @property
    def lifetime(self) -> dt.timedelta | None:
        if self is Cookie.SESSION:
            return ABSOLUTE_TIMEOUT
        if self is Cookie.FORM:
            return None  # until the browser closes
        return PENDING_LIFETIME


def uses_secure_cookies(settings: Settings) -> bool:
    return settings.mode is Mode.PRODUCTION


def cookie_name(request: Request, cookie: Cookie) -> str:
    settings: Settings = request.app.state.settings
    return (_SECURE_PREFIX if uses_secure_cookies(settings) else "") + cookie.value


def read_cookie(request: Request, cookie: Cookie) -> str:
    return request.cookies.get(cookie_name(request, cookie), "")


def set_cookie(request: Request, response: Response, cookie: Cookie, value: str) -> None:
    lifetime = cookie.lifetime
    response.set_cookie(
        cookie_name(request, cookie),
        value,
        max_age=None if lifetime is None else int(lifetime.total_seconds()),
        path="/",
        secure=uses_secure_cookies(request.app.state.settings),
        httponly=True,
        samesite="lax",
    )


def delete_cookie(request: Request, response: Response, cookie: Cookie) -> None:
    response.delete_cookie(
        cookie_name(request, cookie),
        path="/",
        secure=uses_secure_cookies(request.app.state.settings),
        httponly=True,
        samesite="lax",
    )
