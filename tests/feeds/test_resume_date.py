"""Running the same command again completes an interrupted load, even on another day.

The extract date defaults to today when the sender does not state it, so a rerun
after midnight would otherwise ask for a different load of the same file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from contactpoint.feeds.loading import LoadInProgressError, LoadRequest, run_load
from contactpoint.feeds.models import FeedLoad, LoadStatus
from contactpoint.provenance.models import SourceRecord

from feed_files import child_csv
from loads import OPERATOR, Loads, interrupt_on_chunk, linker

CHILDREN = [
    {"record_id": f"H{n}", "given_name": given, "family_name": "Barton",
     "date_of_birth": f"201{n}-05-1{n}"}
    for n, given in enumerate(["Amelia", "Oliver", "Isla", "Noah", "Freya",
                               "Arlo", "Ivy", "Leo", "Mia", "Theo"])
]  # fmt: skip
FIRST_DAY = dt.date(2026, 11, 20)
NEXT_DAY = dt.date(2026, 11, 21)


@pytest.fixture
def loads(fresh_database, tmp_path) -> Loads:
    return Loads.with_sources(fresh_database.engine, tmp_path, "health")


def _interrupted(loads, monkeypatch, *, stated: bool) -> LoadRequest:
    monkeypatch.setattr("contactpoint.feeds.loading.CHUNK_ROWS", 3)
    with monkeypatch.context() as patch:
        interrupt_on_chunk(patch, 2)
        request = LoadRequest(source="health", path=loads.file(child_csv(*CHILDREN)),
                              extracted_on=FIRST_DAY, extracted_on_stated=stated)  # fmt: skip
        with pytest.raises(KeyboardInterrupt):
            run_load(loads.sessions, request, by=OPERATOR, linker=linker())
    return request


def test_a_rerun_next_day_with_the_date_assumed_resumes_with_the_first_day(loads, monkeypatch):
    request = _interrupted(loads, monkeypatch, stated=False)

    rerun = dataclasses.replace(request, extracted_on=NEXT_DAY)  # today, assumed again
    report = run_load(loads.sessions, rerun, by=OPERATOR, linker=linker())

    assert report.resumed
    assert (report.status, report.counts["inserted"]) == (LoadStatus.COMPLETED, 10)
    assert report.extracted_on == FIRST_DAY
    with loads.sessions() as session:
        assert set(session.scalars(select(SourceRecord.extracted_on))) == {FIRST_DAY}
        assert list(session.scalars(select(FeedLoad.extracted_on))) == [FIRST_DAY]
    assert len(loads.links()) == 10


def test_a_rerun_stating_another_date_is_another_extract_and_waits(loads, monkeypatch):
    request = _interrupted(loads, monkeypatch, stated=True)

    other = dataclasses.replace(request, extracted_on=NEXT_DAY)
    with pytest.raises(LoadInProgressError, match="run that same command again"):
        run_load(loads.sessions, other, by=OPERATOR, linker=linker())
    report = run_load(loads.sessions, request, by=OPERATOR, linker=linker())
    assert report.resumed
    assert report.extracted_on == FIRST_DAY


def test_an_assumed_date_does_not_resume_another_file(loads, monkeypatch):
    _interrupted(loads, monkeypatch, stated=False)

    other = LoadRequest(source="health", path=loads.file(child_csv(*CHILDREN[:4])),
                        extracted_on=NEXT_DAY, extracted_on_stated=False)  # fmt: skip
    with pytest.raises(LoadInProgressError):
        run_load(loads.sessions, other, by=OPERATOR, linker=linker())
