"""The Jinja environment: our templates, and govuk-frontend-jinja's under their prefix."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, PackageLoader, PrefixLoader, select_autoescape

from contactpoint.web.request_ids import request_id
from contactpoint.web.security import csp_nonce

if TYPE_CHECKING:
    from starlette.requests import Request

    from contactpoint.web.assets import FrontendAssets

SERVICE_NAME: Final = "ContactPoint"
GOVUK_TEMPLATES: Final = "govuk_frontend_jinja"


def make_templates(assets: FrontendAssets) -> Jinja2Templates:
    environment = Environment(
        loader=ChoiceLoader(
            [
                PrefixLoader({GOVUK_TEMPLATES: PackageLoader(GOVUK_TEMPLATES)}),
                PackageLoader("contactpoint.web", "templates"),
            ]
        ),
        autoescape=select_autoescape(("html",)),
    )
    environment.globals.update(
        serviceName=SERVICE_NAME,
        serviceUrl="/",
        htmlLang="en-GB",
        govuk_stylesheet_url=assets.stylesheet_url,
        govuk_script_url=assets.script_url,
    )
    return Jinja2Templates(env=environment, context_processors=[_request_context])


def templates_of(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


def _request_context(request: Request) -> dict[str, Any]:
    active = getattr(request.state, "active_session", None)
    return {
        "cspNonce": csp_nonce(request),
        "request_id": request_id(request),
        "active_session": active,
    }
