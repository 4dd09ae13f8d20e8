"""Error pages (GOV.UK patterns) for browsers, and problem details (RFC 9457) for APIs.

Neither ever shows a traceback, an exception's message or what the user sent: any of
them may hold personal data. An unexpected error is logged with the request's
identifier, the exception's class and where it was raised, and nothing else.
"""

from __future__ import annotations

import logging
import traceback
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.requests import Request

from contactpoint.web.request_ids import request_id
from contactpoint.web.templating import templates_of

if TYPE_CHECKING:
    from collections.abc import Mapping

    from fastapi import FastAPI
    from starlette.responses import Response
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

PROBLEM_JSON: Final = "application/problem+json"
_JSON_PATHS: Final = frozenset({"/health", "/openapi.json"})
_API_PREFIX: Final = "/api/"
_PAGES: Final = {
    HTTPStatus.NOT_FOUND: "errors/page-not-found.html",
    HTTPStatus.INTERNAL_SERVER_ERROR: "errors/service-problem.html",
}
_OTHER_PAGE: Final = "errors/request-problem.html"
_FRAMES_LOGGED: Final = 10


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)


def error_response(
    request: Request,
    status: HTTPStatus,
    *,
    headers: Mapping[str, str] | None = None,
    problems: list[dict[str, Any]] | None = None,
) -> Response:
    """The error page, or problem details for clients that asked for JSON."""
    if _wants_json(request):
        body: dict[str, Any] = {
            "type": "about:blank",
            "title": status.phrase,
            "status": status.value,
            "request_id": request_id(request),
        }
        if problems is not None:
            body["errors"] = problems
        return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)
    return templates_of(request).TemplateResponse(
        request, _PAGES.get(status, _OTHER_PAGE), status_code=status, headers=headers
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)  # noqa: S101 - registered for this class only
    return error_response(request, HTTPStatus(exc.status_code), headers=exc.headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for this class only
    # Where and why, but never the value sent ("input"): it may be a child's name.
    problems = [
        {"location": list(error["loc"]), "message": error["msg"], "type": error["type"]}
        for error in exc.errors()
    ]
    return error_response(request, HTTPStatus.UNPROCESSABLE_ENTITY, problems=problems)


def _wants_json(request: Request) -> bool:
    path = request.url.path
    if path in _JSON_PATHS or path.startswith(_API_PREFIX):
        return True
    accept = request.headers.get("accept", "")
    return "json" in accept and "text/html" not in accept


class UnexpectedErrorMiddleware:
    """Turns an exception that escaped every handler into the 500 page.

    It sits inside the security and request-id middleware, so the 500 page gets their
    headers (Starlette's own last-resort handler sits outside them all).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:  # noqa: BLE001 - the last place to turn any error into a page
            request = Request(scope, receive)
            log_unexpected_error(exc, reference=request_id(request))
            if not response_started:
                response = error_response(request, HTTPStatus.INTERNAL_SERVER_ERROR)
                await response(scope, receive, send)


def log_unexpected_error(exc: BaseException, *, reference: str) -> None:
    """The exception's class and where it was raised; never its message, which may hold data."""
    frames = traceback.extract_tb(exc.__traceback__)[-_FRAMES_LOGGED:]
    where = " < ".join(
        f"{Path(frame.filename).name}:{frame.lineno} {frame.name}" for frame in reversed(frames)
    )
    log.error("unexpected %s in request %s at %s", type(exc).__qualname__, reference, where)
