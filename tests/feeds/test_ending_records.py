"""Ending records in bulk: any number at once, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contactpoint.feeds.records import end_records
from contactpoint.provenance.models import SourceRecord, SourceRecordStatus

from feed_files import child_csv
from loads import EXTRACTED_ON, Loads


@pytest.fixture
def loads(fresh_database, tmp_path) -> Loads:
    directory = Loads(fresh_database.engine, tmp_path)
    directory.add_source("health")
    return directory


@pytest.mark.slow
def test_more_records_than_one_statement_binds_are_ended(loads):
    loads.load("health", child_csv({"record_id": "H1"}, {"record_id": "H2", "given_name": "Ivy"}))
    with loads.sessions() as session:
        held = list(session.scalars(select(SourceRecord.id)))
        # More ids than one statement may bind: SQLite here 250,000, PostgreSQL 65,535.
        absent = list(range(10_000_000, 10_300_000))
        ended = end_records(session, [*absent, *held], extracted_on=EXTRACTED_ON)
        assert ended == len(absent) + len(held)
        session.commit()
        statuses = set(session.scalars(select(SourceRecord.status)))
    assert statuses == {SourceRecordStatus.ENDED}
    assert loads.links() == []
