"""What the pages and API ask of the feeds: sources and loads within reach, reports paged."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contactpoint.access.policy import AccessDeniedError, Role, principal_for_user
from contactpoint.feeds.models import FeedLoad
from contactpoint.feeds.problems import Level
from contactpoint.feeds.reports import (
    NoSuchPageError,
    SourceFieldError,
    UnknownSourceError,
    load_report,
    loads_of,
    register_source,
    source_for_loads,
    sources_within_reach,
)
from contactpoint.provenance.models import Source, SourceKind

import factories
from feed_files import child_csv
from loads import Loads


@pytest.fixture
def loads(fresh_database, tmp_path) -> Loads:
    return Loads(fresh_database.engine, tmp_path)


def _managers(loads: Loads):
    """Two data managers of two organisations, each with a local source of their own."""
    with loads.sessions() as session:
        ours, theirs = factories.data_manager(session), factories.data_manager(session)
        for user, name in ((ours, "ours"), (theirs, "theirs")):
            session.add(Source(name=name, kind=SourceKind.LOCAL, organisation=user.organisation))
        session.commit()
        return (
            principal_for_user(ours, acting_role=Role.DATA_MANAGER),
            principal_for_user(theirs, acting_role=Role.DATA_MANAGER),
        )


def test_a_sources_loads_come_newest_first_a_page_at_a_time(loads):
    ours, _ = _managers(loads)
    first = loads.load("ours", child_csv({"record_id": "R1"}))
    second = loads.load("ours", child_csv({"record_id": "R1"}, {"record_id": "R2"}))
    third = loads.load("ours", child_csv({"record_id": "R1"}, {"record_id": "R2"}))

    with loads.sessions() as session:
        source = source_for_loads(session, by=ours, name="ours")
        page_one = loads_of(session, by=ours, source=source, page=1, size=2)
        page_two = loads_of(session, by=ours, source=source, page=2, size=2)
        with pytest.raises(NoSuchPageError, match="there are 2 pages"):
            loads_of(session, by=ours, source=source, page=3, size=2)

    assert [load.id for load in page_one.rows] == [third.load_id, second.load_id]
    assert [load.id for load in page_two.rows] == [first.load_id]
    assert (page_one.total, page_one.pages, page_one.has_next) == (3, 2, True)


def test_a_report_counts_its_problems_by_level_and_filters_them(loads):
    ours, _ = _managers(loads)
    rows = [{"record_id": f"R{n}", "postcode": "bad"} for n in range(1, 4)]
    header = ("record_id", "given_name", "family_name", "date_of_birth", "postcode")
    report = loads.load("ours", child_csv(*rows, {"record_id": ""}, header=header))

    with loads.sessions() as session:
        every = load_report(session, by=ours, load_id=report.load_id, page=1)
        rows_only = load_report(session, by=ours, load_id=report.load_id, page=1, level=Level.ROW)
        two_a_page = load_report(session, by=ours, load_id=report.load_id, page=2, size=2)

    assert every.counts["rows_read"] == 4
    assert every.counts["rejected"] == 1
    assert every.problems_by_level[Level.FIELD] == 3
    assert every.problems_by_level[Level.ROW] == 1
    assert [p.level for p in rows_only.problems.rows] == [Level.ROW]
    assert rows_only.problems.rows[0].line == 5
    assert [p.line for p in two_a_page.problems.rows] == [4, 5]


@pytest.mark.parametrize("chunk_rows", [1000, 2], ids=["one chunk", "chunks of two"])
def test_the_report_a_load_returns_lists_its_stored_problems_in_line_order(
    loads, monkeypatch, chunk_rows
):
    # A one-chunk load reports its problems from memory; a longer one reads them back.
    monkeypatch.setattr("contactpoint.feeds.loading.CHUNK_ROWS", chunk_rows)
    ours, _ = _managers(loads)
    # No school or GP practice is known: every loaded row has two problems found
    # as it is applied, after the ones found as it is read.
    rows = [
        {"record_id": "R1", "postcode": "bad"},
        {"record_id": ""},  # rejected
        {"record_id": "R3", "postcode": "bad"},
        {"record_id": "R1"},  # a duplicate record_id
        {"record_id": "R5"},
    ]
    report = loads.load("ours", child_csv(*rows))

    with loads.sessions() as session:
        stored = load_report(session, by=ours, load_id=report.load_id, page=1).problems.rows
    assert [(p.level, p.line, p.column, p.reason) for p in report.problems] == [
        (p.level, p.line, p.column, p.reason) for p in stored
    ]
    assert [p.line for p in report.problems] == [2, 2, 2, 3, 4, 4, 4, 5, 6, 6]
    assert [p.column for p in report.problems if p.line == 2] == [
        "postcode", "school_urn", "gp_practice_code",
    ]  # fmt: skip


def test_loads_and_reports_of_another_organisations_source_are_refused(loads):
    ours, theirs = _managers(loads)
    report = loads.load("theirs", child_csv({"record_id": "R1"}))

    with loads.sessions() as session:
        with pytest.raises(AccessDeniedError, match="only for your organisation"):
            source_for_loads(session, by=ours, name="theirs")
        source = session.scalar(select(Source).where(Source.name == "theirs"))
        with pytest.raises(AccessDeniedError):
            loads_of(session, by=ours, source=source, page=1)
        with pytest.raises(AccessDeniedError):
            load_report(session, by=ours, load_id=report.load_id, page=1)
        listed = [summary.source.name for summary in sources_within_reach(session, by=ours)]
        assert load_report(session, by=theirs, load_id=report.load_id, page=1).load.id

    assert listed == ["ours"]


def test_an_unknown_source_names_how_to_register_it(loads):
    ours, _ = _managers(loads)

    with loads.sessions() as session, pytest.raises(UnknownSourceError, match="sources add"):
        source_for_loads(session, by=ours, name="nowhere")


def test_a_data_manager_registers_local_sources_of_their_organisation_only(loads):
    ours, theirs = _managers(loads)

    with loads.sessions() as session:
        added = register_source(
            session, by=ours, name="youth", kind="local", trusted_for=["gender"]
        )
        again = register_source(session, by=ours, name="youth", kind="local")
        with pytest.raises(SourceFieldError) as taken:
            register_source(session, by=theirs, name="youth", kind="local")
        with pytest.raises(SourceFieldError) as unknown_field:
            register_source(session, by=ours, name="other", kind="local", trusted_for=["names"])
        with pytest.raises(AccessDeniedError):
            register_source(session, by=ours, name="health", kind="national")
        session.commit()

    assert added.created
    assert not again.created
    assert added.source.organisation_id == ours.organisation_id
    assert added.source.trusted_for == "gender"
    assert taken.value.field == "name"
    assert unknown_field.value.field == "trusted_for"
    with loads.sessions() as session:
        assert session.scalar(select(FeedLoad)) is None
        assert session.scalar(select(Source).where(Source.name == "health")) is None
