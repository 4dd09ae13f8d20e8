"""Audit reports in the browser's pages: who viewed a child, what a user did, overrides."""

from __future__ import annotations

import datetime as dt
import json
import random
from http import HTTPStatus
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from contactpoint.access.models import UserAccount
from contactpoint.access.policy import Role
from contactpoint.audit.events import (
    Actor,
    EventType,
    record_view_event,
    search_event,
    shield_override_event,
)
from contactpoint.audit.models import AuditEventDetails, AuditEventRow
from contactpoint.audit.services import record
from contactpoint.identifiers.contactpoint_id import generate_contactpoint_id

import factories
from accounts import Account, denials_of, make_account, open_session_for, session_cookie
from browser import assert_accessible
from factories import NOW
from markup import parse_html, text_of_class

if TYPE_CHECKING:
    from fastapi import FastAPI

CHILD = generate_contactpoint_id(random.Random(7))
OTHER_CHILD = generate_contactpoint_id(random.Random(8))
YESTERDAY = NOW - dt.timedelta(days=1)
LAST_MONTH = NOW - dt.timedelta(days=30)


def _spaced(contactpoint_id: str) -> str:
    return " ".join(contactpoint_id[i : i + 4] for i in range(0, 12, 4))


def _user_actor(app: FastAPI, account: Account) -> Actor:
    with app.state.sessions() as session:
        user = session.get(UserAccount, account.id)
        return Actor.user(user.id, role="practitioner", organisation_id=user.organisation_id)


def _colleague_of(app: FastAPI, account: Account) -> Account:
    """A practitioner in the same organisation (so the same council's area)."""
    with app.state.sessions() as session:
        organisation = session.get(UserAccount, account.id).organisation
        user = factories.practitioner(session, organisation_of=organisation)
        colleague = Account(app, user)
        session.commit()
    return colleague


def _seed(app: FastAPI, *events_at: tuple[object, dt.datetime]) -> None:
    with app.state.sessions() as session:
        for event, at in events_at:
            record(session, event, occurred_at=at)  # type: ignore[arg-type]
        session.commit()


def _exports(app: FastAPI) -> list[dict[str, object]]:
    query = (
        select(AuditEventDetails.details)
        .join(AuditEventRow, AuditEventRow.sequence == AuditEventDetails.sequence)
        .where(AuditEventRow.event_type == EventType.EXPORT)
        .order_by(AuditEventRow.sequence)
    )
    with app.state.sessions() as session:
        return [json.loads(details) for details in session.scalars(query)]


@pytest.fixture
def auditor(app) -> Account:
    return make_account(app, factories.auditor)


@pytest.fixture
def signed_in(app, auditor) -> dict[str, str]:
    return session_cookie(open_session_for(app, auditor, Role.AUDITOR))


@pytest.fixture
def views_of_the_child(app, auditor) -> tuple[Account, Account]:
    """A colleague viewed the child yesterday and a month ago; an outsider viewed it too."""
    colleague = _colleague_of(app, auditor)
    outsider = make_account(app, factories.practitioner)
    near, far = _user_actor(app, colleague), _user_actor(app, outsider)
    _seed(
        app,
        (record_view_event(near, contactpoint_id=CHILD, reason="Checking a referral"), YESTERDAY),
        (record_view_event(near, contactpoint_id=CHILD, reason="An older visit"), LAST_MONTH),
        (search_event(near, terms={"family_name": "Hartley"}, results=[CHILD]), YESTERDAY),
        (record_view_event(near, contactpoint_id=OTHER_CHILD, reason="Another child"), YESTERDAY),
        (record_view_event(far, contactpoint_id=CHILD, reason="Elsewhere"), YESTERDAY),
    )
    return colleague, outsider


def test_the_reports_page_offers_the_three_reports(client, signed_in):
    response = client.get("/audit", headers=signed_in)

    assert response.status_code == HTTPStatus.OK
    for title in ("Who viewed this child", "What this user did", "Every shield override"):
        assert title in response.text


def test_who_viewed_a_child_shows_its_events_within_the_councils_area_and_is_recorded(
    app, client, signed_in, views_of_the_child
):
    colleague, outsider = views_of_the_child

    response = client.get(
        "/audit/child", params={"contactpoint_id": _spaced(CHILD)}, headers=signed_in
    )

    assert response.status_code == HTTPStatus.OK
    table = text_of_class(parse_html(response.text), "govuk-table")
    assert table.count(f"user {colleague.id}") == 3  # two views and a search listing the child
    assert f"user {outsider.id}" not in table  # another council's area
    assert "Another child" not in table
    assert _exports(app)[-1] == {
        "export": "audit_report_viewed_child",
        "rows": 3,
        "filters": {
            "contactpoint_id": CHILD,
            "since": None,
            "until": None,
            "format": "html",
            "page": 1,
        },
    }


def test_the_period_keeps_only_the_days_asked_for(client, signed_in, views_of_the_child):
    day = YESTERDAY.date()
    period = {"from-day": day.day, "from-month": day.month, "from-year": day.year}

    response = client.get(
        "/audit/child", params={"contactpoint_id": CHILD, **period}, headers=signed_in
    )

    assert "An older visit" not in response.text
    assert "Checking a referral" in response.text


def test_a_report_downloads_as_csv_never_cached_and_the_download_is_recorded(
    app, client, signed_in, views_of_the_child
):
    response = client.get(
        "/audit/child", params={"contactpoint_id": CHILD, "format": "csv"}, headers=signed_in
    )

    assert response.status_code == HTTPStatus.OK
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["cache-control"] == "no-store"
    lines = response.text.splitlines()
    assert lines[0].startswith("sequence,occurred_at,event_type")
    assert len(lines) == 1 + 3
    assert _exports(app)[-1]["filters"]["format"] == "csv"  # type: ignore[index]


def test_the_page_links_to_the_same_report_as_csv(client, signed_in, views_of_the_child):
    response = client.get("/audit/child", params={"contactpoint_id": CHILD}, headers=signed_in)

    assert f'href="?contactpoint_id={CHILD}&amp;format=csv"' in response.text


def test_the_form_alone_records_nothing(app, client, signed_in):
    response = client.get("/audit/child", headers=signed_in)

    assert response.status_code == HTTPStatus.OK
    assert "govuk-table" not in response.text
    assert _exports(app) == []


@pytest.mark.parametrize(
    "bad_input",
    [
        ("/audit/child", {"contactpoint_id": ""}, "Enter the child&#39;s ContactPoint ID"),
        ("/audit/child", {"contactpoint_id": CHILD[:-1] + "x"}, "Enter a real ContactPoint ID"),
        ("/audit/child", {"contactpoint_id": "1234 5678 9012"}, "Enter a real ContactPoint ID"),
        (
            "/audit/child",
            {"contactpoint_id": CHILD, "from-day": "31", "from-month": "2", "from-year": "2026"},
            "Date from must be a real date",
        ),
        (
            "/audit/overrides",
            {"to-day": "1", "to-month": "", "to-year": "2026"},
            "Date to must be a real date",
        ),
        (
            "/audit/overrides",
            {"from-day": "2", "from-month": "1", "from-year": "2026"}
            | {"to-day": "1", "to-month": "1", "to-year": "2026"},
            "Date from must be the same as or before date to",
        ),
        (
            "/audit/overrides",
            {"from-day": "1", "from-month": "1", "from-year": "99999999999999999999"},
            "Date from must be a real date",
        ),
        ("/audit/user", {"user_id": "user12"}, "Enter the user&#39;s ID"),
        ("/audit/user", {"user_id": "99999999999999999999"}, "Enter the user&#39;s ID"),
    ],
)
def test_bad_input_shows_the_error_summary_and_records_nothing(app, client, signed_in, bad_input):
    path, params, message = bad_input
    response = client.get(path, params=params, headers=signed_in)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    summary = text_of_class(parse_html(response.text), "govuk-error-summary")
    assert "There is a problem" in summary
    assert message.replace("&#39;", "'") in summary
    assert "<title>Error: " in response.text
    assert _exports(app) == []


def test_what_a_user_did_shows_their_events(app, client, signed_in, views_of_the_child):
    colleague, _ = views_of_the_child

    response = client.get("/audit/user", params={"user_id": colleague.id}, headers=signed_in)

    assert response.status_code == HTTPStatus.OK
    assert "4 events" in response.text
    assert _exports(app)[-1]["export"] == "audit_report_user_activity"


def test_what_a_user_of_another_council_did_is_refused_and_the_refusal_recorded(
    app, client, auditor, signed_in, views_of_the_child
):
    _, outsider = views_of_the_child

    response = client.get("/audit/user", params={"user_id": outsider.id}, headers=signed_in)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "only in your council" in text_of_class(parse_html(response.text), "govuk-error-summary")
    assert denials_of(app, auditor) == 1
    assert _exports(app) == []


def test_every_override_in_the_area_is_listed(app, client, auditor, signed_in):
    officer = _user_actor(app, _colleague_of(app, auditor))
    _seed(app, (shield_override_event(officer, contactpoint_id=CHILD, reason="Risk"), YESTERDAY))

    response = client.get("/audit/overrides", headers=signed_in)

    assert response.status_code == HTTPStatus.OK
    assert "1 event" in response.text
    assert "shield override" in response.text


def test_a_council_team_may_see_reports_but_a_practitioner_may_not(app, client):
    team = make_account(app, factories.council_team)
    practitioner = make_account(app, factories.practitioner)
    team_session = session_cookie(open_session_for(app, team, Role.COUNCIL_TEAM))
    practitioner_session = session_cookie(open_session_for(app, practitioner, Role.PRACTITIONER))

    assert client.get("/audit/overrides", headers=team_session).status_code == HTTPStatus.OK
    refused = client.get("/audit/overrides", headers=practitioner_session)
    assert refused.status_code == HTTPStatus.FORBIDDEN


@pytest.mark.browser
def test_the_report_pages_are_accessible_with_results_and_with_errors(
    app, auditor, live_server, browser_page, views_of_the_child
):
    token = open_session_for(app, auditor, Role.AUDITOR)
    browser_page.context.add_cookies(
        [{"name": "contactpoint-session", "value": token, "url": live_server}]
    )
    page = browser_page

    page.goto(f"{live_server}/audit")
    assert_accessible(page)
    page.get_by_role("link", name="Who viewed this child").click()
    page.get_by_label("ContactPoint ID").fill(_spaced(CHILD))
    page.get_by_role("button", name="Show report").click()
    expect(page.locator(".govuk-table")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("ContactPoint ID").fill("1234")
    page.get_by_role("button", name="Show report").click()
    assert "Enter a real ContactPoint ID" in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page)

    page.goto(f"{live_server}/audit/overrides?from-day=30&from-month=2&from-year=2026")
    assert "Date from must be a real date" in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page)
    page.goto(f"{live_server}/audit/user")
    assert_accessible(page)


# --- Paging ----------------------------------------------------------------------------

OVERRIDES_SEEN = 205  # three pages of 100


@pytest.fixture
def many_overrides(app, auditor) -> Account:
    return seed_many_overrides(app, auditor)


def seed_many_overrides(app: FastAPI, auditor: Account) -> Account:
    """205 overrides by a colleague in the council's area, and 7 by an outsider."""
    colleague = _colleague_of(app, auditor)
    near = _user_actor(app, colleague)
    far = _user_actor(app, make_account(app, factories.practitioner))
    events = [
        (shield_override_event(near, contactpoint_id=CHILD, reason=f"Visit {n}"), YESTERDAY)
        for n in range(OVERRIDES_SEEN)
    ]
    outside = [
        (shield_override_event(far, contactpoint_id=CHILD, reason="Elsewhere"), YESTERDAY)
        for _ in range(7)
    ]
    _seed(app, *events, *outside)
    return colleague


def _with_class(element, name: str) -> list:
    return [e for e in element.iter() if name in (e.get("class") or "").split()]


def _rows_shown(response) -> list:
    [body] = _with_class(parse_html(response.text), "govuk-table__body")
    return _with_class(body, "govuk-table__row")


def _links_in(element, selector_class: str) -> list[str]:
    return [a.get("href") for part in _with_class(element, selector_class) for a in part.iter("a")]


def test_a_long_report_is_shown_a_page_at_a_time_with_pagination(
    app, client, signed_in, many_overrides
):
    first = client.get("/audit/overrides", headers=signed_in)
    last = client.get("/audit/overrides", params={"page": "3"}, headers=signed_in)

    assert first.status_code == last.status_code == HTTPStatus.OK
    assert "205 events" in first.text  # the outsider's 7 are beyond the council's area
    assert len(_rows_shown(first)) == 100
    assert "Visit 0" in first.text
    assert "Visit 100" not in first.text
    assert len(_rows_shown(last)) == 5
    assert "Visit 204" in last.text
    links = _links_in(parse_html(first.text), "govuk-pagination")
    assert "?page=2#results" in links
    assert "?page=3#results" in links
    assert "govuk-pagination__next" in first.text
    assert "govuk-pagination__next" not in last.text
    assert "govuk-pagination__prev" in last.text
    assert [(e["rows"], e["filters"]["page"]) for e in _exports(app)[-2:]] == [(100, 1), (5, 3)]


def test_the_download_is_the_whole_report_whichever_page_is_shown(
    app, client, signed_in, many_overrides
):
    page = client.get("/audit/overrides", params={"page": "2"}, headers=signed_in)
    [csv_link] = [a.get("href") for a in parse_html(page.text).iter("a") if "download" in a.attrib]
    download = client.get(f"/audit/overrides{csv_link}", headers=signed_in)

    assert "page=" not in csv_link
    assert download.status_code == HTTPStatus.OK
    assert len(download.text.strip().splitlines()) == 1 + OVERRIDES_SEEN
    assert _exports(app)[-1]["rows"] == OVERRIDES_SEEN
    assert "page" not in _exports(app)[-1]["filters"]


@pytest.mark.parametrize("number", ["0", "-1", "two", "1.5", "9" * 5000])
def test_a_page_number_that_is_not_a_whole_number_from_1_is_a_clear_400(
    client, signed_in, many_overrides, number
):
    response = client.get("/audit/overrides", params={"page": number}, headers=signed_in)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    summary = text_of_class(parse_html(response.text), "govuk-error-summary")
    assert "The page number must be a whole number, 1 or more" in summary


def test_a_page_past_the_last_is_a_404_saying_how_many_pages_there_are(
    client, signed_in, many_overrides
):
    response = client.get("/audit/overrides", params={"page": "4"}, headers=signed_in)

    assert response.status_code == HTTPStatus.NOT_FOUND
    summary = text_of_class(parse_html(response.text), "govuk-error-summary")
    assert "There is no page 4: this report has 3 pages" in summary
