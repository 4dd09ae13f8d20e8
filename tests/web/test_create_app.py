"""create_app builds everything from settings, refuses unsafe ones, and imports do nothing."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from anyio.from_thread import start_blocking_portal
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.engine import Engine

import contactpoint.web
from contactpoint.settings import DEFAULT_SECRET, Mode, Settings, SettingsError
from contactpoint.web.app import create_app
from contactpoint.web.assets import MissingAssetsError


def test_the_web_service_refuses_production_mode_with_the_default_secret(web_settings):
    settings = web_settings.model_copy(
        update={"mode": Mode.PRODUCTION, "secret_key": SecretStr(DEFAULT_SECRET)}
    )

    with pytest.raises(SettingsError, match="CONTACTPOINT_SECRET_KEY"):
        create_app(settings)


def test_the_web_service_starts_in_development_mode_with_the_default_secret(web_settings):
    settings = web_settings.model_copy(
        update={"mode": Mode.DEVELOPMENT, "secret_key": SecretStr(DEFAULT_SECRET)}
    )

    assert isinstance(create_app(settings), FastAPI)


def test_missing_govuk_frontend_files_are_reported_with_how_to_install_them(web_settings, tmp_path):
    settings = web_settings.model_copy(update={"assets_dir": tmp_path / "nowhere"})

    with pytest.raises(MissingAssetsError, match=r"make assets.*npm ci"):
        create_app(settings)


def test_importing_the_web_layer_builds_no_app_engine_or_settings():
    kinds = (FastAPI, Engine, Settings)
    built = [
        f"{module.name}.{name}"
        for module in pkgutil.iter_modules(contactpoint.web.__path__, "contactpoint.web.")
        for name, value in vars(importlib.import_module(module.name)).items()
        if isinstance(value, kinds)
    ]

    assert built == []


def test_the_app_keeps_its_engine_and_sessions_and_disposes_the_engine_at_shutdown(app):
    engine = app.state.engine
    pool_in_use = engine.pool

    # A portal's own thread: Playwright may be running an event loop in this one.
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(app.router.lifespan_context(app)),
    ):
        pass

    assert isinstance(engine, Engine)
    assert app.state.sessions.kw["bind"] is engine
    assert engine.pool is not pool_in_use  # dispose() replaces the pool


@pytest.mark.parametrize(
    ("mode", "schema_status"), [(Mode.PRODUCTION, 404), (Mode.TEST, 200), (Mode.DEVELOPMENT, 200)]
)
def test_the_api_schema_is_published_outside_production_and_the_docs_pages_never(
    client_for, web_settings, mode, schema_status
):
    client = client_for(create_app(web_settings.model_copy(update={"mode": mode})))

    assert client.get("/openapi.json").status_code == schema_status
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404
