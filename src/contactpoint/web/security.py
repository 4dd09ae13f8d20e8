"""Security headers on every response, and a fresh CSP nonce for every request.

Pages may hold personal data about children, so nothing is cached anywhere
(``Cache-Control: no-store``) except GOV.UK Frontend's static files, whose URLs are
fingerprinted and so may be kept for a year.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Final

from starlette.datastructures import MutableHeaders

from contactpoint.web.assets import is_asset_path

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

NO_STORE: Final = "no-store"
LONG_CACHE: Final = "public, max-age=31536000, immutable"
STRICT_TRANSPORT: Final = "max-age=31536000; includeSubDomains"

_CACHEABLE_STATUSES: Final = frozenset({200, 304})
_FIXED_HEADERS: Final = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": (
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
        "microphone=(), payment=(), usb=()"
    ),
}


def content_security_policy(nonce: str) -> str:
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def csp_nonce(request: Request) -> str:
    """The nonce that this request's inline scripts must carry."""
    return str(request.state.csp_nonce)


class SecurityHeadersMiddleware:
    """Pure ASGI, so that it also covers error pages and mounted static files."""

    def __init__(self, app: ASGIApp, *, strict_transport: bool) -> None:
        self.app = app
        self.strict_transport = strict_transport

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(18)
        scope.setdefault("state", {})["csp_nonce"] = nonce
        is_asset = is_asset_path(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                self._add_headers(headers, nonce=nonce)
                cacheable = is_asset and message["status"] in _CACHEABLE_STATUSES
                headers["Cache-Control"] = LONG_CACHE if cacheable else NO_STORE
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _add_headers(self, headers: MutableHeaders, *, nonce: str) -> None:
        headers["Content-Security-Policy"] = content_security_policy(nonce)
        for name, value in _FIXED_HEADERS.items():
            headers[name] = value
        if self.strict_transport:
            headers["Strict-Transport-Security"] = STRICT_TRANSPORT
