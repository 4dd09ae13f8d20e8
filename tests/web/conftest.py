"""Fixtures for the web layer: settings, the app, an in-process client, a live server."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import httpx
import pytest
import uvicorn
from anyio.from_thread import BlockingPortal, start_blocking_portal
from playwright.sync_api import sync_playwright

from markup import parse_html
from web_app import Clock, build_app

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from fastapi import FastAPI
    from playwright.sync_api import Browser, Page


@pytest.fixture
def web_settings(app_settings):
    # The one place the web tests get their settings: a fresh migrated database of
    # their own, so every web test runs on SQLite and on PostgreSQL.
    return app_settings


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(web_settings, clock):
    return build_app(web_settings, clock)


class WebClient:
    """A synchronous client over the app in process; every HTML response is checked."""

    def __init__(self, portal: BlockingPortal, client: httpx.AsyncClient) -> None:
        self._portal = portal
        self._client = client

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self._portal.call(partial(self._client.request, method, path, **kwargs))
        if response.headers.get("content-type", "").startswith("text/html"):
            parse_html(response.text)  # fails on malformed markup
        return response

    @property
    def cookies(self) -> httpx.Cookies:
        """The cookies the app has set, as a browser would keep them."""
        return self._client.cookies

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)


@contextmanager
def in_process(app: FastAPI) -> Iterator[WebClient]:
    # httpx's ASGI transport rather than starlette's TestClient, which warns that it
    # wants httpx2 (warnings are errors here). The app's lifespan runs around the client.
    transport = httpx.ASGITransport(app=app)
    with start_blocking_portal() as portal:
        http = httpx.AsyncClient(transport=transport, base_url="http://contactpoint.test")
        with (
            portal.wrap_async_context_manager(app.router.lifespan_context(app)),
            portal.wrap_async_context_manager(http),
        ):
            yield WebClient(portal, http)


@pytest.fixture
def client_for() -> Iterator[Callable[[FastAPI], WebClient]]:
    """Opens an in-process client on any app (for apps built from other settings)."""
    with ExitStack() as clients:
        yield lambda app: clients.enter_context(in_process(app))


@pytest.fixture
def client(app, client_for) -> WebClient:
    return client_for(app)


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """The app over real HTTP on a free local port, in a background thread."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(app, access_log=False, log_level="warning", ws="none", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        _wait_until_started(server, thread)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


def _wait_until_started(
    server: uvicorn.Server, thread: threading.Thread, timeout: float = 10.0
) -> None:
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the web server did not start")
        time.sleep(0.02)


@pytest.fixture
def live_server(app) -> Iterator[str]:
    with serving(app) as base_url:
        yield base_url


CHROMIUM: Final = Path("/usr/bin/chromium")
CHROMIUM_ARGS: Final = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), "
            "or leave out the browser tests with -m 'not browser'"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium) -> Iterator[Page]:
    context = chromium.new_context()
    yield context.new_page()
    context.close()
