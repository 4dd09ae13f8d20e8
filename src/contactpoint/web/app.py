"""Builds the web application from settings; nothing is built when this module is imported."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI

from contactpoint.access.credentials import Sealer
from contactpoint.settings import Mode, SettingsError
from contactpoint.storage.engine import engine_from_settings, session_factory
from contactpoint.web import (
    account_views,
    api_views,
    audit_api_views,
    audit_views,
    link_views,
    load_api_views,
    load_views,
    passkey_views,
    reauthentication_views,
    review_api_views,
    review_views,
    service_token_views,
    sign_in_views,
    token_views,
    user_views,
    views,
)
from contactpoint.web.assets import locate_assets, mount_assets
from contactpoint.web.authorisation import install_access_handlers, undeclared_routes
from contactpoint.web.dependencies import utc_now
from contactpoint.web.errors import UnexpectedErrorMiddleware, install_error_handlers
from contactpoint.web.forms import form_key
from contactpoint.web.request_ids import RequestIdMiddleware
from contactpoint.web.security import SecurityHeadersMiddleware
from contactpoint.web.templating import SERVICE_NAME, make_templates

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from contextlib import AbstractAsyncContextManager

    from sqlalchemy.engine import Engine

    from contactpoint.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    """The ContactPoint web application.

    Refuses (``SettingsError``) to build outside development mode with the default
    secret, and when GOV.UK Frontend's files have not been installed.
    """
    secret = settings.require_secret()
    assets = locate_assets(settings)
    engine = engine_from_settings(settings)
    app = FastAPI(
        title=SERVICE_NAME,
        lifespan=_disposing(engine),
        # The interactive docs load their scripts from a CDN, which our CSP refuses;
        # the schema is published outside production only, until access control covers it.
        docs_url=None,
        redoc_url=None,
        openapi_url=None if settings.mode is Mode.PRODUCTION else "/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.templates = make_templates(assets)
    app.state.sealer = Sealer(secret)
    app.state.form_key = form_key(secret)
    app.state.clock = utc_now
    # The last added runs first: ids and headers wrap the 500 page too.
    app.add_middleware(UnexpectedErrorMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, strict_transport=settings.mode is Mode.PRODUCTION)
    app.add_middleware(RequestIdMiddleware)
    install_error_handlers(app)
    install_access_handlers(app)
    for router in (views.router, sign_in_views.router, link_views.router, account_views.router):
        app.include_router(router)
    app.include_router(audit_views.router)
    app.include_router(reauthentication_views.router)
    app.include_router(passkey_views.router)
    app.include_router(user_views.router)
    app.include_router(api_views.router)
    app.include_router(token_views.router)
    app.include_router(service_token_views.router)
    app.include_router(audit_api_views.router)
    app.include_router(review_views.router)
    app.include_router(review_api_views.router)
    app.include_router(load_views.router)
    app.include_router(load_api_views.router)
    mount_assets(app, assets)
    return app


def _disposing(engine: Engine) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        undeclared = undeclared_routes(app)
        if undeclared:
            # Safety is never opt-in: a route with no access requirement stops the service.
            raise SettingsError(f"routes without an access requirement: {', '.join(undeclared)}")
        try:
            yield
        finally:
            engine.dispose()

    return lifespan
