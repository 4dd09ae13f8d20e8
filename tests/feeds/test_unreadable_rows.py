"""A full extract with a row whose record_id cannot be read ends no record.

feeds.md: records whose row is rejected in a later extract keep their last
accepted version and are not ended. A row rejected before its record_id could be
read (the wrong number of values, broken quoting, an empty record_id) may be any
record, so such an extract ends none of the records it does not carry, and says so.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from contactpoint.feeds.loading import LoadRequest, run_load
from contactpoint.feeds.models import LoadMode, LoadStatus
from contactpoint.feeds.problems import Level
from contactpoint.provenance.models import Feed

from feed_files import child_csv, csv_bytes
from loads import OPERATOR, Loads, interrupt_on_chunk, linker

CHILDREN = [
    {"record_id": f"H{n}", "given_name": given, "family_name": family, "date_of_birth": born,
     "nhs_number": "", "upn": "", "postcode": ""}
    for n, (given, family, born) in enumerate([
        ("Amelia", "Barton", "2014-07-21"), ("Oliver", "Hughes", "2016-03-02"),
        ("Isla", "Patel", "2012-11-30"), ("Noah", "Okafor", "2019-05-14"),
        ("Freya", "Jones", "2011-01-09"), ("Arlo", "Smith", "2020-08-08"),
        ("Ivy", "Brown", "2013-02-17"), ("Leo", "Taylor", "2015-12-25"),
        ("Mia", "Wilson", "2017-06-06"), ("Theo", "Evans", "2018-09-19"),
    ])
]  # fmt: skip
UNREADABLE = {
    "too few values": b"H9,Theo,Evans",
    "broken quoting": b'H9,"Theo"s,Evans',
    "an empty record_id": child_csv({**CHILDREN[9], "record_id": ""}).split(b"\r\n")[1],
}
INVOLVEMENT_HEADER = ("record_id", "child_record_id", "service_name", "service_type",
                      "start_date")  # fmt: skip


@pytest.fixture
def loads(fresh_database, tmp_path) -> Loads:
    directory = Loads.with_sources(fresh_database.engine, tmp_path, "health")
    directory.load("health", child_csv(*CHILDREN))
    return directory


def with_row(data: bytes, row: bytes, *, line: int) -> bytes:
    """``data`` with ``row`` put in as its line ``line`` (the header is line 1)."""
    lines = data.split(b"\r\n")
    lines.insert(line - 1, row)
    return b"\r\n".join(lines)


def live_keys(loads: Loads) -> set[str]:
    return {record_id for _, record_id, _ in loads.links()}


def file_notes(report) -> list[str]:
    return [p.reason for p in report.problems if p.level is Level.NOTE and p.line == 0]


@pytest.mark.parametrize("kind", UNREADABLE)
def test_a_full_extract_with_an_unreadable_row_ends_no_record(loads, kind):
    """H9's row cannot be read: H9 is not ended."""
    extract = with_row(child_csv(*CHILDREN[:9]), UNREADABLE[kind], line=11)
    report = loads.load("health", extract)
    assert report.status is LoadStatus.COMPLETED
    assert (report.counts["rejected"], report.counts["ended"]) == (1, 0)
    assert live_keys(loads) == {child["record_id"] for child in CHILDREN}
    [note] = file_notes(report)
    assert "1 row of this full extract (line 11) was rejected before the record_id" in note
    assert "ends none of the 1 record it does not carry" in note
    assert "load the extract again" in note


def test_a_truncated_full_extract_ending_in_a_cut_row_is_not_stopped_and_ends_nothing(loads):
    """The mass-end guard counts what would really end: nothing, here."""
    truncated = with_row(child_csv(*CHILDREN[:5]), b"H5,Arl", line=7)
    report = loads.load("health", truncated)
    assert report.status is LoadStatus.COMPLETED
    assert report.counts["ended"] == 0
    assert len(live_keys(loads)) == len(CHILDREN)
    [note] = file_notes(report)
    assert "ends none of the 5 records it does not carry" in note


def test_the_note_counts_the_rows_and_names_their_first_lines(loads):
    rows = [*(f"H{n},Only,Three".encode() for n in range(7)), b'H7,"Leo']
    extract = child_csv(*CHILDREN[7:])
    for line, row in enumerate(rows, start=2):
        extract = with_row(extract, row, line=line)
    report = loads.load("health", extract)
    assert report.counts["rejected"] == 8
    [note] = file_notes(report)
    assert "8 rows of this full extract (lines 2, 3, 4, 5, 6 and 3 more) were rejected" in note


def test_a_resumed_full_load_still_ends_nothing(loads, monkeypatch):
    """Killed after its first chunk and run again: what pass one found is kept."""
    monkeypatch.setattr("contactpoint.feeds.loading.CHUNK_ROWS", 3)
    extract = with_row(child_csv(*CHILDREN[:9]), UNREADABLE["too few values"], line=11)
    request = LoadRequest(source="health", path=loads.file(extract),
                          extracted_on=dt.date(2026, 11, 20))  # fmt: skip
    with monkeypatch.context() as patch:
        interrupt_on_chunk(patch, 2)
        with pytest.raises(KeyboardInterrupt):
            run_load(loads.sessions, request, by=OPERATOR, linker=linker())
    report = run_load(loads.sessions, request, by=OPERATOR, linker=linker())
    assert report.resumed
    assert (report.status, report.counts["ended"]) == (LoadStatus.COMPLETED, 0)
    assert live_keys(loads) == {child["record_id"] for child in CHILDREN}
    assert len(file_notes(report)) == 1


def test_a_delta_with_an_unreadable_row_says_nothing_of_ending(loads):
    extract = with_row(child_csv(CHILDREN[0]), UNREADABLE["broken quoting"], line=2)
    report = loads.load("health", extract, mode=LoadMode.DELTA)
    assert report.counts["rejected"] == 1
    assert file_notes(report) == []


def test_a_full_involvement_extract_with_an_unreadable_row_ends_no_involvement(loads):
    rows = [["I1", "H0", "Oxford Health Visiting", "health_visiting", "2025-01-01"],
            ["I2", "H1", "Oxford Health Visiting", "health_visiting", "2025-01-01"]]  # fmt: skip
    loads.load("health", csv_bytes(INVOLVEMENT_HEADER, rows), feed=Feed.INVOLVEMENTS)
    extract = with_row(csv_bytes(INVOLVEMENT_HEADER, rows[:1]), b"I2,H1", line=3)
    report = loads.load("health", extract, feed=Feed.INVOLVEMENTS, allow_mass_end=True)
    assert report.status is LoadStatus.COMPLETED
    assert (report.counts["rejected"], report.counts["ended"]) == (1, 0)
    [note] = file_notes(report)
    assert "(line 3)" in note


def _patients(*resources: dict[str, object]) -> bytes:
    return b"".join(json.dumps(resource).encode() + b"\n" for resource in resources)


def _patient(key: str, given: str) -> dict[str, object]:
    return {"resourceType": "Patient", "id": key, "birthDate": "2014-07-21",
            "name": [{"family": "Barton", "given": [given]}]}  # fmt: skip


@pytest.mark.parametrize(
    ("other", "ended"),
    [
        ({"resourceType": "Organization", "id": "O1", "name": "A school"}, 1),  # no child's
        ({"resourceType": "Patient", "birthDate": "2014-07-21"}, 0),  # a Patient without id
        ({"name": [{"family": "Barton"}]}, 0),  # no resourceType: perhaps a damaged Patient
    ],
)
def test_a_fhir_resource_of_another_type_does_not_stop_a_full_extract_ending(
    fresh_database, tmp_path, other, ended
):
    directory = Loads.with_sources(fresh_database.engine, tmp_path, "health")
    amelia, oliver = _patient("P1", "Amelia"), _patient("P2", "Oliver")
    isla = _patient("P3", "Isla")
    directory.load("health", _patients(amelia, oliver, isla), file_format="fhir")

    report = directory.load(
        "health", _patients(amelia, other, oliver), file_format="fhir", allow_mass_end=True
    )

    assert report.status is LoadStatus.COMPLETED
    assert (report.counts["rejected"], report.counts["ended"]) == (1, ended)
    assert ("P3" in live_keys(directory)) is (ended == 0)


def test_rows_of_separators_only_are_skipped_like_blank_lines(loads):
    """A spreadsheet leaves ``,,,,`` rows below its data: they are no rows, so they neither
    count as rejected nor stop a full extract ending what it does not carry."""
    extract = child_csv(*CHILDREN[:9]) + b",,,,,,\r\n,,,,,,\r\n"
    report = loads.load("health", extract)
    assert report.status is LoadStatus.COMPLETED
    assert (report.counts["rows_read"], report.counts["rejected"]) == (9, 0)
    assert report.counts["ended"] == 1
    assert "H9" not in live_keys(loads)
