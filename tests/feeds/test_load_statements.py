"""What a one-record load asks of the database: its bookkeeping costs statements, each timed.

A one-row load through the API is the incremental path (median 5 ms at a million
children), where each statement is about a tenth of a millisecond of SQL and more
of the ORM's work around it. These tests hold the bookkeeping to what it needs.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import event

from contactpoint.feeds.models import LoadMode, LoadStatus

from feed_files import child_csv
from loads import Loads

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from contactpoint.feeds.loading import LoadReport

AMELIA = {"record_id": "H1", "upn": ""}
OLIVER = {"record_id": "H2", "given_name": "Oliver", "gender": "M", "nhs_number": "9998234786",
          "date_of_birth": "2016-03-02", "upn": ""}  # fmt: skip
# Amelia's twin brother: her birthday, family name and address, so her record is a candidate.
AMELIAS_TWIN = {"record_id": "H2", "given_name": "Oliver", "gender": "M",
                "nhs_number": "9998234786", "upn": ""}  # fmt: skip
_CANDIDATES = "SELECT source_record.id, source_record.child_id, source_record.content_hash"
_PAYLOADS = "SELECT source_record.id, source_record.payload FROM"


@pytest.fixture
def loads(fresh_database, tmp_path) -> Loads:
    return Loads.with_sources(fresh_database.engine, tmp_path, "health")


def _second_load(
    loads: Loads, engine: Engine, *, row: dict[str, str] = OLIVER, mode: LoadMode = LoadMode.DELTA
) -> tuple[list[str], LoadReport]:
    """Every statement of a one-record load (delta unless said) into a directory already
    loaded once (the index marked and the directory counted), and the load's report."""
    loads.load("health", child_csv(AMELIA))
    seen: list[str] = []

    def before(_connection, _cursor, statement, *_rest) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", before)
    try:
        report = loads.load("health", child_csv(row), mode=mode)
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return seen, report


@pytest.mark.parametrize("mode", [LoadMode.DELTA, LoadMode.FULL])
def test_a_one_chunk_load_inserts_its_row_and_updates_it_once_at_the_end(
    loads, fresh_database, mode
):
    # A full extract also asks which records it no longer carries (none here: Amelia
    # comes again, changed); that query's autoflush used to write the row a second time.
    row = OLIVER if mode is LoadMode.DELTA else {**AMELIA, "given_name": "Amy"}
    statements, report = _second_load(loads, fresh_database.engine, row=row, mode=mode)

    writes = [s for s in statements if re.match(r"(INSERT INTO|UPDATE) feed_load\b", s)]
    assert [write.split()[0] for write in writes] == ["INSERT", "UPDATE"], writes
    assert "status=" in writes[1]
    assert "rows_read=" in writes[1]
    assert report.status is LoadStatus.COMPLETED
    assert report.counts["rows_read"] == 1
    assert report.counts["inserted" if mode is LoadMode.DELTA else "updated"] == 1


def test_a_load_reads_the_linkage_index_state_once(loads, fresh_database):
    statements, _ = _second_load(loads, fresh_database.engine)

    reads = [s for s in statements if re.search(r"\bFROM linkage_index_state\b", s)]
    assert len(reads) == 1


def test_a_load_reads_its_source_and_a_load_to_resume_once_each(loads, fresh_database):
    statements, _ = _second_load(loads, fresh_database.engine)

    reads = [s for s in statements if re.search(r"\bFROM (source|feed_load)\b", s)]
    lock = [s for s in reads if s.endswith("FOR UPDATE")]  # PostgreSQL: one load at a time
    assert len(lock) == (fresh_database.engine.dialect.name == "postgresql")
    found = [s for s in reads if s not in lock]
    assert len(found) == 2  # the source by name, and a load of it to resume
    events = [s for s in statements if re.match(r"INSERT INTO audit_event(_details)?\b", s)]
    assert len(events) == 2  # the load's event and its details


def test_a_new_linker_reads_its_candidates_and_their_payloads_in_one_query(loads, fresh_database):
    # Each command and each upload makes a new linker, which holds no built records.
    statements, report = _second_load(loads, fresh_database.engine, row=AMELIAS_TWIN)

    live = [s for s in statements if s.startswith(_CANDIDATES)]
    assert len(live) == 1, statements
    assert "source_record.payload" in live[0]
    assert not [s for s in statements if s.startswith(_PAYLOADS)]
    # Her twin's record was built from that payload and compared: twins are never linked.
    assert report.counts["linked_to_existing"] == 0
    assert report.counts["new_children"] + report.counts["held_for_review"] == 1


def test_a_full_load_finds_the_records_it_lacks_by_an_anti_join(loads, fresh_database):
    """PostgreSQL runs NOT IN (subquery) as a hashed subplan only while the subquery fits
    in work_mem: at a million staged keys it rescanned them for every live record, and a
    full load of a million children stopped for hours. NOT EXISTS is an anti-join."""
    seen, _ = _second_load(loads, fresh_database.engine, mode=LoadMode.FULL)  # the guard asks
    lacking = [s for s in seen if "feed_load_key" in s and "source_record.record_key" in s]
    assert lacking, "no statement looked for the records the extract lacks"
    assert not [s for s in lacking if re.search(r"NOT IN \(\s*SELECT", s, re.IGNORECASE)]
    assert all("NOT (EXISTS" in s or "NOT EXISTS" in s for s in lacking)
