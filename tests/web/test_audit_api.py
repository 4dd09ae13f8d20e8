"""The audit reports API: the pages' three reports as JSON, within the same reach."""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING

import pytest
from test_api_tokens import bearer, issue_token
from test_audit_pages import (
    CHILD,
    LAST_MONTH,
    OTHER_CHILD,
    OVERRIDES_SEEN,
    YESTERDAY,
    _colleague_of,
    _exports,
    _seed,
    _spaced,
    _user_actor,
    seed_many_overrides,
)

from contactpoint.access.permissions import Permission
from contactpoint.access.policy import Role
from contactpoint.audit.events import record_view_event, search_event, shield_override_event
from contactpoint.audit.reports import report_columns

import factories
from accounts import Account, denials_of, make_account, open_session_for, session_cookie

if TYPE_CHECKING:
    from fastapi import FastAPI

AUDIT = "/api/v1/audit"


def _auditors_token(app: FastAPI, account: Account) -> dict[str, str]:
    token = issue_token(app, account, scopes=(Permission.AUDIT_REPORT_VIEW,), role=Role.AUDITOR)
    return bearer(token)


@pytest.fixture
def auditor(app) -> Account:
    return make_account(app, factories.auditor)


@pytest.fixture
def headers(app, auditor) -> dict[str, str]:
    return _auditors_token(app, auditor)


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


def test_who_viewed_a_child_lists_its_events_within_the_councils_area_and_is_recorded(
    app, client, headers, views_of_the_child
):
    colleague, outsider = views_of_the_child

    response = client.get(f"{AUDIT}/viewed-child/{CHILD}", headers=headers)

    assert response.status_code == HTTPStatus.OK, response.text
    body = response.json()
    assert body["report"] == "viewed_child"
    assert body["since"] is None
    assert body["until"] is None
    rows = body["rows"]
    assert [row["actor_user_id"] for row in rows] == [colleague.id] * 3
    assert outsider.id not in {row["actor_user_id"] for row in rows}  # another council's area
    assert {row["event_type"] for row in rows} == {"record_view", "search"}
    assert set(rows[0]) == set(report_columns())
    assert _exports(app)[-1] == {
        "export": "audit_report_viewed_child",
        "rows": 3,
        "filters": {
            "contactpoint_id": CHILD,
            "since": None,
            "until": None,
            "format": "json",
            "page": 1,
        },
    }


def test_the_period_keeps_only_the_days_asked_for(app, client, headers, views_of_the_child):
    day = YESTERDAY.date().isoformat()
    spaced = _spaced(CHILD).replace(" ", "%20")

    response = client.get(
        f"{AUDIT}/viewed-child/{spaced}", params={"since": day, "until": day}, headers=headers
    )

    body = response.json()
    assert response.status_code == HTTPStatus.OK, response.text
    assert (body["since"], body["until"]) == (day, day)
    assert len(body["rows"]) == 2  # the view and the search of yesterday, not last month's
    assert all(row["occurred_at"].startswith(day) for row in body["rows"])
    assert LAST_MONTH.date().isoformat() not in response.text
    assert _exports(app)[-1]["filters"] == {
        "contactpoint_id": CHILD,
        "since": day,
        "until": day,
        "format": "json",
        "page": 1,
    }


def test_what_a_user_did_is_listed_and_recorded(app, client, headers, views_of_the_child):
    colleague, _ = views_of_the_child

    response = client.get(f"{AUDIT}/user-activity/{colleague.id}", headers=headers)

    assert response.status_code == HTTPStatus.OK, response.text
    assert response.json()["report"] == "user_activity"
    assert len(response.json()["rows"]) == 4
    assert _exports(app)[-1] == {
        "export": "audit_report_user_activity",
        "rows": 4,
        "filters": {
            "user_id": colleague.id,
            "since": None,
            "until": None,
            "format": "json",
            "page": 1,
        },
    }


def test_what_a_user_of_another_council_did_is_refused_and_the_refusal_recorded(
    app, client, auditor, headers, views_of_the_child
):
    _, outsider = views_of_the_child

    response = client.get(f"{AUDIT}/user-activity/{outsider.id}", headers=headers)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.headers["content-type"] == "application/problem+json"
    assert "only in your council" in response.json()["detail"]
    assert denials_of(app, auditor) == 1
    assert _exports(app) == []


def test_every_override_in_the_area_is_listed_and_no_other(app, client, auditor, headers):
    near = _user_actor(app, _colleague_of(app, auditor))
    outsider = make_account(app, factories.practitioner)
    far = _user_actor(app, outsider)
    _seed(
        app,
        (shield_override_event(near, contactpoint_id=CHILD, reason="Risk"), YESTERDAY),
        (shield_override_event(far, contactpoint_id=CHILD, reason="Elsewhere"), YESTERDAY),
    )

    response = client.get(f"{AUDIT}/overrides", headers=headers)

    assert response.status_code == HTTPStatus.OK, response.text
    [row] = response.json()["rows"]
    assert row["event_type"] == "shield_override"
    assert row["actor_user_id"] == near.user_id
    assert "Elsewhere" not in response.text
    assert _exports(app)[-1]["export"] == "audit_report_overrides"
    assert _exports(app)[-1]["filters"]["format"] == "json"  # type: ignore[index]


def test_a_signed_in_session_may_ask_too(app, client, auditor, views_of_the_child):
    cookie = session_cookie(open_session_for(app, auditor, Role.AUDITOR))

    response = client.get(f"{AUDIT}/viewed-child/{CHILD}", headers=cookie)

    assert response.status_code == HTTPStatus.OK
    assert len(response.json()["rows"]) == 3


@pytest.mark.parametrize(
    "bad_input",
    [
        ("/viewed-child/1234", {}, ["path", "contactpoint_id"]),
        (f"/viewed-child/{CHILD[:-1]}x", {}, ["path", "contactpoint_id"]),
        ("/viewed-child/1234%205678%209012", {}, ["path", "contactpoint_id"]),
        ("/viewed-child/%20", {}, ["path", "contactpoint_id"]),
        (f"/viewed-child/{CHILD}", {"since": "2026-02-30"}, ["query", "since"]),
        ("/overrides", {"until": "25/11/2026"}, ["query", "until"]),
        ("/overrides", {"until": "99999999999999999999"}, ["query", "until"]),
        ("/overrides", {"since": "2026-01-02", "until": "2026-01-01"}, ["query", "since"]),
        ("/user-activity/user12", {}, ["path", "user_id"]),
        ("/user-activity/99999999999999999999", {}, ["path", "user_id"]),
        ("/user-activity/0", {}, ["path", "user_id"]),
        ("/user-activity/1", {"since": "yesterday"}, ["query", "since"]),
    ],
)
def test_bad_input_names_the_parameter_and_records_nothing(app, client, headers, bad_input):
    path, params, location = bad_input
    response = client.get(AUDIT + path, params=params, headers=headers)

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert location in [error["location"] for error in response.json()["errors"]]
    for sent in params.values():
        assert sent not in response.text  # never echoed
    assert _exports(app) == []


def test_a_practitioner_is_refused_and_the_refusal_recorded(app, client):
    practitioner = make_account(app, factories.practitioner)
    cookie = session_cookie(open_session_for(app, practitioner, Role.PRACTITIONER))

    response = client.get(f"{AUDIT}/overrides", headers=cookie)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["detail"].startswith("Acting as practitioner, you cannot")
    assert denials_of(app, practitioner) == 1
    assert _exports(app) == []


def test_a_token_without_the_audit_scope_is_refused(app, client):
    team = make_account(app, factories.council_team)

    response = client.get(f"{AUDIT}/overrides", headers=bearer(issue_token(app, team)))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert _exports(app) == []


# --- Paging ----------------------------------------------------------------------------


@pytest.fixture
def many_overrides(app, auditor) -> Account:
    return seed_many_overrides(app, auditor)


def test_a_long_report_comes_a_page_at_a_time_with_links_to_the_next_and_previous(
    app, client, headers, many_overrides
):
    first = client.get(f"{AUDIT}/overrides", params={"since": "2020-01-01"}, headers=headers)
    body = first.json()
    second = client.get(body["links"]["next"], headers=headers).json()
    third = client.get(second["links"]["next"], headers=headers).json()

    assert first.status_code == HTTPStatus.OK, first.text
    assert (body["page"], body["pages"], body["page_size"], body["total"]) == (1, 3, 100, 205)
    assert body["links"] == {
        "self": f"{AUDIT}/overrides?since=2020-01-01&page=1",
        "next": f"{AUDIT}/overrides?since=2020-01-01&page=2",
        "previous": None,
    }
    assert len(body["rows"]) == len(second["rows"]) == 100
    assert second["links"]["previous"] == body["links"]["self"]
    assert len(third["rows"]) == 5
    assert third["links"]["next"] is None
    sequences = [row["sequence"] for page in (body, second, third) for row in page["rows"]]
    assert len(set(sequences)) == OVERRIDES_SEEN
    assert sequences == sorted(sequences)


@pytest.mark.parametrize("number", ["0", "-3", "two", "99999999999"])
def test_a_page_number_below_1_or_not_a_number_is_a_422_naming_the_parameter(
    client, headers, many_overrides, number
):
    response = client.get(f"{AUDIT}/overrides", params={"page": number}, headers=headers)

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["location"] for error in response.json()["errors"]] == [["query", "page"]]


def test_a_page_past_the_last_is_a_404_saying_how_many_pages_there_are(
    client, headers, many_overrides
):
    response = client.get(f"{AUDIT}/overrides", params={"page": "4"}, headers=headers)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["detail"] == "There is no page 4: the report has 3 pages."
