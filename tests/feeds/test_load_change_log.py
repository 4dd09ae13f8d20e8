"""A chunk that both inserts and changes records keeps every change in undo's log."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from contactpoint.feeds.models import LoadMode, LoadStatus
from contactpoint.feeds.undo import undo_load
from contactpoint.provenance.models import Feed, SourceRecord

from feed_files import child_csv, csv_bytes
from loads import OPERATOR, Loads

AMELIA = {"record_id": "H1", "given_name": "Amelia", "family_name": "Barton",
          "date_of_birth": "2014-07-21", "nhs_number": "", "upn": ""}  # fmt: skip
OLIVER = {"record_id": "H2", "given_name": "Oliver", "family_name": "Hughes",
          "date_of_birth": "2016-03-02", "nhs_number": "", "upn": ""}  # fmt: skip
HEADER = ("record_id", "child_record_id", "service_name", "service_type", "practitioner_name",
          "start_date")  # fmt: skip


@pytest.fixture
def loads(fresh_database, tmp_path) -> Loads:
    return Loads.with_sources(fresh_database.engine, tmp_path, "health")


def payload_of(loads: Loads, key: str, feed: Feed) -> str | None:
    with loads.sessions() as session:
        return session.scalar(
            select(SourceRecord.payload).where(
                SourceRecord.record_key == key, SourceRecord.feed == feed
            )
        )


def undo(loads: Loads, load_id: int | None) -> None:
    assert load_id is not None
    with loads.sessions() as session:
        undo_load(session, by=OPERATOR, load_id=load_id)
        session.commit()


def test_a_child_delta_that_changes_one_record_and_adds_another_loads_and_undoes(loads):
    loads.load("health", child_csv(AMELIA))
    before = payload_of(loads, "H1", Feed.CHILDREN)
    report = loads.load(
        "health", child_csv({**AMELIA, "given_name": "Amy"}, OLIVER), mode=LoadMode.DELTA,
        extracted_on=dt.date(2026, 11, 21),
    )  # fmt: skip
    assert report.status is LoadStatus.COMPLETED
    assert (report.counts["updated"], report.counts["inserted"]) == (1, 1)
    undo(loads, report.load_id)
    assert payload_of(loads, "H1", Feed.CHILDREN) == before
    assert payload_of(loads, "H2", Feed.CHILDREN) is None


@pytest.mark.parametrize("new_first", [True, False])
def test_an_involvement_delta_that_adds_one_and_changes_another_keeps_what_it_changed(
    loads, new_first
):
    loads.load("health", child_csv(AMELIA))
    first = ["I1", "H1", "Oxford Health Visiting", "health_visiting", "Ann", "2025-01-01"]
    loads.load("health", csv_bytes(HEADER, [first]), feed=Feed.INVOLVEMENTS)
    before = payload_of(loads, "I1", Feed.INVOLVEMENTS)
    changed = [*first[:4], "Bea", first[5]]
    added = ["I2", *first[1:]]
    rows = [added, changed] if new_first else [changed, added]
    report = loads.load(
        "health", csv_bytes(HEADER, rows), feed=Feed.INVOLVEMENTS, mode=LoadMode.DELTA,
        extracted_on=dt.date(2026, 11, 21),
    )  # fmt: skip
    assert report.status is LoadStatus.COMPLETED
    assert (report.counts["updated"], report.counts["inserted"]) == (1, 1)
    undo(loads, report.load_id)
    assert payload_of(loads, "I1", Feed.INVOLVEMENTS) == before
