"""Reports for auditors: who saw a child, what a user did, every override; by date, as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from contactpoint.audit.events import (
    Actor,
    EventType,
    Subject,
    access_denied_event,
    admin_action_event,
    export_event,
    record_view_event,
    search_event,
    shield_override_event,
)
from contactpoint.audit.reports import (
    NoSuchPageError,
    overrides,
    overrides_query,
    report_columns,
    user_activity,
    user_activity_query,
    viewed_child_query,
    who_viewed_child,
    write_csv,
)
from contactpoint.audit.services import record

from tampering import PRACTITIONER, contactpoint_id

CHILD = contactpoint_id(1)
OTHER_CHILD = contactpoint_id(2)
COLLEAGUE = Actor.user(42, role="council_team", organisation_id=8)


def _on(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, tzinfo=dt.UTC)


@pytest.fixture
def history(db_session):
    """A fortnight's events about two children by two users."""
    events = [
        (_on(1), search_event(PRACTITIONER, terms={"family_name": "Ng"}, results=[CHILD])),
        (_on(2), record_view_event(PRACTITIONER, contactpoint_id=CHILD, reason="visit")),
        (_on(3), record_view_event(COLLEAGUE, contactpoint_id=OTHER_CHILD, reason="visit")),
        (_on(4), shield_override_event(COLLEAGUE, contactpoint_id=CHILD, reason="s47")),
        (_on(5), search_event(COLLEAGUE, terms={"family_name": "Ng"}, results=[OTHER_CHILD])),
        (_on(6), access_denied_event(PRACTITIONER, permission="child:shield:override")),
        (_on(7), shield_override_event(PRACTITIONER, contactpoint_id=OTHER_CHILD, reason="s47")),
        (_on(8), export_event(COLLEAGUE, export="list", rows=1, contactpoint_ids=[CHILD])),
        (_on(9, 23), admin_action_event(COLLEAGUE, action="x", subject=Subject.child(CHILD))),
    ]
    for when, event in events:
        record(db_session, event, occurred_at=when)
    return db_session


def test_who_viewed_a_child_lists_every_event_about_it_and_every_listing_of_it(history):
    rows = who_viewed_child(history, CHILD)
    assert [row.sequence for row in rows] == [1, 2, 4, 8, 9]
    assert [row.event_type for row in rows] == [
        EventType.SEARCH,
        EventType.RECORD_VIEW,
        EventType.SHIELD_OVERRIDE,
        EventType.EXPORT,
        EventType.ADMIN_ACTION,
    ]


def test_who_viewed_a_child_accepts_its_id_with_spaces(history):
    spaced = f"{CHILD[:4]} {CHILD[4:8]} {CHILD[8:]}"
    assert [row.sequence for row in who_viewed_child(history, spaced)] == [1, 2, 4, 8, 9]


def test_reports_filter_by_whole_utc_days_both_inclusive(history):
    since, until = dt.date(2026, 11, 2), dt.date(2026, 11, 9)
    assert [row.sequence for row in who_viewed_child(history, CHILD, since=since)] == [2, 4, 8, 9]
    assert [row.sequence for row in who_viewed_child(history, CHILD, until=since)] == [1, 2]
    late = who_viewed_child(history, CHILD, since=until, until=until)
    assert [row.sequence for row in late] == [9]  # 23:00 on the last day is included


def test_a_period_that_ends_before_it_starts_is_refused(history):
    with pytest.raises(ValueError, match="after it ends"):
        overrides(history, since=dt.date(2026, 11, 5), until=dt.date(2026, 11, 4))


def test_user_activity_lists_what_one_user_did(history):
    rows = user_activity(history, 41)
    assert [row.sequence for row in rows] == [1, 2, 6, 7]
    assert {row.actor_user_id for row in rows} == {41}
    in_week = user_activity(history, 41, since=dt.date(2026, 11, 2), until=dt.date(2026, 11, 6))
    assert [row.sequence for row in in_week] == [2, 6]


def test_overrides_lists_every_shield_override(history):
    assert [row.subject_ref for row in overrides(history)] == [CHILD, OTHER_CHILD]
    assert [row.sequence for row in overrides(history, since=dt.date(2026, 11, 5))] == [7]


def test_the_csv_has_a_header_and_one_parsable_line_per_event(history):
    stream = io.StringIO()
    written = write_csv(who_viewed_child(history, CHILD), stream)
    lines = list(csv.DictReader(io.StringIO(stream.getvalue())))
    assert written == len(lines) == 5
    assert tuple(lines[0]) == report_columns()
    assert report_columns()[:4] == ("sequence", "occurred_at", "event_type", "outcome")
    first = lines[0]
    assert first["sequence"] == "1"
    assert dt.datetime.fromisoformat(first["occurred_at"]) == _on(1)
    assert (first["event_type"], first["actor_user_id"], first["actor_role"]) == (
        "search",
        "41",
        "practitioner",
    )
    assert json.loads(first["details"])["results"] == [CHILD]


def test_the_csv_never_hands_a_spreadsheet_a_formula_typed_as_a_search_term(db_session):
    formula = '=HYPERLINK("http://example.invalid","x")'
    record(db_session, search_event(PRACTITIONER, terms={"family_name": formula}, results=[]))
    label = Actor(PRACTITIONER.kind, user_id=41, role="-1+cmd")
    record(db_session, access_denied_event(label, permission="child:search"))
    stream = io.StringIO()
    write_csv(user_activity(db_session, 41), stream)
    cells = [cell for line in csv.reader(io.StringIO(stream.getvalue())) for cell in line]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert "'-1+cmd" in cells


def test_reports_can_be_limited_to_events_by_users_of_some_organisations(history):
    colleagues_only = {COLLEAGUE.organisation_id}
    viewed = who_viewed_child(history, CHILD, actor_organisations=colleagues_only)
    assert viewed
    assert {row.actor_organisation_id for row in viewed} == colleagues_only
    assert {
        row.actor_user_id for row in overrides(history, actor_organisations=colleagues_only)
    } == {COLLEAGUE.user_id}
    assert user_activity(history, PRACTITIONER.user_id, actor_organisations=colleagues_only) == []
    assert who_viewed_child(history, CHILD, actor_organisations=set()) == []


def test_a_report_comes_a_page_at_a_time_in_order_and_counts_every_event(history):
    pages = [viewed_child_query(CHILD).page(history, number=n, size=2) for n in (1, 2, 3)]

    assert [[row.sequence for row in page.rows] for page in pages] == [[1, 2], [4, 8], [9]]
    assert {(page.total, page.pages) for page in pages} == {(5, 3)}
    assert [page.has_next for page in pages] == [True, True, False]
    assert [row.sequence for row in overrides_query().page(history, number=1).rows] == [4, 7]
    assert [
        row.sequence for row in user_activity_query(41).page(history, number=1, size=1).rows
    ] == [1]


@pytest.mark.parametrize("number", [0, -1, 4])
def test_a_page_outside_the_report_is_refused_naming_how_many_pages_it_has(history, number):
    with pytest.raises(NoSuchPageError, match="the report has 3 pages"):
        viewed_child_query(CHILD).page(history, number=number, size=2)


def test_an_empty_report_has_one_empty_page(history):
    report = overrides_query(until=dt.date(2026, 10, 1))
    page = report.page(history, number=1)

    assert (page.rows, page.total, page.pages, page.has_next) == ([], 0, 1, False)
    with pytest.raises(NoSuchPageError, match=r"the report has 1 page$"):
        report.page(history, number=2)


def test_a_page_is_limited_to_the_readers_reach_in_its_rows_and_its_count(history):
    colleagues_only = {COLLEAGUE.organisation_id}

    page = viewed_child_query(CHILD).page(
        history, number=1, size=1, actor_organisations=colleagues_only
    )

    assert page.total == len(who_viewed_child(history, CHILD, actor_organisations=colleagues_only))
    assert page.total < len(who_viewed_child(history, CHILD))
    assert {row.actor_organisation_id for row in page.rows} == colleagues_only
