"""One FHIR R4 ``Patient`` as the child feed's row: mapped onto the CSV columns, then checked.

The mapping decisions are set out in :mod:`contactpoint.feeds.fhir`; each value
keeps its JSON path, so that a problem found by the CSV rules names the path.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from contactpoint.feeds.child_rows import CHILD_COLUMNS, check_child_row
from contactpoint.feeds.fhir_reading import Unreadable
from contactpoint.feeds.header import Header
from contactpoint.feeds.problems import Level, Problem
from contactpoint.feeds.row_checks import Accepted, Deletion, Duplicates, Rejected
from contactpoint.vocabulary import CarerRelationship

if TYPE_CHECKING:
    import datetime as dt

    from contactpoint.provenance.reported import ChildRow

NHS_NUMBER_SYSTEM: Final = "https://fhir.nhs.uk/Id/nhs-number"
UPN_SYSTEM: Final = "urn:contactpoint:upn"
ODS_SYSTEM: Final = "https://fhir.nhs.uk/Id/ods-organization-code"
SCHOOL_ENROLMENT: Final = "https://fhir.contactpoint.example/StructureDefinition/school-enrolment"
SCHOOL_URN_SYSTEM: Final = "https://fhir.contactpoint.example/Id/school-urn"
_PARTIAL_DATE: Final = re.compile(r"[0-9]{4}(-[0-9]{2})?")
_COLUMNS: Final = (*CHILD_COLUMNS.required, *CHILD_COLUMNS.optional)
_HEADER: Final = Header({column: position for position, column in enumerate(_COLUMNS)})

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
        problem = Problem(Level.ROW, line, None, refusal or "")
        return Rejected(line, None, (problem,), a_record=not _of_another_type(resource))
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
    if isinstance(resource, Unreadable):
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


def _of_another_type(resource: object) -> bool:
    """A resource that says it is of another type than Patient (not a damaged Patient)."""
    if not isinstance(resource, dict):
        return False
    kind = resource.get("resourceType")
    return isinstance(kind, str) and bool(kind) and kind != "Patient"


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
                     self._address, self._carers, self._school, self._gp_practice):  # fmt: skip
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

    def _school(self) -> None:
        chosen = self._enrolment()
        if chosen is None:
            return
        parts: dict[str | None, tuple[str, dict[str, Any]]] = {}
        for path, part in chosen:
            parts.setdefault(_word(part, "url"), (path, part))
        if "school" in parts:
            path, part = parts["school"]
            self._school_urn(part.get("valueIdentifier"), f"{path}.valueIdentifier")
        if "period" in parts:
            path, part = parts["period"]
            where = f"{path}.valuePeriod.start"
            period = part.get("valuePeriod")
            start = period.get("start") if isinstance(period, dict) else None
            if isinstance(start, str) and "T" in start:
                start = start.partition("T")[0]
            self.text("school_start_date", start, where)

    def _enrolment(self) -> list[tuple[str, dict[str, Any]]] | None:
        """The parts of the current school enrolment: not ended, the latest started."""
        current: list[tuple[str, list[tuple[str, dict[str, Any]]]]] = []
        for path, extension in _objects(self.resource.get("extension"), "extension"):
            if _word(extension, "url") != SCHOOL_ENROLMENT:
                continue
            parts = _objects(extension.get("extension"), f"{path}.extension")
            period = next(
                (p.get("valuePeriod") for _, p in parts if p.get("url") == "period"), None
            )
            end = _period_end(period)
            if end is None or end >= self.extracted_on.isoformat():
                start = period.get("start") if isinstance(period, dict) else None
                current.append((start if isinstance(start, str) else "", parts))
        return max(current, key=lambda enrolment: enrolment[0])[1] if current else None

    def _school_urn(self, identifier: object, path: str) -> None:
        if not isinstance(identifier, dict):
            self.problem(Level.FIELD, "school_urn", path, f"{path} is not an Identifier")
        elif identifier.get("system") != SCHOOL_URN_SYSTEM:
            reason = f"{path}.system is not {SCHOOL_URN_SYSTEM}, so no school's URN"
            self.problem(Level.FIELD, "school_urn", f"{path}.system", reason)
        else:
            self.text("school_urn", identifier.get("value"), f"{path}.value")

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
