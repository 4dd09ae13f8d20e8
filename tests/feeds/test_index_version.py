"""Loads refuse to link against an index of another release's keys, until it is rebuilt."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from contactpoint.feeds.loading import IndexNotCurrentError, LoadRequest, run_load
from contactpoint.linkage.index import rebuild_index
from contactpoint.linkage.models import LinkageIndexState, LinkageKey
from contactpoint.linkage.records import KEYS_VERSION
from contactpoint.provenance.models import SourceRecord

from feed_files import child_csv
from loads import EXTRACTED_ON, OPERATOR, Loads, interrupt_on_chunk, linker

AMELIA = {"record_id": "H1", "upn": ""}
OLIVER = {"record_id": "H2", "given_name": "Oliver", "gender": "M", "nhs_number": "9998234786",
          "date_of_birth": "2016-03-02", "upn": ""}  # fmt: skip


@pytest.fixture
def loads(fresh_database, tmp_path) -> Loads:
    return Loads.with_sources(fresh_database.engine, tmp_path, "health", "school_census")


def _state(loads: Loads) -> str | None:
    with loads.sessions() as session:
        state = session.get(LinkageIndexState, 1)
        return None if state is None else state.keys_version


def _make_stale(loads: Loads, version: str | None) -> None:
    with loads.sessions() as session:
        state = session.get(LinkageIndexState, 1)
        assert state is not None
        state.keys_version = version
        session.commit()


def _records(loads: Loads) -> int:
    with loads.sessions() as session:
        return session.scalar(select(func.count(SourceRecord.id))) or 0


def test_a_first_load_marks_the_index_as_this_releases(loads):
    loads.load("health", child_csv(AMELIA))
    assert _state(loads) == KEYS_VERSION


@pytest.mark.parametrize("version", ["2026.11-k1", None], ids=["older", "unknown"])
def test_a_load_against_another_releases_keys_is_refused_until_reindex(loads, version):
    loads.load("health", child_csv(AMELIA))
    _make_stale(loads, version)
    with pytest.raises(IndexNotCurrentError, match="contactpoint linkage reindex"):
        loads.load("school_census", child_csv({**AMELIA, "record_id": "S1"}))
    assert _records(loads) == 1  # nothing of the refused load was kept
    with loads.sessions() as session:
        rebuild_index(session)
        session.commit()
    assert _state(loads) == KEYS_VERSION
    report = loads.load("school_census", child_csv({**AMELIA, "record_id": "S1"}))
    assert report.counts["linked_to_existing"] == 1


def test_an_empty_index_of_unknown_keys_is_simply_taken_as_this_releases(loads):
    loads.load("health", child_csv(AMELIA))
    with loads.sessions() as session:
        session.execute(LinkageKey.__table__.delete())
        session.commit()
    _make_stale(loads, None)
    loads.load("health", child_csv(AMELIA, OLIVER))
    assert _state(loads) == KEYS_VERSION


def test_an_interrupted_load_is_completed_though_the_keys_changed_meanwhile(loads, monkeypatch):
    """`linkage reindex` waits for a part-applied load, so the load must not wait for it."""
    monkeypatch.setattr("contactpoint.feeds.loading.CHUNK_ROWS", 1)
    interrupt_on_chunk(monkeypatch, 2)
    request = LoadRequest(
        source="health", path=loads.file(child_csv(AMELIA, OLIVER)), extracted_on=EXTRACTED_ON
    )
    with pytest.raises(KeyboardInterrupt):
        run_load(loads.sessions, request, by=OPERATOR, linker=linker())
    _make_stale(loads, "2026.11-k1")
    report = run_load(loads.sessions, request, by=OPERATOR, linker=linker())
    assert (report.resumed, report.counts["inserted"]) == (True, 2)
    with pytest.raises(IndexNotCurrentError):
        loads.load("school_census", child_csv({**AMELIA, "record_id": "S1"}))
