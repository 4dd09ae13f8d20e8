"""A fresh identifier for every request, sent back as ``X-Request-ID`` and used in logs.

Logs name requests by this identifier, never by anything a user typed. A client's own
``X-Request-ID`` is ignored: it would let anyone write into our logs.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Final

from starlette.datastructures import MutableHeaders

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER: Final = "X-Request-ID"


def request_id(request: Request) -> str:
    return str(request.state.request_id)


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        identifier = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = identifier

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = identifier
            await send(message)

        await self.app(scope, receive, send_with_id)
