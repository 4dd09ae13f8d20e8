"""The feeds API over real HTTP: sources, extracts sent as the body under the cap, reports."""

from __future__ import annotations

from http import HTTPStatus

import httpx
import pytest
from sqlalchemy import func, select
from test_api_tokens import OPERATOR, bearer, issue_token

from contactpoint.access.permissions import Permission
from contactpoint.access.policy import Role
from contactpoint.access.tokens import issue_token_for_service_account
from contactpoint.feeds.models import FeedLoad
from contactpoint.linkage.models import LinkageIndexState
from contactpoint.organisations.models import Organisation
from contactpoint.provenance.models import Source, SourceKind

import factories
from accounts import Account, denials_of
from factories import NOW

SOURCES = "/api/v1/sources"
LOADS = "/api/v1/sources/oxford_social_care/loads"
CSV = {"Content-Type": "text/csv"}
HEADER = "record_id,given_name,family_name,date_of_birth,postcode"
TWO_CHILDREN = (
    f"{HEADER}\r\nR1,Amelia,Barton,2014-07-21,OX5 9JP\r\n"
    "R2,Oliver,Hughes,2015-02-03,not a postcode\r\n"
).encode()
LOADING_SCOPES = (
    Permission.FEEDS_LOAD_RUN,
    Permission.FEEDS_LOAD_SUBMIT,
    Permission.FEEDS_SOURCE_MANAGE,
)


@pytest.fixture
def manager(app):
    """A data manager with a local source of their organisation, and their API token."""
    with app.state.sessions() as session:
        user = factories.data_manager(session)
        session.add(
            Source(name="oxford_social_care", kind=SourceKind.LOCAL, organisation=user.organisation)
        )
        session.commit()
        account = Account(app, user)
        account.organisation_id = user.organisation_id  # type: ignore[attr-defined]
    token = issue_token(app, account, scopes=LOADING_SCOPES, role=Role.DATA_MANAGER)
    return account, bearer(token)


@pytest.fixture
def http(live_server):
    with httpx.Client(base_url=live_server, timeout=60) as client:
        yield client


def _loads(app) -> int:
    with app.state.sessions() as session:
        return int(session.scalar(select(func.count(FeedLoad.id))) or 0)


def test_an_extract_sent_as_the_body_is_loaded_and_its_report_is_found_where_it_says(
    app, http, manager
):
    _, headers = manager

    sent = http.post(
        LOADS, params={"extracted_on": "2026-11-20"}, content=TWO_CHILDREN, headers=headers | CSV
    )
    report = http.get(sent.headers["location"], headers=headers)

    assert sent.status_code == HTTPStatus.CREATED, sent.text
    assert sent.json()["counts"]["inserted"] == 2
    assert report.status_code == HTTPStatus.OK
    body = report.json()
    assert body["status"] == "completed"
    assert body["extracted_on"] == "2026-11-20"
    assert body["counts"]["rows_read"] == 2
    assert body["counts"]["new_children"] == 2
    assert body["problems"]["total"] == 1
    [problem] = body["problems"]["rows"]
    assert (problem["level"], problem["line"], problem["column"]) == ("field", 3, "postcode")


def test_a_streamed_body_over_the_cap_is_refused_with_413_naming_the_cap(app, http, manager):
    _, headers = manager
    app.state.upload_size_cap = 1000

    def chunks():  # no Content-Length: the cap is enforced while the body streams
        yield TWO_CHILDREN
        for _ in range(50):
            yield b"R3,Ava,Khan,2016-01-01,\r\n"

    response = http.post(LOADS, content=chunks(), headers=headers | CSV)

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert "larger than the 1,000 bytes a load accepts" in response.json()["detail"]
    assert _loads(app) == 0
    assert not any((app.state.settings.data_dir / "uploads").iterdir())


def test_a_declared_length_over_the_cap_is_refused_before_the_body_is_read(app, http, manager):
    _, headers = manager
    app.state.upload_size_cap = 100

    response = http.post(LOADS, content=TWO_CHILDREN, headers=headers | CSV)

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert "100 bytes" in response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"extracted_on": "2026-02-30"}, "extracted_on"),
        ({"extracted_on": "20/11/2026"}, "extracted_on"),
        ({"feed": "parents"}, "feed"),
        ({"mode": "partial"}, "mode"),
    ],
)
def test_a_bad_option_is_a_422_naming_the_query_parameter(app, http, manager, params, named):
    _, headers = manager

    response = http.post(LOADS, params=params, content=TWO_CHILDREN, headers=headers | CSV)

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert [error["location"] for error in response.json()["errors"]] == [["query", named]]
    assert _loads(app) == 0


def test_an_empty_body_and_a_body_that_is_not_csv_are_refused(app, http, manager):
    _, headers = manager

    empty = http.post(LOADS, content=b"", headers=headers | CSV)
    as_json = http.post(LOADS, json={"rows": []}, headers=headers)

    assert empty.status_code == HTTPStatus.BAD_REQUEST
    assert "The body is empty" in empty.json()["detail"]
    assert as_json.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    assert "Content-Type: text/csv" in as_json.json()["detail"]
    assert _loads(app) == 0


def test_an_unknown_source_is_a_404_that_says_how_to_register_it(http, manager):
    _, headers = manager

    response = http.post(
        "/api/v1/sources/no_such_source/loads", content=TWO_CHILDREN, headers=headers | CSV
    )

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert "POST /api/v1/sources" in response.json()["detail"]


def test_a_source_beyond_reach_is_a_403_and_the_refusal_is_audited(app, http, manager):
    account, headers = manager
    with app.state.sessions() as session:
        other = factories.accredited_organisation(session)
        session.add(Source(name="elsewhere", kind=SourceKind.LOCAL, organisation=other))
        session.commit()

    response = http.post(
        "/api/v1/sources/elsewhere/loads", content=TWO_CHILDREN, headers=headers | CSV
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "only for your organisation" in response.json()["detail"]
    assert denials_of(app, account) == 1
    assert _loads(app) == 0


def test_a_refused_file_is_a_422_with_its_reason_and_a_dry_run_keeps_nothing(app, http, manager):
    _, headers = manager

    refused = http.post(
        LOADS, content=b"record_id,given_name\r\nR1,Amelia\r\n", headers=headers | CSV
    )
    dry = http.post(LOADS, params={"dry_run": "true"}, content=TWO_CHILDREN, headers=headers | CSV)

    assert refused.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert refused.json()["status"] == "refused"
    assert "family_name" in refused.json()["refusal"]
    assert dry.status_code == HTTPStatus.OK
    assert dry.json()["id"] is None
    assert dry.json()["counts"]["inserted"] == 2
    assert _loads(app) == 1  # the refused load is kept, with its reason; the dry run is not


def test_a_reports_problems_are_paged_with_links_and_filtered_by_level(http, manager):
    _, headers = manager
    rows = "".join(f"R{n},Amelia,Barton,2014-07-21,bad\r\n" for n in range(1, 131))
    sent = http.post(LOADS, content=f"{HEADER}\r\n{rows}".encode(), headers=headers | CSV)
    location = sent.headers["location"]

    first = http.get(location, headers=headers).json()["problems"]
    second = http.get(first["links"]["next"], headers=headers).json()["problems"]
    rows_only = http.get(location, params={"level": "row"}, headers=headers).json()["problems"]
    beyond = http.get(location, params={"page": 3}, headers=headers)
    bad_level = http.get(location, params={"level": "serious"}, headers=headers)

    assert (first["total"], first["pages"], len(first["rows"])) == (130, 2, 100)
    assert first["links"]["previous"] is None
    assert [row["line"] for row in second["rows"]] == list(range(102, 132))
    assert second["links"]["next"] is None
    assert rows_only["total"] == 0
    assert beyond.status_code == HTTPStatus.NOT_FOUND
    assert bad_level.status_code == HTTPStatus.UNPROCESSABLE_ENTITY


def test_a_data_manager_registers_a_local_source_once_and_sees_only_sources_within_reach(
    app, http, manager
):
    account, headers = manager
    new_source = {"name": "abingdon_youth", "kind": "local", "trusted_for": ["gender"]}

    created = http.post(SOURCES, json=new_source, headers=headers)
    again = http.post(SOURCES, json=new_source, headers=headers)
    national = http.post(SOURCES, json={"name": "health", "kind": "national"}, headers=headers)
    bad_name = http.post(SOURCES, json={"name": "Health Feed", "kind": "local"}, headers=headers)
    listed = http.get(SOURCES, headers=headers)

    assert created.status_code == HTTPStatus.CREATED
    assert created.json()["organisation_id"] == account.organisation_id
    assert created.json()["trusted_for"] == ["gender"]
    assert again.status_code == HTTPStatus.OK
    assert national.status_code == HTTPStatus.FORBIDDEN
    assert denials_of(app, account) == 1
    assert bad_name.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert bad_name.json()["errors"][0]["location"] == ["body", "name"]
    assert [source["name"] for source in listed.json()] == ["abingdon_youth", "oxford_social_care"]


def test_a_national_administrator_registers_a_national_source(app, http):
    with app.state.sessions() as session:
        account = Account(app, factories.national_administrator(session))
        session.commit()
    token = issue_token(
        app, account, scopes=(Permission.FEEDS_SOURCE_MANAGE,), role=Role.NATIONAL_ADMINISTRATOR
    )

    response = http.post(
        SOURCES, json={"name": "health", "kind": "national"}, headers=bearer(token)
    )

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["organisation_id"] is None


def test_a_service_accounts_token_submits_a_load_for_its_organisations_source(app, http, manager):
    account, _ = manager
    with app.state.sessions() as session:
        organisation = session.get(Organisation, account.organisation_id)
        issued = issue_token_for_service_account(
            session, by=OPERATOR, name="Feed sender", organisation=organisation,
            scopes=[Permission.FEEDS_LOAD_SUBMIT], now=NOW,
        )  # fmt: skip
        session.commit()

    response = http.post(LOADS, content=TWO_CHILDREN, headers=bearer(issued.token) | CSV)

    assert response.status_code == HTTPStatus.CREATED, response.text


PATIENTS = (
    b'{"resourceType": "Patient", "id": "P1", "name": [{"use": "official", "family": "Barton",'
    b' "given": ["Amelia"]}], "birthDate": "2014-07-21", "gender": "female"}\n'
    b'{"resourceType": "Observation", "id": "O1"}\n'
)


def test_fhir_patients_sent_as_ndjson_load_like_the_child_feed(app, http, manager):
    _, headers = manager
    ndjson = {"Content-Type": "application/fhir+ndjson"}

    sent = http.post(LOADS, params={"format": "fhir"}, content=PATIENTS, headers=headers | ndjson)

    assert sent.status_code == HTTPStatus.CREATED, sent.text
    assert (sent.json()["counts"]["inserted"], sent.json()["counts"]["rejected"]) == (1, 1)


def test_fhir_sent_as_csv_or_an_unknown_format_is_refused_saying_what_to_send(app, http, manager):
    _, headers = manager

    as_csv = http.post(LOADS, params={"format": "fhir"}, content=PATIENTS, headers=headers | CSV)
    unknown = http.post(LOADS, params={"format": "xml"}, content=PATIENTS, headers=headers | CSV)

    assert as_csv.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    assert "application/fhir+ndjson" in as_csv.text
    assert unknown.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "csv or fhir" in unknown.text
    assert _loads(app) == 0


def test_fhir_for_the_involvement_feed_is_refused_as_bad_input_and_nothing_loads(
    app, http, manager
):
    _, headers = manager
    ndjson = {"Content-Type": "application/fhir+ndjson"}

    sent = http.post(
        LOADS, params={"format": "fhir", "feed": "involvements"}, content=PATIENTS,
        headers=headers | ndjson,
    )  # fmt: skip

    assert sent.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "format" in sent.json()["errors"][0]["location"]
    assert _loads(app) == 0


def test_a_load_that_cannot_start_is_refused_with_409_saying_what_to_do(app, http, manager):
    _, headers = manager
    first = http.post(
        LOADS, params={"extracted_on": "2026-11-20"}, content=TWO_CHILDREN, headers=headers | CSV
    )
    assert first.status_code == HTTPStatus.CREATED, first.text
    with app.state.sessions() as session:
        state = session.get(LinkageIndexState, 1)
        assert state is not None
        state.keys_version = "2026.11-k1"
        session.commit()

    response = http.post(
        LOADS, params={"extracted_on": "2026-11-21"}, content=TWO_CHILDREN, headers=headers | CSV
    )

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "contactpoint linkage reindex" in response.json()["detail"]
    assert _loads(app) == 1
