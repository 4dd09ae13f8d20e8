"""Reading a FHIR extract: its bytes to numbered resources, a Bundle or NDJSON.

A Bundle is read with ijson, entry by entry; NDJSON line by line. Either way
memory stays flat, one resource at a time, however large the file. A resource is
numbered by its NDJSON line, or by its Bundle entry counted from 1. What cannot
be read as a resource stands as :class:`Unreadable`, saying why, so that the
resource is rejected and the others still load; a file that is not a FHIR extract
at all (not UTF-8, not JSON, not a Bundle, over the size cap) is a file error.
"""

from __future__ import annotations

import codecs
import json
from typing import IO, TYPE_CHECKING, Any, Final

import ijson  # type: ignore[import-untyped]
from ijson.common import JSONError, ObjectBuilder  # type: ignore[import-untyped]

from contactpoint.feeds.problems import file_error
from contactpoint.feeds.reading import MEBIBYTE

if TYPE_CHECKING:
    from collections.abc import Iterator

LONGEST_RESOURCE: Final = MEBIBYTE  # one NDJSON line; a child's Patient is a few KiB
READ_BLOCK: Final = 64 * 1024
_UTF8_BOM: Final = b"\xef\xbb\xbf"
_UTF16_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")
_ENTRY_EVENTS: Final = frozenset({"start_map", "start_array"})


def numbered_resources(
    stream: IO[bytes], *, size_cap: int
) -> tuple[str, Iterator[tuple[int, object]]]:
    """What numbers the resources ("line" for NDJSON, "entry" for a Bundle), and each one."""
    return _resources(_Source(stream, size_cap=size_cap))


class _Source:
    """The file's bytes, counted against the size cap; what ijson reads is checked as UTF-8."""

    def __init__(self, stream: IO[bytes], *, size_cap: int) -> None:
        self._stream, self._size_cap = stream, size_cap
        self._pushed: list[bytes] = []
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.bytes_read = 0
        self.lines = 0

    def readline(self) -> bytes:
        raw = self._stream.readline(LONGEST_RESOURCE + 1)
        self._count(raw)
        return raw

    def push_back(self, lines: list[bytes]) -> None:
        self._pushed = lines

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""  # ijson reads nothing first, to learn that the stream gives bytes
        raw = self._pushed.pop(0) if self._pushed else b""
        if not raw:
            raw = self._stream.read(size if size > 0 else READ_BLOCK)
            self._count(raw)
        try:
            self._decoder.decode(raw, final=not raw)
        except UnicodeDecodeError as error:
            line = self.lines + raw[: max(error.start, 0)].count(b"\n") + 1
            raise file_error("the file is not UTF-8; save it as UTF-8", line=line) from None
        self.lines += raw.count(b"\n")
        return raw

    def _count(self, raw: bytes) -> None:
        self.bytes_read += len(raw)
        if self.bytes_read > self._size_cap:
            cap = (
                f"{self._size_cap // MEBIBYTE:,} MiB"
                if self._size_cap >= MEBIBYTE
                else f"{self._size_cap:,} bytes"
            )
            raise file_error(f"the file is larger than the {cap} a load accepts; split it")


def _resources(source: _Source) -> tuple[str, Iterator[tuple[int, object]]]:
    """Whether the file is NDJSON ("line") or a Bundle ("entry"), and its numbered resources.

    NDJSON when its first line (or, that one being broken, its second) is a JSON
    value on its own that is not a Bundle; otherwise one JSON document, a Bundle.
    """
    first = _first_lines(source)
    if not first:
        raise file_error("the file is empty: it needs a Bundle or one Patient a line (NDJSON)")
    line_one, parsed = first[0], _parsed(first[0])
    if parsed is None and len(first) > 1:
        parsed = _parsed(first[1])
    ndjson = parsed is not None and not _is_bundle(parsed[0])
    if ndjson:
        return "line", _ndjson(source, first)
    source.push_back([line_one.removeprefix(_UTF8_BOM), *first[1:]])
    return "entry", _bundle_entries(source)


def _first_lines(source: _Source) -> list[bytes]:
    """The first two non-blank lines (the blank ones before them are kept, for numbering)."""
    lines: list[bytes] = []
    while sum(bool(line.strip()) for line in lines) < 2:  # noqa: PLR2004 - two lines decide
        raw = source.readline()
        if not raw:
            break
        if not lines and raw.startswith(_UTF16_BOMS):
            raise file_error("the file is UTF-16: save it as UTF-8", line=1)
        lines.append(raw)
    return lines if any(line.strip() for line in lines) else []


def _parsed(raw: bytes) -> tuple[object] | None:
    """The line's JSON value (in a tuple, as it may be null), or None when it is not one."""
    text = raw.removeprefix(_UTF8_BOM)
    if not text.strip() or (len(text) > LONGEST_RESOURCE and not text.endswith(b"\n")):
        return None
    try:
        return (json.loads(text.decode("utf-8")),)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def _is_bundle(value: object) -> bool:
    return isinstance(value, dict) and value.get("resourceType") == "Bundle"


def _ndjson(source: _Source, first: list[bytes]) -> Iterator[tuple[int, object]]:
    line = 0
    pending = list(first)
    while raw := (pending.pop(0) if pending else source.readline()):
        line += 1
        if line == 1:
            raw = raw.removeprefix(_UTF8_BOM)
        if len(raw) > LONGEST_RESOURCE and not raw.endswith(b"\n"):
            raise file_error(
                f"the line is longer than {LONGEST_RESOURCE // MEBIBYTE} MiB: NDJSON holds"
                " one resource a line",
                line=line,
            )
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise file_error(
                f"the file is not UTF-8 (byte 0x{raw[error.start]:02X} at character"
                f" {error.start + 1}); save it as UTF-8",
                line=line,
            ) from None
        if text.strip():
            yield line, _json_line(text, line)


class Unreadable:
    """What stands in for a resource that cannot be read: why (never the file's content)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _json_line(text: str, line: int) -> object:
    try:
        return json.loads(text)
    except RecursionError:
        return Unreadable(f"line {line} is not JSON: it is nested too deeply")
    except json.JSONDecodeError as error:
        return Unreadable(f"line {line} is not JSON: {error.msg} at character {error.pos + 1}")


def _entry_resource(entry: object, number: int) -> object:
    if not isinstance(entry, dict):
        return Unreadable(f"entry {number} is not a JSON object")
    if "resource" not in entry:
        return Unreadable(f"entry {number} has no resource")
    return entry["resource"]


def _bundle_entries(source: _Source) -> Iterator[tuple[int, object]]:
    """Each entry of the Bundle as it is read; the file is never held whole."""
    bundle = _Bundle()
    try:
        events = ijson.parse(source)
        first = next(events, None)
        if first is None or first[1] != "start_map":
            raise file_error("the file is JSON but not a FHIR Bundle (nor NDJSON)")
        for prefix, event, value in events:
            entry = bundle.event(prefix, event, value)
            if entry is not None:
                yield bundle.entries, _entry_resource(entry[0], bundle.entries)
    except JSONError as error:
        reason = str(error).splitlines()[0][:80] if str(error) else "it ends too soon"
        raise file_error(f"the file is not valid JSON ({reason})") from None
    _require_bundle(bundle.resource_type)
    if bundle.entries == 0:
        raise file_error("the Bundle has no entries")


class _Bundle:
    """The top of a Bundle from ijson's events, and each entry built as its events pass."""

    def __init__(self) -> None:
        self.entries = 0
        self.resource_type: object = None
        self._builder: Any = None

    def event(self, prefix: str, event: str, value: object) -> tuple[object] | None:
        """The entry that this event completes, in a tuple (it may be null), if any."""
        if self._builder is not None:
            self._builder.event(event, value)
            if prefix == "entry.item" and event in {"end_map", "end_array"}:
                built, self._builder = self._builder.value, None
                return (built,)
        elif prefix == "entry.item":
            self.entries += 1
            if event not in _ENTRY_EVENTS:
                return (value,)
            self._builder = ObjectBuilder()
            self._builder.event(event, value)
        elif prefix == "entry" and event not in {"start_array", "end_array"}:
            raise file_error("the Bundle's entry is not a list of entries")
        elif prefix == "resourceType":
            self.resource_type = value
            _require_bundle(value)
        return None


def _require_bundle(resource_type: object) -> None:
    if resource_type != "Bundle":
        shown = f"a {resource_type[:40]}" if isinstance(resource_type, str) else "no resource"
        raise file_error(
            f"the file holds {shown}, not a Bundle: send a Bundle of Patients or NDJSON"
        )
