"""Rendering a page with what every form needs: the form token, and its cookie if new."""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from contactpoint.access.sessions import EXPIRY_WARNING, csrf_token_for
from contactpoint.web.dependencies import now_for
from contactpoint.web.forms import pre_session_form_token, remember_form_nonce
from contactpoint.web.templating import templates_of

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from contactpoint.access.sessions import ActiveSession


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: HTTPStatus = HTTPStatus.OK,
) -> Response:
    """A page; a signed-in page also gets what the session-timeout warning needs."""
    active: ActiveSession | None = getattr(request.state, "active_session", None)
    page: dict[str, Any]
    if active is None:
        page = {"csrf_token": pre_session_form_token(request)}
    else:
        page = {
            "csrf_token": csrf_token_for(active.user_session),
            "seconds_left": active.seconds_until_expiry(now_for(request)),
            "warn_seconds": int(EXPIRY_WARNING.total_seconds()),
        }
    response = templates_of(request).TemplateResponse(
        request, template, {**page, **(context or {})}, status_code=status
    )
    remember_form_nonce(request, response)
    return response


def error_summary(problems: dict[str, str]) -> list[dict[str, str]]:
    """The GOV.UK error summary's list: each problem linked to its field."""
    return [{"text": message, "href": f"#{name}"} for name, message in problems.items()]
