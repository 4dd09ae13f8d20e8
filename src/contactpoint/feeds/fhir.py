"""FHIR R4 ``Patient`` resources as the child feed: a Bundle or NDJSON, one resource at a time.

Each Patient is mapped onto the CSV contract's columns and then checked by the
very same rules (:func:`~contactpoint.feeds.child_rows.check_child_row`), so a
FHIR extract loads exactly as the equivalent CSV would: the same check digits,
postcodes, dates, lengths, duplicates and levels. A problem names the resource
by its NDJSON line, or by its Bundle entry counted from 1 (``Problem.line`` is
then the entry number), and the value by its JSON path (``name[0].family``).

Mapping decisions (``feeds.md`` leaves FHIR's details to us):

- ``record_id`` is ``Patient.id``; a Patient without one may give an identifier
  with ``use: usual`` (not an NHS number or UPN) instead; with neither, it is rejected.
- ``nhs_number`` is the identifier of system ``https://fhir.nhs.uk/Id/nhs-number``;
  ``upn`` the identifier of system ``urn:contactpoint:upn`` (FHIR has no national
  system for the Unique Pupil Number, so the feed names its own).
- Names: the ``official`` name, else the ``usual`` one, else one with no ``use``;
  ``given[0]`` is the given name, the rest the middle names; ``family`` the family
  name. The family names of ``old`` and ``maiden`` names are the former family names.
- ``gender``: male, female, other, unknown become male, female, not_specified, not_known.
- ``birthDate`` and ``deceasedDateTime`` (its date part): a partial date (``2014``,
  ``2014-07``) is present but not a real date, so, as in the CSV feed, the
  resource is rejected. ``deceasedBoolean: true`` without a date is only noted.
- Address: a ``home`` address (else one with no use, else ``temp``) whose
  ``period.end`` has not passed, as ``current``; with none, the latest ended or
  ``old`` one, as ``last_known``. ``line[0]`` is address line 1, the other lines
  address line 2; ``city`` is the town; ``postalCode`` the postcode.
- Carers: the first two ``contact`` entries whose relationship is a person
  (v3 RoleCode such as MTH, FTH, PRN, STPPRN, GRPRN, PRNFOST, GUARD; or the
  feed's own words, ``mother``...); v2-0131's roles (C, N, O, U) make a carer of
  unknown relationship; organisational roles (E, I, S...) are not carers. The
  first phone and email in ``telecom`` are theirs. School fields have no FHIR home.
- ``gp_practice_code``: the ``generalPractitioner`` reference whose identifier is
  of system ``https://fhir.nhs.uk/Id/ods-organization-code``.
- ``active: false``: the source no longer uses this record, which is what the
  CSV feed's ``action=delete`` says; it ends the record in full and delta loads alike.

A Bundle is read with ijson, entry by entry; NDJSON line by line. Either way
memory stays flat, one resource at a time, however large the file.
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import re
from typing import IO, TYPE_CHECKING, Any, Final

import ijson  # type: ignore[import-untyped]
from ijson.common import JSONError, ObjectBuilder  # type: ignore[import-untyped]

from contactpoint.feeds.child_rows import CHILD_COLUMNS, check_child_row
from contactpoint.feeds.header import Header
from contactpoint.feeds.problems import Level, Problem, file_error
from contactpoint.feeds.reading import DEFAULT_SIZE_CAP, MEBIBYTE
from contactpoint.feeds.row_checks import (
    Accepted,
    Deletion,
    Duplicates,
    DuplicatesInMemory,
    Rejected,
)
from contactpoint.provenance.reported import ChildRow
from contactpoint.vocabulary import CarerRelationship

if TYPE_CHECKING:
    from collections.abc import Iterator

NHS_NUMBER_SYSTEM: Final = "https://fhir.nhs.uk/Id/nhs-number"
UPN_SYSTEM: Final = "urn:contactpoint:upn"
ODS_SYSTEM: Final = "https://fhir.nhs.uk/Id/ods-organization-code"
LONGEST_RESOURCE: Final = MEBIBYTE  # one NDJSON line; a child's Patient is a few KiB
READ_BLOCK: Final = 64 * 1024
_UTF8_BOM: Final = b"\xef\xbb\xbf"
_UTF16_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")
_PARTIAL_DATE: Final = re.compile(r"[0-9]{4}(-[0-9]{2})?")
_COLUMNS: Final = (*CHILD_COLUMNS.required, *CHILD_COLUMNS.optional)
_HEADER: Final = Header({column: position for position, column in enumerate(_COLUMNS)})
_ENTRY_EVENTS: Final = frozenset({"start_map", "start_array"})

GENDERS: Final = {"male": "male", "female": "female", "other": "not_specified",
                  "unknown": "not_known"}  # fmt: skip
_R = CarerRelationship
RELATIONSHIPS: Final[dict[str, CarerRelationship | None]] = {
    **dict.fromkeys(("MTH", "NMTH", "ADOPTM", "GESTM"), _R.MOTHER),
    **dict.fromkeys(("FTH", "NFTH", "ADOPTF"), _R.FATHER),
    **dict.fromkeys(("PRN", "NPRN", "ADOPTP"), _R.PARENT),
    **dict.fromkeys(("STPPRN", "STPMTH", "STPFTH"), _R.STEP_PARENT),
    **dict.fromkeys(("GRPRN", "GRMTH", "GRFTH", "MGRPRN", "MGRMTH", "MGRFTH",
                     "PGRPRN", "PGRMTH", "PGRFTH"), _R.GRANDPARENT),
    **dict.fromkeys(("PRNFOST", "MTHFOST", "FTHFOST", "FOSTERPARENT"), _R.FOSTER_CARER),
    **dict.fromkeys(("GUARD", "GUADLTM"), _R.GUARDIAN),
    "O": _R.OTHER, "C": None, "N": None, "U": None,
    **{relationship.value: relationship for relationship in CarerRelationship},
}  # fmt: skip
NOT_CARERS: Final = frozenset({"BP", "CP", "E", "EP", "F", "I", "PR", "S"})
CARERS_HELD: Final = 2


def fhir_child_rows(
    stream: IO[bytes],
    *,
    extracted_on: dt.date,
    duplicates: Duplicates | None = None,
    size_cap: int = DEFAULT_SIZE_CAP,
) -> Iterator[Accepted[ChildRow | Deletion] | Rejected]:
    """Each Patient of a Bundle or NDJSON file, accepted or rejected as its CSV row would be."""
    seen = duplicates if duplicates is not None else DuplicatesInMemory()
    source = _Source(stream, size_cap=size_cap)
    unit, resources = _resources(source)
    for line, resource in resources:
        yield check_patient(resource, line, unit=unit, duplicates=seen, extracted_on=extracted_on)


# --- reading: bytes to numbered resources ---------------------------------------------


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


class _Unreadable:
    """What stands in for a resource that cannot be read: why (never the file's content)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _json_line(text: str, line: int) -> object:
    try:
        return json.loads(text)
    except RecursionError:
        return _Unreadable(f"line {line} is not JSON: it is nested too deeply")
    except json.JSONDecodeError as error:
        return _Unreadable(f"line {line} is not JSON: {error.msg} at character {error.pos + 1}")


def _entry_resource(entry: object, number: int) -> object:
    if not isinstance(entry, dict):
        return _Unreadable(f"entry {number} is not a JSON object")
    if "resource" not in entry:
        return _Unreadable(f"entry {number} has no resource")
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


# --- one resource: mapped onto the CSV columns, then checked as a CSV row --------------


class _Unclaimed:
    """For a resource already rejected: its id must not count as the first occurrence."""

    def first_line(self, record_id: str, line: int) -> int | None:  # noqa: ARG002 - the protocol
        return None


def check_patient(
    resource: object,
    line: int,
    *,
    unit: str = "line",
    duplicates: Duplicates,
    extracted_on: dt.date,
) -> Accepted[ChildRow | Deletion] | Rejected:
    """One resource as the child feed's row: accepted, or rejected with its problems."""
    refusal = _not_a_patient(resource, f"{unit} {line}")
    if refusal is not None or not isinstance(resource, dict):
        return Rejected(line, None, (Problem(Level.ROW, line, None, refusal or ""),))
    patient = _Patient(resource, line, extracted_on=extracted_on)
    result = check_child_row(
        _HEADER,
        line,
        [patient.values.get(column, "") for column in _COLUMNS],
        duplicates=_Unclaimed() if patient.rejected else duplicates,
        extracted_on=extracted_on,
    )
    problems = (*patient.problems, *patient.translated(result.problems, unit=unit))
    if isinstance(result, Rejected):
        return Rejected(line, result.record_id, problems)
    if patient.rejected:
        key = getattr(result.row, "record_id", "")
        return Rejected(line, key or None, problems)
    return Accepted(result.row, problems)


def _not_a_patient(resource: object, where: str) -> str | None:
    if isinstance(resource, _Unreadable):
        return resource.reason
    if not isinstance(resource, dict):
        return f"{where} is not a JSON object, so not a Patient"
    kind = resource.get("resourceType")
    if kind == "Patient":
        return None
    if not isinstance(kind, str) or not kind:
        return f"{where} has no resourceType: it must be a Patient"
    article = "an" if kind[:1].upper() in "AEIOU" else "a"
    return f"{where} is {article} {kind[:40]}, not a Patient"


def _objects(value: object, path: str) -> list[tuple[str, dict[str, Any]]]:
    """The JSON objects of a FHIR list, each with its path; anything else is passed over."""
    if not isinstance(value, list):
        return []
    return [(f"{path}[{n}]", item) for n, item in enumerate(value) if isinstance(item, dict)]


def _strings(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str) and item.strip()]


class _Patient:
    """One Patient's values by CSV column, the JSON path of each, and FHIR-specific problems."""

    def __init__(self, resource: dict[str, Any], line: int, *, extracted_on: dt.date) -> None:
        self.resource, self.line, self.extracted_on = resource, line, extracted_on
        self.values: dict[str, str] = {}
        self.paths: dict[str, str] = {}
        self.problems: list[Problem] = []
        self.reported: set[str] = set()
        self.rejected = False
        self._record_id()
        active = resource.get("active")
        if active is False:
            self.put("action", "delete", "active")
            return
        if active is not None and not isinstance(active, bool):
            self.problem(Level.ROW, "action", "active", "active is not true or false")
        for part in (self._identifiers, self._names, self._gender, self._dates,
                     self._address, self._carers, self._gp_practice):  # fmt: skip
            part()

    def put(self, column: str, value: str | None, path: str) -> None:
        self.paths[column] = path
        if value is not None:
            self.values[column] = value

    def problem(self, level: Level, column: str, path: str, reason: str) -> None:
        self.rejected = self.rejected or level is Level.ROW
        self.reported.add(column)
        if level is Level.FIELD:
            reason += "; the row loads without it"
        self.problems.append(Problem(level, self.line, path, reason))

    def text(self, column: str, value: object, path: str, *, level: Level = Level.FIELD) -> None:
        """A FHIR string put under ``column``; another JSON type is a problem at ``level``."""
        if isinstance(value, str):
            self.put(column, value, path)
        elif value is not None:
            self.problem(level, column, path, f"{path} is not a string")

    def translated(self, problems: tuple[Problem, ...], *, unit: str) -> list[Problem]:
        """The CSV check's problems, named by JSON path; those already reported left out."""
        kept = []
        for problem in problems:
            if problem.column in self.reported:
                continue
            path = self.paths.get(problem.column or "", problem.column)
            reason = problem.reason
            if problem.column and path:
                reason = reason.replace(problem.column, path)
            if unit != "line":
                reason = reason.replace("on line ", f"in {unit} ")
            kept.append(Problem(problem.level, problem.line, path, reason))
        return kept

    # --- the parts of a Patient ---

    def _identifier_objects(self) -> list[tuple[str, dict[str, Any]]]:
        return _objects(self.resource.get("identifier"), "identifier")

    def _record_id(self) -> None:
        raw = self.resource.get("id")
        if raw is not None:
            if not isinstance(raw, str):
                self.problem(Level.ROW, "record_id", "id", "id is not a string")
            self.put("record_id", raw if isinstance(raw, str) else None, "id")
            return
        for path, identifier in self._identifier_objects():
            own = _word(identifier, "system") not in {NHS_NUMBER_SYSTEM, UPN_SYSTEM}
            if own and identifier.get("use") == "usual" and identifier.get("value"):
                self.text("record_id", identifier.get("value"), f"{path}.value", level=Level.ROW)
                return
        reason = "the Patient has no id (nor a usual identifier of the source's own)"
        self.problem(Level.ROW, "record_id", "id", reason)

    def _identifiers(self) -> None:
        for column, system in (("nhs_number", NHS_NUMBER_SYSTEM), ("upn", UPN_SYSTEM)):
            for path, identifier in self._identifier_objects():
                if identifier.get("system") == system:
                    self.text(column, identifier.get("value"), f"{path}.value")
                    break

    def _names(self) -> None:
        names = _objects(self.resource.get("name"), "name")
        by_use: dict[object, tuple[str, dict[str, Any]]] = {}
        for path, name in names:
            by_use.setdefault(_word(name, "use"), (path, name))
        chosen = by_use.get("official") or by_use.get("usual") or by_use.get(None)
        if chosen is None:
            for column in ("given_name", "family_name"):
                self.problem(Level.ROW, column, "name",
                             "the Patient has no official, usual or unlabelled name")  # fmt: skip
            return
        path, name = chosen
        given = name.get("given")
        givens = _strings(given)
        if isinstance(given, list) and len(givens) < len(given):
            self.problem(Level.NOTE, "middle_names", f"{path}.given",
                         "a given name that is not text is left out")  # fmt: skip
        self.put("given_name", givens[0] if givens else "", f"{path}.given[0]")
        self.put("middle_names", " ".join(givens[1:]) or None, f"{path}.given[1]")
        self.text("family_name", name.get("family"), f"{path}.family", level=Level.ROW)
        self.put("family_name", self.values.get("family_name", ""), f"{path}.family")
        former = [
            family.strip()
            for _, old in names
            if _word(old, "use") in {"old", "maiden"}
            and isinstance(family := old.get("family"), str)
            and family.strip()
        ]
        self.put("former_family_names", ";".join(dict.fromkeys(former)) or None, "name")

    def _gender(self) -> None:
        raw = self.resource.get("gender")
        if raw is None:
            return
        gender = GENDERS.get(raw) if isinstance(raw, str) else None
        if gender is None:
            shown = repr(raw[:20]) if isinstance(raw, str) else "it"
            reason = f"{shown} is not a FHIR gender (male, female, other, unknown)"
            self.problem(Level.FIELD, "gender", "gender", reason)
        self.put("gender", gender, "gender")

    def _dates(self) -> None:
        self._date("date_of_birth", self.resource.get("birthDate"), "birthDate")
        died = self.resource.get("deceasedDateTime")
        if isinstance(died, str) and "T" in died:
            died = died.partition("T")[0]
        self._date("date_of_death", died, "deceasedDateTime")
        if self.resource.get("deceasedBoolean") is True and died is None:
            reason = "the Patient is deceased but no date is given; no date of death loads"
            self.problem(Level.NOTE, "date_of_death", "deceasedBoolean", reason)

    def _date(self, column: str, raw: object, path: str) -> None:
        if raw is None:
            self.put(column, None, path)
        elif not isinstance(raw, str):
            self.problem(Level.ROW, column, path, f"{path} is not a date string")
        elif _PARTIAL_DATE.fullmatch(raw.strip()):
            reason = f"{raw.strip()!r} is a partial date; the feed takes a full date or none"
            self.problem(Level.ROW, column, path, reason)
        else:
            self.put(column, raw, path)

    def _address(self) -> None:
        current, ended = self._addresses()
        chosen = current or ended
        if chosen is None:
            return
        path, address = chosen
        lines = _strings(address.get("line"))
        self.put("address_line_1", lines[0] if lines else None, f"{path}.line[0]")
        self.put("address_line_2", ", ".join(lines[1:]) or None, f"{path}.line[1]")
        self.text("town", address.get("city"), f"{path}.city")
        self.text("postcode", address.get("postalCode"), f"{path}.postalCode")
        if current is None:
            self.put("address_status", "last_known", f"{path}.period.end")

    def _addresses(self) -> tuple[tuple[str, dict[str, Any]] | None, ...]:
        """The current address by use (home, none, temp), and the latest ended one."""
        current: dict[object, tuple[str, dict[str, Any]]] = {}
        ended: list[tuple[str, str, dict[str, Any]]] = []
        for path, address in _objects(self.resource.get("address"), "address"):
            use = _word(address, "use")
            if use in {"work", "billing"}:
                continue
            end = _period_end(address.get("period"))
            if use == "old" or (end is not None and end < self.extracted_on.isoformat()):
                ended.append((end or "", path, address))
            else:
                current.setdefault(use, (path, address))
        now = current.get("home") or current.get(None) or current.get("temp")
        latest = max(ended, key=lambda item: item[0]) if ended else None
        return now, (latest[1], latest[2]) if latest else None

    def _carers(self) -> None:
        number = 0
        for path, contact in _objects(self.resource.get("contact"), "contact"):
            codes = _relationship_codes(contact.get("relationship"))
            if codes and all(code in NOT_CARERS for code in codes):
                continue
            number += 1
            if number > CARERS_HELD:
                reason = f"the feed holds {CARERS_HELD} carers; this contact is not loaded"
                self.problem(Level.NOTE, "carer_3", path, reason)
                continue
            self._carer(f"carer_{number}_", path, contact, codes)

    def _carer(self, prefix: str, path: str, contact: dict[str, Any], codes: list[str]) -> None:
        name = contact.get("name")
        if isinstance(name, dict):
            givens = _strings(name.get("given"))
            self.put(prefix + "given_name", givens[0] if givens else None, f"{path}.name.given[0]")
            self.text(prefix + "family_name", name.get("family"), f"{path}.name.family")
        known = [code for code in codes if code in RELATIONSHIPS or code.lower() in RELATIONSHIPS]
        where = f"{path}.relationship"
        if known:
            relationship = RELATIONSHIPS.get(known[0], RELATIONSHIPS.get(known[0].lower()))
            self.put(prefix + "relationship", relationship and relationship.value, where)
        elif codes:
            self.problem(Level.FIELD, prefix + "relationship", where,
                         f"{codes[0][:30]!r} is not a relationship this feed knows")  # fmt: skip
        for system, column in (("phone", "phone"), ("email", "email")):
            for telecom_path, telecom in _objects(contact.get("telecom"), f"{path}.telecom"):
                if telecom.get("system") == system and telecom.get("use") != "old":
                    self.text(prefix + column, telecom.get("value"), f"{telecom_path}.value")
                    break

    def _gp_practice(self) -> None:
        references = _objects(self.resource.get("generalPractitioner"), "generalPractitioner")
        for path, reference in references:
            identifier = reference.get("identifier")
            if isinstance(identifier, dict) and identifier.get("system") == ODS_SYSTEM:
                self.text("gp_practice_code", identifier.get("value"), f"{path}.identifier.value")
                return


def _word(part: dict[str, Any], key: str) -> str | None:
    """A code such as ``use`` or ``system``: a string, or None (other JSON types are no code)."""
    value = part.get(key)
    return value if isinstance(value, str) else None


def _period_end(period: object) -> str | None:
    """The date part of ``period.end`` (ISO dates and dateTimes compare as text)."""
    end = period.get("end") if isinstance(period, dict) else None
    return end[:10] if isinstance(end, str) and end.strip() else None


def _relationship_codes(relationships: object) -> list[str]:
    """Every code of every coding of a contact's relationships, in order; text if no code."""
    codes: list[str] = []
    for _, concept in _objects(relationships, "relationship"):
        for _, coding in _objects(concept.get("coding"), "coding"):
            code = coding.get("code")
            if isinstance(code, str) and code.strip():
                codes.append(code.strip())
        text = concept.get("text")
        if not _objects(concept.get("coding"), "coding") and isinstance(text, str) and text.strip():
            codes.append(text.strip())
    return codes
