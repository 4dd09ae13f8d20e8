"""Reading an extract: bytes to numbered CSV records, one at a time, memory flat.

Every record keeps the physical line it starts on, because every problem is
reported by line and column. A record may span lines only inside quotes; a
quote that never closes rejects the row it opens on, and reading resumes on the
next line, so one stray quote cannot swallow the rows after it.
"""

from __future__ import annotations

import csv
from collections import deque
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Final

from contactpoint.feeds.problems import Level, Problem, file_error

if TYPE_CHECKING:
    from collections.abc import Iterator

MEBIBYTE: Final = 1 << 20
DEFAULT_SIZE_CAP: Final = 2048 * MEBIBYTE
LONGEST_LINE: Final = 64 * 1024  # bytes; a feed row is a few hundred
LONGEST_RECORD_LINES: Final = 20  # a quoted value may hold line breaks, never this many
_UTF8_BOM: Final = b"\xef\xbb\xbf"
_UTF16_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True, slots=True)
class Record:
    line: int
    values: list[str]


@dataclass(frozen=True, slots=True)
class Broken:
    """A record whose quoting is broken: rejected as a row, reading goes on."""

    line: int
    reason: str


class LineReader:
    """Physical lines of a binary stream as text, counting bytes against a cap."""

    def __init__(self, stream: IO[bytes], *, size_cap: int = DEFAULT_SIZE_CAP) -> None:
        self._stream = stream
        self._size_cap = size_cap
        self.bytes_read = 0
        self.line = 0

    def __iter__(self) -> Iterator[tuple[int, str]]:
        while raw := self._stream.readline(LONGEST_LINE + 1):
            self.line += 1
            self.bytes_read += len(raw)
            self._check(raw)
            yield self.line, self._decoded(raw)

    def _check(self, raw: bytes) -> None:
        if self.bytes_read > self._size_cap:
            cap = (
                f"{self._size_cap // MEBIBYTE:,} MiB"
                if self._size_cap >= MEBIBYTE
                else f"{self._size_cap:,} bytes"
            )
            raise file_error(f"the file is larger than the {cap} a load accepts; split it")
        if len(raw) > LONGEST_LINE and not raw.endswith(b"\n"):
            raise file_error(
                f"the line is longer than {LONGEST_LINE} bytes: is this a CSV file"
                " with one row per line?",
                line=self.line,
            )

    def _decoded(self, raw: bytes) -> str:
        if self.line == 1:
            if raw.startswith(_UTF16_BOMS):
                raise file_error("the file is UTF-16: save it as UTF-8", line=1)
            raw = raw.removeprefix(_UTF8_BOM)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as error:
            byte = raw[error.start]
            raise file_error(
                f"the file is not UTF-8 (byte 0x{byte:02X} at character {error.start + 1});"
                " save it as UTF-8",
                line=self.line,
            ) from error


def _parse(text: str) -> list[str]:
    return next(csv.reader([text], strict=True), [])


def _scan(text: str, *, inside: bool) -> tuple[bool, bool]:
    """Whether ``text`` ends inside a quoted value, and whether its quoting is broken.

    A quote opens a value only at the start of one (as Python's csv reads it);
    elsewhere outside quotes it is a literal character. A closing quote must be
    followed by a comma or the end of the line.
    """
    if '"' not in text:
        return inside, False
    at_start = not inside
    position, length = 0, len(text)
    while position < length:
        char = text[position]
        if inside:
            if char == '"':
                if text.startswith('"', position + 1):
                    position += 1
                else:
                    inside = False
                    if position + 1 < length and text[position + 1] not in ",\r\n":
                        return False, True
        elif char == '"' and at_start:
            inside = True
        at_start = not inside and char == ","
        position += 1
    return inside, False


def records(lines: Iterator[tuple[int, str]]) -> Iterator[Record | Broken]:
    """RFC 4180 records with the line each starts on; blank lines, and rows whose values
    are all empty, are skipped.

    When a record that spans lines turns out broken, only its first line is
    rejected and the lines after it are read afresh: a stray quote costs one row.
    """
    pending: deque[tuple[int, str]] = deque()
    source = iter(lines)
    while True:
        if not pending:
            first = next(source, None)
            if first is None:
                return
            pending.append(first)
        start, text = pending[0]
        inside, broken = _scan(text, inside=False)
        taken = 1
        while inside and not broken and taken < LONGEST_RECORD_LINES:
            if taken == len(pending):
                more = next(source, None)
                if more is None:
                    break
                pending.append(more)
            inside, broken = _scan(pending[taken][1], inside=True)
            text += pending[taken][1]
            taken += 1
        if inside or (broken and taken > 1):
            pending.popleft()
            yield Broken(start, "a quoted value opens on this line and is never closed")
            continue
        for _ in range(taken):
            pending.popleft()
        record = _record(start, text) if text.strip() else None
        if record is not None and not _empty(record):
            yield record


def _empty(record: Record | Broken) -> bool:
    """A row of separators only (``,,,,``, as spreadsheets leave below their data)."""
    return isinstance(record, Record) and not any(value.strip() for value in record.values)


def _record(start: int, text: str) -> Record | Broken:
    try:
        values = _parse(text)
    except csv.Error as error:
        return Broken(start, f"the quoting is broken ({error})")
    return Record(start, values)


def broken_problem(broken: Broken) -> Problem:
    return Problem(Level.ROW, broken.line, None, broken.reason)
