"""Every response carries the security headers; nothing that may hold personal data is cached."""

from __future__ import annotations

import re

import pytest

from contactpoint.settings import Mode
from contactpoint.web.app import create_app

from markup import parse_html

PAGES = [
    ("GET", "/"),
    ("GET", "/no-such-page"),
    ("POST", "/"),
    ("GET", "/test-only/numbers?number=not-a-number"),
    ("GET", "/test-only/failure"),
    ("GET", "/health"),
    ("GET", "/static/no-such-file.css"),
]
ASSETS = [
    "/static/govuk-frontend.min.css",
    "/static/govuk-frontend.min.js",
    "/assets/images/favicon.svg",
    "/assets/fonts/bold-b542beb274-v2.woff2",
]
EXPECTED_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}
CSP_NONCE = re.compile(r"script-src 'self' 'nonce-([A-Za-z0-9_-]{20,})'")


def _nonce(response) -> str:
    match = CSP_NONCE.search(response.headers["content-security-policy"])
    assert match, response.headers["content-security-policy"]
    return match.group(1)


@pytest.mark.parametrize(("method", "path"), PAGES)
def test_every_page_and_error_carries_the_security_headers(client, method, path):
    response = client.request(method, path)

    for name, value in EXPECTED_HEADERS.items():
        assert response.headers[name] == value
    policy = response.headers["content-security-policy"]
    for directive in ("default-src 'self'", "object-src 'none'", "frame-ancestors 'none'"):
        assert directive in policy
    assert "camera=()" in response.headers["permissions-policy"]
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


@pytest.mark.parametrize(("method", "path"), PAGES)
def test_no_page_or_error_may_be_stored_by_any_cache(client, method, path):
    assert client.request(method, path).headers["cache-control"] == "no-store"


@pytest.mark.parametrize("path", ASSETS)
def test_govuk_frontend_files_are_served_with_a_long_cache(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "content-security-policy" in response.headers


def test_the_page_links_its_stylesheet_and_script_by_fingerprinted_urls_that_are_served(client):
    page = client.get("/").text
    urls = re.findall(r"/static/govuk-frontend\.min\.(?:css|js)\?v=[0-9a-f]{12}", page)

    assert len(set(urls)) == 2
    for url in urls:
        assert client.get(url).status_code == 200


def test_each_request_gets_its_own_csp_nonce_and_request_id(client):
    first, second = client.get("/"), client.get("/")

    assert _nonce(first) != _nonce(second)
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


@pytest.mark.parametrize("path", ["/", "/no-such-page", "/test-only/failure"])
def test_every_inline_script_carries_the_nonce_of_its_response(client, path):
    response = client.get(path)
    inline_scripts = [
        script for script in parse_html(response.text).iter("script") if "src" not in script.attrib
    ]

    assert inline_scripts
    assert {script.get("nonce") for script in inline_scripts} == {_nonce(response)}


def test_a_request_id_sent_by_the_client_is_ignored(client):
    response = client.get("/", headers={"X-Request-ID": "forged\nlog line"})

    assert response.headers["x-request-id"] != "forged\nlog line"


def test_strict_transport_security_is_sent_in_production_only(client, client_for, web_settings):
    production = client_for(create_app(web_settings.model_copy(update={"mode": Mode.PRODUCTION})))

    assert "strict-transport-security" not in client.get("/").headers
    assert production.get("/").headers["strict-transport-security"] == (
        "max-age=31536000; includeSubDomains"
    )
