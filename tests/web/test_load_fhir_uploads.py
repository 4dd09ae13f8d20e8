"""The upload page takes FHIR R4 Patients (a Bundle or NDJSON) beside CSV, over real HTTP."""

from __future__ import annotations

import json
from http import HTTPStatus

import httpx
import pytest
from load_managers import TWO_CHILDREN, DataManager, loads_held
from sqlalchemy import select

from contactpoint.feeds.models import FeedLoad

from markup import parse_html, text_of_class

PATIENTS = [
    {"resourceType": "Patient", "id": "P1", "name": [{"family": "Barton", "given": ["Amelia"]}],
     "birthDate": "2014-07-21", "address": [{"postalCode": "OX5 9JP"}]},
    {"resourceType": "Patient", "id": "P2", "name": [{"family": "Hughes", "given": ["Oliver"]}],
     "birthDate": "2015-02-03", "address": [{"postalCode": "not a postcode"}]},
    {"resourceType": "Observation", "id": "O1"},
]  # fmt: skip
NDJSON = "".join(json.dumps(resource) + "\n" for resource in PATIENTS).encode()
BUNDLE = json.dumps(
    {"resourceType": "Bundle", "type": "collection",
     "entry": [{"resource": resource} for resource in PATIENTS]}
).encode()  # fmt: skip


@pytest.fixture
def http(live_server):
    with httpx.Client(base_url=live_server, timeout=60) as client:
        yield client


@pytest.fixture
def manager(app, http) -> DataManager:
    return DataManager(app, http)


def test_the_upload_page_offers_csv_and_fhir_with_csv_chosen(manager):
    page = manager.get("/sources/oxford_social_care/upload").text

    assert 'name="format" type="radio" value="csv" checked' in page
    assert 'name="format" type="radio" value="fhir"' in page
    assert "FHIR R4 Patients" in page


@pytest.mark.parametrize(
    ("data", "file_name"), [(NDJSON, "health.ndjson"), (BUNDLE, "health.json")]
)
def test_fhir_patients_load_and_the_report_names_each_resources_problems(manager, data, file_name):
    response = manager.upload(data, file_name=file_name, format="fhir")

    assert response.status_code == HTTPStatus.SEE_OTHER, response.text
    report = manager.get(response.headers["location"])
    page = parse_html(report.text)
    counts = text_of_class(page, "app-load-counts")
    assert "Rows read 3" in counts
    assert "Inserted 2" in counts
    assert "Rejected 1" in counts
    problems = text_of_class(page, "app-load-problems")
    assert "address[0].postalCode" in problems  # the field, by its JSON path
    unit = "entry" if data is BUNDLE else "line"
    assert f"{unit} 3 is an Observation, not a Patient" in problems
    assert file_name in report.text


def test_a_fhir_file_that_is_not_json_is_refused_and_the_report_says_why(app, manager):
    response = manager.upload(b"record_id,given_name\r\nR1,Amelia\r\n", format="fhir")

    report = manager.get(response.headers["location"])

    refusal = text_of_class(parse_html(report.text), "app-load-refusal")
    assert "not valid JSON" in refusal
    assert "Refused" in report.text
    with app.state.sessions() as session:
        assert session.scalar(select(FeedLoad.inserted)) == 0


def test_fhir_for_the_involvement_feed_is_named_against_the_format_and_nothing_loads(app, manager):
    response = manager.upload(NDJSON, format="fhir", feed="involvements")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    summary = text_of_class(parse_html(response.text), "govuk-error-summary")
    assert "A FHIR extract carries children (Patient resources) only" in summary
    assert 'href="#format"' in response.text
    assert 'value="fhir" checked' in response.text  # the choice is kept for correcting
    assert loads_held(app) == 0


def test_an_unknown_format_is_named_and_nothing_loads(app, manager):
    response = manager.upload(TWO_CHILDREN, format="xml")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    summary = text_of_class(parse_html(response.text), "govuk-error-summary")
    assert "Choose the file's format: CSV, or FHIR R4 Patients" in summary
    assert loads_held(app) == 0


def test_csv_chosen_as_the_format_loads_as_before(manager):
    response = manager.upload(TWO_CHILDREN, format="csv")

    report = manager.get(response.headers["location"])

    assert "Inserted 2" in text_of_class(parse_html(report.text), "app-load-counts")


def test_a_fhir_file_over_the_cap_is_refused_with_413_naming_the_cap(app, manager, web_settings):
    app.state.upload_size_cap = 200

    response = manager.upload(NDJSON * 3, format="fhir")

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    summary = text_of_class(parse_html(response.text), "govuk-error-summary")
    assert "larger than the 200 bytes a load accepts" in summary
    assert loads_held(app) == 0
    assert not any((web_settings.data_dir / "uploads").iterdir())


def test_a_fhir_dry_run_reports_and_keeps_nothing(app, manager):
    response = manager.upload(NDJSON, format="fhir", dry_run="yes")

    assert response.status_code == HTTPStatus.OK
    assert "Inserted 2" in text_of_class(parse_html(response.text), "app-load-counts")
    assert loads_held(app) == 0
