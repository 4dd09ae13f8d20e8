"""An extract read row by row: the header checked, then each row accepted or rejected.

Rows stream past one at a time, so memory stays flat however large the file. A
file problem raises :class:`FeedFileError` wherever it is met; the loader makes
sure that nothing from such a file stays applied.
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING

from contactpoint.feeds.child_rows import CHILD_COLUMNS, check_child_row
from contactpoint.feeds.header import Header, read_header
from contactpoint.feeds.involvement_rows import INVOLVEMENT_COLUMNS, check_involvement_row
from contactpoint.feeds.problems import file_error
from contactpoint.feeds.reading import (
    DEFAULT_SIZE_CAP,
    Broken,
    LineReader,
    Record,
    broken_problem,
    records,
)
from contactpoint.feeds.row_checks import (
    Accepted,
    Deletion,
    Duplicates,
    DuplicatesInMemory,
    Rejected,
)
from contactpoint.provenance.models import Feed
from contactpoint.provenance.reported import ChildRow, InvolvementRow

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterator


def _header(numbered: Iterator[Record | Broken], feed: Feed) -> Header:
    first = next(numbered, None)
    if first is None:
        raise file_error("the file is empty: it needs a header row naming its columns")
    if isinstance(first, Broken) or first.line != 1:
        raise file_error("the first line must be the header row naming the columns", line=1)
    columns = CHILD_COLUMNS if feed is Feed.CHILDREN else INVOLVEMENT_COLUMNS
    return read_header(first.values, columns=columns)


def child_rows(
    stream: IO[bytes],
    *,
    extracted_on: dt.date,
    duplicates: Duplicates | None = None,
    size_cap: int = DEFAULT_SIZE_CAP,
) -> Iterator[Accepted[ChildRow | Deletion] | Rejected]:
    numbered = records(iter(LineReader(stream, size_cap=size_cap)))
    header = _header(numbered, Feed.CHILDREN)
    seen = duplicates if duplicates is not None else DuplicatesInMemory()
    for record in numbered:
        if isinstance(record, Broken):
            yield Rejected(record.line, None, (broken_problem(record),))
        else:
            yield check_child_row(
                header, record.line, record.values, duplicates=seen, extracted_on=extracted_on
            )


def involvement_rows(
    stream: IO[bytes],
    *,
    duplicates: Duplicates | None = None,
    size_cap: int = DEFAULT_SIZE_CAP,
) -> Iterator[Accepted[InvolvementRow | Deletion] | Rejected]:
    numbered = records(iter(LineReader(stream, size_cap=size_cap)))
    header = _header(numbered, Feed.INVOLVEMENTS)
    seen = duplicates if duplicates is not None else DuplicatesInMemory()
    for record in numbered:
        if isinstance(record, Broken):
            yield Rejected(record.line, None, (broken_problem(record),))
        else:
            yield check_involvement_row(header, record.line, record.values, duplicates=seen)
