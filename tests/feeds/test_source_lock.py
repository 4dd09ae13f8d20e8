"""One load (or undo) of a source at a time: the source's row is held while a load runs."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from contactpoint.feeds.loading import LoadReport, LoadRequest, run_load
from contactpoint.feeds.models import LoadStatus
from contactpoint.feeds.sources import require_source
from contactpoint.provenance.models import Source

from feed_files import child_csv
from loads import OPERATOR, Loads, linker


@pytest.fixture
def loads(fresh_database, tmp_path) -> Loads:
    directory = Loads(fresh_database.engine, tmp_path)
    directory.add_source("health")
    return directory


def test_a_load_waits_while_another_transaction_holds_its_source(backend, loads):
    path = loads.file(child_csv({"record_id": "H1"}))
    request = LoadRequest(source="health", path=path, extracted_on=dt.date(2026, 11, 20))
    reports: list[LoadReport] = []
    holder = loads.sessions()
    # A share lock on the source's row: a load's own inserts (foreign keys take only a
    # key-share lock) pass it; only the load's lock on the source itself waits for it.
    source = require_source(holder, "health")
    holder.execute(select(Source.id).where(Source.id == source.id).with_for_update(read=True))
    thread = threading.Thread(
        target=lambda: reports.append(
            run_load(loads.sessions, request, by=OPERATOR, linker=linker())
        )
    )
    thread.start()
    try:
        thread.join(timeout=1.5)
        if backend == "postgresql":
            assert thread.is_alive(), "the second load did not wait for the source"
        # SQLite renders no FOR UPDATE: one writer at a time is its own rule
    finally:
        holder.rollback()
        holder.close()
    thread.join(timeout=60)
    assert [report.status for report in reports] == [LoadStatus.COMPLETED]
