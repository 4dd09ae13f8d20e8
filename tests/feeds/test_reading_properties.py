"""Properties of reading any CSV: values survive, lines are right, nothing valid is lost."""

from __future__ import annotations

import datetime as dt
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from contactpoint.feeds.extracts import child_rows
from contactpoint.feeds.problems import FeedFileError
from contactpoint.feeds.reading import LineReader, Record, records
from contactpoint.feeds.row_checks import Accepted, Rejected

from feed_files import csv_bytes

cell = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"),
    max_size=12,
)
row_strategy = st.lists(cell, min_size=3, max_size=3).filter(
    lambda row: any(v.strip() for v in row)
)


@given(st.lists(row_strategy, max_size=20))
@settings(max_examples=150)
def test_values_written_by_any_csv_writer_read_back_exactly(rows: list[list[str]]) -> None:
    data = csv_bytes(("a", "b", "c"), rows)
    read = list(records(iter(LineReader(io.BytesIO(data)))))
    assert all(isinstance(record, Record) for record in read)
    assert [record.values for record in read if isinstance(record, Record)][1:] == rows


@given(st.lists(row_strategy, min_size=1, max_size=20))
def test_each_record_starts_on_the_line_the_writer_put_it(rows: list[list[str]]) -> None:
    data = csv_bytes(("a", "b", "c"), rows)
    read = [r for r in records(iter(LineReader(io.BytesIO(data)))) if isinstance(r, Record)]
    expected_line = 2
    for record, row in zip(read[1:], rows, strict=True):
        assert record.line == expected_line
        written = csv_bytes(("a", "b", "c"), [row]).decode().split("\r\n", 1)[1]
        expected_line += written.count("\n")


@given(st.binary(max_size=300))
@settings(max_examples=300)
def test_any_bytes_give_rows_or_a_file_problem_never_a_crash(data: bytes) -> None:
    header = b"record_id,given_name,family_name,date_of_birth\n"
    try:
        results = list(child_rows(io.BytesIO(header + data), extracted_on=dt.date(2026, 12, 1)))
    except FeedFileError as error:
        results = []
        problem = error.problem
        assert problem.reason
    assert all(isinstance(result, Accepted | Rejected) for result in results)


@given(st.lists(st.sampled_from(["good", "no_name", "bad_date", "stray_quote"]), max_size=30))
def test_valid_rows_are_never_lost_because_of_invalid_ones(kinds: list[str]) -> None:
    lines = {
        "good": "{n},Amelia,Smith,2014-01-01",
        "no_name": "{n},,Smith,2014-01-01",
        "bad_date": "{n},Amelia,Smith,2014-02-31",
        "stray_quote": '{n},"Amelia,Smith,2014-01-01',
    }
    body = "".join(lines[kind].format(n=f"R{n}") + "\n" for n, kind in enumerate(kinds))
    data = ("record_id,given_name,family_name,date_of_birth\n" + body).encode()
    results = list(child_rows(io.BytesIO(data), extracted_on=dt.date(2026, 12, 1)))
    loaded = [r.row.record_id for r in results if isinstance(r, Accepted)]
    assert loaded == [f"R{n}" for n, kind in enumerate(kinds) if kind == "good"]
    rejected_lines = [r.line for r in results if isinstance(r, Rejected)]
    assert rejected_lines == [n + 2 for n, kind in enumerate(kinds) if kind != "good"]
