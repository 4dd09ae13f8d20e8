"""The start page and the error pages, as HTML for browsers and as JSON for API clients."""

from __future__ import annotations

import logging

import pytest

from markup import parse_html, text_of, text_of_class

JSON = {"Accept": "application/json"}
PERSONAL_DATA = ("Amelia", "Hartley", "2014-03-02")


def test_the_start_page_describes_the_service_in_govuk_style(client):
    response = client.get("/")
    page = parse_html(response.text)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert page.get("lang") == "en-GB"
    assert text_of(page, "title") == "ContactPoint - GOV.UK"
    assert text_of(page, "h1") == "ContactPoint"
    assert page.find(".//a[@class='govuk-skip-link'][@href='#main-content']") is not None
    assert page.find(".//main[@id='main-content']") is not None
    assert text_of_class(page, "govuk-phase-banner").startswith("Alpha")
    assert text_of_class(page, "govuk-service-navigation") == "ContactPoint"


def test_the_start_page_links_only_to_pages_that_exist(client):
    page = parse_html(client.get("/").text)
    local_links = {
        link.get("href") for link in page.iter("a") if link.get("href", "").startswith("/")
    }

    assert local_links
    for href in local_links:
        assert client.get(href).status_code == 200, href


def test_an_unknown_address_shows_the_page_not_found_page(client):
    response = client.get("/no-such-page")
    page = parse_html(response.text)

    assert response.status_code == 404
    assert text_of(page, "title") == "Page not found - ContactPoint - GOV.UK"
    assert text_of(page, "h1") == "Page not found"


def test_an_api_client_gets_problem_details_for_an_unknown_address(client):
    response = client.get("/no-such-page", headers=JSON)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "request_id": response.headers["x-request-id"],
    }


def test_api_paths_answer_in_json_whatever_the_client_accepts(client):
    response = client.post("/health", headers={"Accept": "text/html"})

    assert response.status_code == 405
    assert response.json()["title"] == "Method Not Allowed"


def test_a_method_the_page_does_not_accept_is_refused_with_the_allowed_ones(client):
    response = client.post("/")

    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert text_of(parse_html(response.text), "h1") == "Sorry, we could not do that"


def test_invalid_input_is_refused_without_echoing_what_was_sent(client):
    response = client.get("/test-only/numbers?number=Amelia", headers=JSON)

    assert response.status_code == 422
    assert [error["location"] for error in response.json()["errors"]] == [["query", "number"]]
    assert "Amelia" not in response.text


def test_invalid_input_from_a_browser_gets_an_error_page(client):
    response = client.get("/test-only/numbers?number=Amelia")

    assert response.status_code == 422
    assert text_of(parse_html(response.text), "h1") == "Sorry, we could not do that"
    assert "Amelia" not in response.text


@pytest.mark.parametrize("headers", [{}, JSON], ids=["html", "json"])
def test_an_unexpected_error_shows_no_detail_and_logs_only_a_reference(client, caplog, headers):
    with caplog.at_level(logging.ERROR, logger="contactpoint.web"):
        response = client.get("/test-only/failure", headers=headers)
    reference = response.headers["x-request-id"]

    assert response.status_code == 500
    assert reference in response.text
    for leak in (*PERSONAL_DATA, "Traceback", "RuntimeError", "cannot link"):
        assert leak not in response.text
    [record] = caplog.records
    assert record.getMessage().startswith(
        f"unexpected RuntimeError in request {reference} at web_app.py:"
    )
    assert "failing_view" in record.getMessage()
    for leak in PERSONAL_DATA:
        assert leak not in caplog.text


def test_an_unexpected_error_page_is_the_govuk_pattern(client):
    page = parse_html(client.get("/test-only/failure").text)

    assert text_of(page, "h1") == "Sorry, there is a problem with the service"
    assert "Try again later." in text_of(page, "main")


def test_the_markup_check_rejects_malformed_html():
    with pytest.raises(Exception, match="Unexpected end tag"):
        parse_html("<!DOCTYPE html><html lang='en'><title>t</title><p>a</span></html>")
