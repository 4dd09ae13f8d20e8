"""Loads as feeds.md says: counts, full and delta, the mass-end guard, dry runs, reruns."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from contactpoint.feeds.loading import LoadRequest, run_load
from contactpoint.feeds.models import FeedLoad, LoadMode, LoadStatus
from contactpoint.feeds.problems import Level
from contactpoint.feeds.sources import SourceError
from contactpoint.provenance.models import Feed, SourceRecord

from feed_files import child_csv
from loads import OPERATOR, Loads, interrupt_on_chunk, linker

CHILDREN = [
    {"record_id": f"H{n}", "given_name": given, "family_name": family,
     "date_of_birth": born, "nhs_number": nhs, "upn": "", "postcode": postcode}
    for n, (given, family, born, nhs, postcode) in enumerate([
        ("Amelia", "Barton", "2014-07-21", "9991027610", "OX5V 9JP"),
        ("Oliver", "Hughes", "2016-03-02", "9998234786", "OX2 6GG"),
        ("Isla", "Patel", "2012-11-30", "", "OX4 1AA"),
        ("Noah", "Okafor", "2019-05-14", "", "OX1 9JN"),
        ("Freya", "Jones", "2011-01-09", "", "OX3 7LD"),
        ("Arlo", "Smith", "2020-08-08", "", "OX9 3DB"),
        ("Ivy", "Brown", "2013-02-17", "", "OX7 5QH"),
        ("Leo", "Taylor", "2015-12-25", "", "OX26 6BP"),
        ("Mia", "Wilson", "2017-06-06", "", "OX10 0AA"),
        ("Theo", "Evans", "2018-09-19", "", "OX11 7HJ"),
    ])
]  # fmt: skip


@pytest.fixture
def loads(fresh_database, tmp_path) -> Loads:
    directory = Loads(fresh_database.engine, tmp_path)
    directory.add_source("health")
    return directory


def test_a_load_reports_its_counts_and_every_record_appears_once_in_the_export(loads):
    report = loads.load("health", child_csv(*CHILDREN))
    assert report.status is LoadStatus.COMPLETED
    assert report.counts["rows_read"] == 10
    assert report.counts["inserted"] == 10
    assert report.counts["new_children"] == 10
    links = loads.links()
    assert [record_id for _, record_id, _ in links] == sorted(f"H{n}" for n in range(10))
    assert len({child for _, _, child in links}) == 10


def test_loading_the_same_file_twice_changes_nothing(loads):
    loads.load("health", child_csv(*CHILDREN))
    before = loads.links()
    again = loads.load("health", child_csv(*CHILDREN))
    assert again.counts["unchanged"] == 10
    assert again.counts["inserted"] == again.counts["updated"] == again.counts["ended"] == 0
    assert loads.links() == before


def test_a_changed_row_updates_its_record_and_keeps_its_child(loads):
    loads.load("health", child_csv(*CHILDREN))
    before = {r: c for _, r, c in loads.links()}
    moved = [{**CHILDREN[0], "postcode": "OX2 6GG"}, *CHILDREN[1:]]
    report = loads.load("health", child_csv(*moved))
    assert (report.counts["updated"], report.counts["unchanged"]) == (1, 9)
    assert {r: c for _, r, c in loads.links()} == before


def test_loading_for_an_unregistered_source_names_the_command_and_loads_nothing(loads):
    with pytest.raises(SourceError, match="contactpoint sources add school_census"):
        loads.load("school_census", child_csv(*CHILDREN))
    assert loads.links() == []


def test_a_file_problem_refuses_the_whole_file(loads):
    bad = child_csv(*CHILDREN) + "H99,Zoë,Smith,2014-01-01\n".encode("latin-1")
    report = loads.load("health", bad)
    assert report.status is LoadStatus.REFUSED
    assert report.refusal is not None
    assert "not UTF-8" in report.refusal
    assert loads.links() == []


def test_rejected_rows_are_reported_and_the_valid_rows_load(loads):
    rows = [*CHILDREN[:3], {**CHILDREN[3], "given_name": ""}, {**CHILDREN[4], "record_id": "H0"}]
    report = loads.load("health", child_csv(*rows))
    assert report.counts["rejected"] == 2
    assert report.counts["inserted"] == 3
    rejected = {(p.line, p.column) for p in report.problems if p.level is Level.ROW}
    assert rejected == {(5, "given_name"), (6, "record_id")}
    assert any("first appears on line 2" in p.reason for p in report.problems)


def test_a_full_extract_ends_the_records_it_no_longer_carries(loads):
    loads.load("health", child_csv(*CHILDREN))
    report = loads.load("health", child_csv(*CHILDREN[1:]))
    assert report.counts["ended"] == 1
    assert "H0" not in {record_id for _, record_id, _ in loads.links()}


def test_a_full_extract_that_would_end_more_than_a_tenth_stops_before_changing_anything(loads):
    loads.load("health", child_csv(*CHILDREN))
    before = loads.links()
    report = loads.load("health", child_csv(*CHILDREN[:5]))
    assert report.status is LoadStatus.REFUSED
    assert report.counts["rows_read"] == 5
    assert report.refusal is not None
    assert "would end 5 of the source's 10 live records" in report.refusal
    assert "--allow-mass-end" in report.refusal
    assert loads.links() == before
    allowed = loads.load("health", child_csv(*CHILDREN[:5]), allow_mass_end=True)
    assert allowed.counts["ended"] == 5


def test_a_row_rejected_later_keeps_its_last_accepted_version(loads):
    loads.load("health", child_csv(*CHILDREN))
    before = loads.links()
    rows = [{**CHILDREN[0], "date_of_birth": "2014-02-30"}, *CHILDREN[1:]]
    report = loads.load("health", child_csv(*rows))
    assert (report.counts["rejected"], report.counts["ended"]) == (1, 0)
    assert loads.links() == before


def test_a_delta_ends_only_the_records_it_deletes(loads):
    loads.load("health", child_csv(*CHILDREN))
    delta = child_csv({**CHILDREN[2], "action": "delete"}, {**CHILDREN[3], "given_name": "Noa"})
    report = loads.load("health", delta, mode=LoadMode.DELTA)
    assert (report.counts["ended"], report.counts["updated"]) == (1, 1)
    assert len(loads.links()) == 9


def test_an_older_extract_never_overrides_a_newer_one(loads):
    loads.load("health", child_csv(*CHILDREN))
    older = [{**CHILDREN[0], "given_name": "Amy"}, *CHILDREN[1:]]
    report = loads.load("health", child_csv(*older), extracted_on=dt.date(2026, 1, 1))
    assert (report.counts["updated"], report.counts["unchanged"]) == (0, 10)
    assert any("in a newer extract" in p.reason for p in report.problems)


def test_a_dry_run_reports_and_changes_nothing(loads):
    report = loads.load("health", child_csv(*CHILDREN), dry_run=True)
    assert (report.status, report.counts["inserted"], report.load_id) == (
        LoadStatus.COMPLETED,
        10,
        None,
    )
    assert loads.links() == []
    with loads.sessions() as session:
        assert session.scalar(select(func.count()).select_from(FeedLoad)) == 0


def test_an_interrupted_load_is_completed_by_running_it_again(loads, monkeypatch):
    """A crash after the first committed chunk: the rerun ends where one run would."""
    monkeypatch.setattr("contactpoint.feeds.loading.CHUNK_ROWS", 3)
    interrupt_on_chunk(monkeypatch, 2)
    path = loads.file(child_csv(*CHILDREN))
    request = LoadRequest(source="health", path=path, extracted_on=dt.date(2026, 11, 20))
    with pytest.raises(KeyboardInterrupt):
        run_load(loads.sessions, request, by=OPERATOR, linker=linker())
    with loads.sessions() as session:
        assert session.scalar(select(func.count()).select_from(SourceRecord)) == 3
    report = run_load(loads.sessions, request, by=OPERATOR, linker=linker())
    assert report.resumed
    assert report.status is LoadStatus.COMPLETED
    assert report.counts["inserted"] == 10
    assert len(loads.links()) == 10


def test_a_load_of_one_chunk_interrupted_leaves_nothing_and_runs_again_whole(loads, monkeypatch):
    """A load that fits one chunk is one transaction: no part-applied load to resume."""
    real_apply = run_load.__globals__["apply_child_chunk"]

    def crash(*args, **kwargs):
        real_apply(*args, **kwargs)  # the chunk's writes are made, then the process dies
        raise KeyboardInterrupt

    monkeypatch.setattr("contactpoint.feeds.loading.apply_child_chunk", crash)
    path = loads.file(child_csv(*CHILDREN))
    request = LoadRequest(source="health", path=path, extracted_on=dt.date(2026, 11, 20))
    with pytest.raises(KeyboardInterrupt):
        run_load(loads.sessions, request, by=OPERATOR, linker=linker())
    with loads.sessions() as session:
        assert session.scalar(select(func.count()).select_from(SourceRecord)) == 0
        assert session.scalar(select(func.count()).select_from(FeedLoad)) == 0
    monkeypatch.setattr("contactpoint.feeds.loading.apply_child_chunk", real_apply)
    report = run_load(loads.sessions, request, by=OPERATOR, linker=linker())
    assert not report.resumed
    assert (report.status, report.counts["inserted"]) == (LoadStatus.COMPLETED, 10)
    assert len(loads.links()) == 10


def test_another_file_cannot_be_loaded_while_one_is_part_applied(loads, monkeypatch):
    monkeypatch.setattr("contactpoint.feeds.loading.CHUNK_ROWS", 3)
    interrupt_on_chunk(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        loads.load("health", child_csv(*CHILDREN))
    with pytest.raises(SourceError, match="was interrupted part way; run that same command"):
        loads.load("health", child_csv(*CHILDREN[:9]))


def test_involvements_belong_to_the_sources_child_records(loads):
    loads.load("health", child_csv(*CHILDREN))
    header = "record_id,child_record_id,service_name,service_type,start_date\n"
    data = (header + "I1,H1,Oxford Health Visiting,health_visiting,2025-01-01\n"
            "I2,NOPE,Oxford Health Visiting,health_visiting,2025-01-01\n").encode()  # fmt: skip
    report = loads.load("health", data, feed=Feed.INVOLVEMENTS)
    assert (report.counts["inserted"], report.counts["rejected"]) == (1, 1)
    (problem,) = [p for p in report.problems if p.level is Level.ROW]
    assert (problem.line, problem.column) == (3, "child_record_id")
    assert "send the child's row in the child feed first" in problem.reason


@pytest.mark.parametrize("mode", [LoadMode.FULL, LoadMode.DELTA])
def test_a_repeated_record_id_loads_its_first_row_and_names_the_line_of_the_other(loads, mode):
    """Found by the loader whichever way it keeps the keys: in the database (a full load)
    or in memory (a delta of one chunk)."""
    again = {**CHILDREN[0], "given_name": "Amelie"}
    report = loads.load("health", child_csv(CHILDREN[0], CHILDREN[1], again), mode=mode)
    assert report.counts["inserted"] == 2
    assert report.counts["rejected"] == 1
    [problem] = [p for p in report.problems if p.column == "record_id"]
    assert problem.line == 4
    assert "first appears on line 2" in problem.reason
    [(_, record_id, _)] = [link for link in loads.links() if link[1] == "H0"]
    with loads.sessions() as session:
        given = session.scalar(
            select(SourceRecord.given_name).where(SourceRecord.record_key == "H0")
        )
    assert (record_id, given) == ("H0", "Amelia")


def _counting_reads(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many times loads read and check a child file through (counted from here on)."""
    real_rows = run_load.__globals__["child_rows"]
    reads = {"files": 0}

    def counted(*args: object, **kwargs: object) -> object:
        reads["files"] += 1
        return real_rows(*args, **kwargs)

    monkeypatch.setattr("contactpoint.feeds.loading.child_rows", counted)
    return reads


@pytest.mark.parametrize("mode", [LoadMode.FULL, LoadMode.DELTA])
def test_a_file_of_one_chunk_is_read_and_checked_once_and_a_bigger_one_twice(
    loads, monkeypatch, mode
):
    """Pass one keeps a small file's rows (repeats found as it goes); a file of more lines
    than a chunk is read again by pass two, so that memory stays flat."""
    reads = _counting_reads(monkeypatch)
    again = {**CHILDREN[0], "given_name": "Amelie"}
    report = loads.load("health", child_csv(*CHILDREN, again), mode=mode)
    assert (reads["files"], report.counts["inserted"], report.counts["rejected"]) == (1, 10, 1)
    assert any("first appears on line 2" in problem.reason for problem in report.problems)
    monkeypatch.setattr("contactpoint.feeds.loading.CHUNK_ROWS", 3)
    reads["files"] = 0
    report = loads.load("health", child_csv(*CHILDREN, again), mode=mode)
    assert (reads["files"], report.counts["unchanged"], report.counts["rejected"]) == (2, 10, 1)
