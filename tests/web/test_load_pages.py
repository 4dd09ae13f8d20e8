"""Sources, uploads and load reports as pages: streamed under the cap, within reach, reported."""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select
from starlette.requests import Request

from contactpoint.access.policy import Role
from contactpoint.feeds.models import FeedLoad, FeedLoadProblem, LoadMode, LoadStatus
from contactpoint.linkage.models import LinkageIndexState
from contactpoint.provenance.models import Feed, Source, SourceKind

import factories
from accounts import (
    Account,
    denials_of,
    form_token,
    open_session_for,
    session_cookie,
)
from markup import parse_html, text_of, text_of_class

if TYPE_CHECKING:
    from pathlib import Path

HEADER = "record_id,given_name,family_name,date_of_birth,postcode"
TWO_CHILDREN = (
    f"{HEADER}\r\nR1,Amelia,Barton,2014-07-21,OX5 9JP\r\n"
    "R2,Oliver,Hughes,2015-02-03,not a postcode\r\n"
).encode()
DATE = {"extracted_on-day": "20", "extracted_on-month": "11", "extracted_on-year": "2026"}


class DataManager:
    """A signed-in data manager, with a local source of their organisation."""

    def __init__(self, app, client) -> None:
        with app.state.sessions() as session:
            user = factories.data_manager(session)
            source = Source(
                name="oxford_social_care", kind=SourceKind.LOCAL, organisation=user.organisation
            )
            session.add(source)
            session.commit()
            self.account = Account(app, user)
            self.organisation_id = user.organisation_id
        self.app, self.client = app, client
        self.headers = session_cookie(open_session_for(app, self.account, Role.DATA_MANAGER))

    def get(self, path: str):
        return self.client.get(path, headers=self.headers, follow_redirects=False)

    def upload(self, data: bytes, *, source: str = "oxford_social_care", token=None, **fields):
        if token is None:
            token = form_token(self.get(f"/sources/{source}/upload").text)
        form = {"csrf_token": token, "feed": "children", "mode": "full", **DATE, **fields}
        return self.client.post(
            f"/sources/{source}/upload",
            data=form,
            files={"extract": ("children.csv", data, "text/csv")},
            headers=self.headers,
            follow_redirects=False,
        )


@pytest.fixture
def manager(app, client) -> DataManager:
    return DataManager(app, client)


def _loads(app) -> int:
    with app.state.sessions() as session:
        return int(session.scalar(select(func.count(FeedLoad.id))) or 0)


def _uploads_left(settings) -> list[Path]:
    folder = settings.data_dir / "uploads"
    return list(folder.iterdir()) if folder.exists() else []


def test_an_uploaded_extract_is_loaded_and_its_report_shows_counts_and_problems(
    manager, web_settings
):
    response = manager.upload(TWO_CHILDREN)

    assert response.status_code == HTTPStatus.SEE_OTHER, response.text
    report = manager.get(response.headers["location"])
    page = parse_html(report.text)
    counts = text_of_class(page, "app-load-counts")
    assert "Rows read 2" in counts
    assert "Inserted 2" in counts
    assert "New child 2" in counts
    problems = text_of_class(page, "app-load-problems")
    assert "field 3 postcode" in problems  # level, line, column: the second row's postcode
    assert _uploads_left(web_settings) == []  # the temporary file is gone


def test_the_upload_is_streamed_never_read_as_a_whole_form(manager, monkeypatch):
    def spooling(*_args, **_kwargs):
        raise AssertionError("the upload was read whole by Starlette's form parser")

    monkeypatch.setattr(Request, "form", spooling)

    response = manager.upload(TWO_CHILDREN)

    assert response.status_code == HTTPStatus.SEE_OTHER


def test_a_file_over_the_cap_is_refused_with_413_naming_the_cap_and_nothing_is_kept(
    app, manager, web_settings
):
    app.state.upload_size_cap = 100

    response = manager.upload(TWO_CHILDREN + b"R3,Ava,Khan,2016-01-01,\r\n" * 20)

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    summary = text_of_class(parse_html(response.text), "govuk-error-summary")
    assert "larger than the 100 bytes a load accepts" in summary
    assert _loads(app) == 0
    assert _uploads_left(web_settings) == []


def test_an_upload_without_the_form_token_stores_nothing(app, manager, web_settings):
    response = manager.upload(TWO_CHILDREN, token="forged")  # noqa: S106 - not a password

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert _loads(app) == 0
    assert _uploads_left(web_settings) == []


def test_an_empty_file_a_wrong_date_and_an_unknown_feed_are_each_named(app, manager):
    response = manager.upload(
        b"", **{"extracted_on-day": "31", "extracted_on-month": "2"}, feed="x"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    summary = text_of_class(parse_html(response.text), "govuk-error-summary")
    assert "The chosen file is empty" in summary
    assert "Enter the date the extract was taken as a real date" in summary
    assert "Choose which feed the extract is" in summary
    assert 'href="#extracted_on"' in response.text
    assert _loads(app) == 0


def test_a_file_with_a_file_level_problem_is_refused_and_shows_why(app, manager):
    response = manager.upload(b"record_id,given_name,date_of_birth\r\nR1,Amelia,2014-07-21\r\n")

    report = manager.get(response.headers["location"])

    refusal = text_of_class(parse_html(report.text), "app-load-refusal")
    assert "family_name" in refusal
    assert "Refused" in report.text
    with app.state.sessions() as session:
        assert session.scalar(select(FeedLoad.inserted)) == 0


def test_a_dry_run_reports_and_changes_nothing(app, manager):
    response = manager.upload(TWO_CHILDREN, dry_run="yes")

    assert response.status_code == HTTPStatus.OK
    page = parse_html(response.text)
    assert text_of(page, "h1") == "Dry run: nothing was changed"
    assert "Inserted 2" in text_of_class(page, "app-load-counts")
    assert _loads(app) == 0


def test_an_unknown_source_says_how_to_register_it(manager):
    response = manager.get("/sources/no_such_source/upload")

    assert response.status_code == HTTPStatus.NOT_FOUND
    message = text_of_class(parse_html(response.text), "app-problem")
    assert "No source is registered as 'no_such_source'" in message
    assert "/sources" in message


def test_a_source_of_another_organisation_is_refused_and_the_refusal_audited(app, manager):
    with app.state.sessions() as session:
        other = factories.accredited_organisation(session)
        session.add(Source(name="elsewhere", kind=SourceKind.LOCAL, organisation=other))
        session.commit()

    loads = manager.get("/sources/elsewhere")
    upload = manager.upload(TWO_CHILDREN, source="elsewhere", token="")

    assert loads.status_code == upload.status_code == HTTPStatus.FORBIDDEN
    assert "only for your organisation" in loads.text
    assert denials_of(app, manager.account) == 2
    assert _loads(app) == 0


def test_the_sources_page_lists_only_sources_within_reach_and_registers_a_local_one(app, manager):
    with app.state.sessions() as session:
        other = factories.accredited_organisation(session)
        session.add(Source(name="elsewhere", kind=SourceKind.LOCAL, organisation=other))
        session.commit()
    page = manager.get("/sources")
    token = form_token(page.text)

    registered = manager.client.post(
        "/sources",
        data={"csrf_token": token, "name": "abingdon_youth", "kind": "local",
              "trusted_for": ["gender"]},
        headers=manager.headers,
        follow_redirects=False,
    )  # fmt: skip
    listing = manager.get(registered.headers["location"])

    assert "elsewhere" not in page.text
    assert "oxford_social_care" in page.text
    assert registered.status_code == HTTPStatus.SEE_OTHER
    assert "Source abingdon_youth registered" in listing.text
    with app.state.sessions() as session:
        source = session.scalar(select(Source).where(Source.name == "abingdon_youth"))
        assert source.organisation_id == manager.organisation_id
        assert source.trusted_for == "gender"


def test_a_data_manager_cannot_register_a_national_source_and_the_refusal_is_audited(app, manager):
    token = form_token(manager.get("/sources").text)

    response = manager.client.post(
        "/sources",
        data={"csrf_token": token, "name": "health", "kind": "national"},
        headers=manager.headers,
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert denials_of(app, manager.account) == 1
    with app.state.sessions() as session:
        assert session.scalar(select(Source).where(Source.name == "health")) is None


def test_a_bad_source_name_is_named_against_its_field(manager):
    token = form_token(manager.get("/sources").text)

    response = manager.client.post(
        "/sources",
        data={"csrf_token": token, "name": "Oxford Social Care", "kind": "local"},
        headers=manager.headers,
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    summary = text_of_class(parse_html(response.text), "govuk-error-summary")
    assert "lower-case letters, digits and underscores" in summary
    assert 'href="#name"' in response.text


def test_a_reports_problems_come_a_page_at_a_time_and_filter_by_level(app, manager):
    rows = "".join(f"R{n},Amelia,Barton,2014-07-21,bad\r\n" for n in range(1, 131))
    response = manager.upload(f"{HEADER}\r\n{rows}".encode())
    path = response.headers["location"]

    first = text_of_class(parse_html(manager.get(path).text), "app-load-problems")
    second = text_of_class(parse_html(manager.get(f"{path}?page=2").text), "app-load-problems")
    rows_only = manager.get(f"{path}?level=row")
    beyond = manager.get(f"{path}?page=3")

    assert "130 problems, page 1 of 2" in first
    assert "field 2 postcode" in first
    assert "field 131 postcode" not in first
    assert "130 problems, page 2 of 2" in second
    assert "field 131 postcode" in second
    assert "field 2 postcode" not in second
    assert "No problems at row level" in rows_only.text
    assert beyond.status_code == HTTPStatus.NOT_FOUND
    with app.state.sessions() as session:
        assert session.scalar(select(func.count(FeedLoadProblem.id))) == 130


def test_a_load_page_with_a_bad_page_number_is_a_bad_request(manager):
    response = manager.get(manager.upload(TWO_CHILDREN).headers["location"] + "?page=x")

    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_the_upload_form_sends_its_token_first_and_starts_from_children_full_and_today(
    manager,
):
    page = manager.get("/sources/oxford_social_care/upload").text
    form = page[page.index('enctype="multipart/form-data"') :]

    assert form.index('name="csrf_token"') < form.index('type="file"')
    assert 'value="children" checked' in form
    assert 'value="full" checked' in form
    assert 'name="extracted_on-day" type="text" value="25"' in form  # the app's clock: 25 Nov


def test_a_form_field_past_its_limit_stops_the_upload_with_a_400(app, manager):
    response = manager.upload(TWO_CHILDREN, feed="children" + " " * 20_000)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "too long" in text_of_class(parse_html(response.text), "app-problem")
    assert _loads(app) == 0


def _index_of_another_release(app) -> str:
    with app.state.sessions() as session:
        state = session.get(LinkageIndexState, 1)
        assert state is not None
        state.keys_version = "2026.11-k1"
        session.commit()
    return "contactpoint linkage reindex"


def _another_load_part_applied(app) -> str:
    with app.state.sessions() as session:
        source = session.scalars(select(Source).where(Source.name == "oxford_social_care")).one()
        session.add(FeedLoad(
            source=source, feed=Feed.CHILDREN, mode=LoadMode.FULL, status=LoadStatus.APPLYING,
            file_name="earlier.csv", file_digest="0" * 64, extracted_on=dt.date(2026, 11, 19),
            loaded_by="someone else",
        ))  # fmt: skip
        session.commit()
    return "was interrupted part way; run that same command again"


@pytest.mark.parametrize("cause", [_index_of_another_release, _another_load_part_applied])
def test_a_load_that_cannot_start_is_refused_on_the_page_saying_what_to_do(
    app, manager, web_settings, cause
):
    """409, what to do first named, the upload not kept (it used to be a server error)."""
    assert manager.upload(TWO_CHILDREN).status_code == HTTPStatus.SEE_OTHER
    what_to_do = cause(app)
    loads_before = _loads(app)

    response = manager.upload(TWO_CHILDREN.replace(b"R1,", b"R3,"))

    assert response.status_code == HTTPStatus.CONFLICT
    summary = text_of_class(parse_html(response.text), "govuk-error-summary")
    assert "The extract was not loaded" in summary
    assert what_to_do in summary
    assert _loads(app) == loads_before
    assert _uploads_left(web_settings) == []
