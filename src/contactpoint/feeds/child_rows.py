"""The child feed (``feeds.md``): each CSV row checked into a :class:`ChildRow`."""

from __future__ import annotations

import datetime as dt
from typing import Final

from contactpoint.feeds import values
from contactpoint.feeds.header import Columns, Header
from contactpoint.feeds.row_checks import (
    Accepted,
    Action,
    Deletion,
    Duplicates,
    Rejected,
    RowCheck,
    claim,
    record_key,
    width_problem,
)
from contactpoint.identifiers.nhs_number import normalise_nhs_number
from contactpoint.identifiers.postcode import normalise_postcode
from contactpoint.identifiers.upn import normalise_upn
from contactpoint.provenance.reported import AddressRow, CarerRow, ChildRow
from contactpoint.vocabulary import AddressStatus, CarerRelationship, Gender

CARER_NUMBERS: Final = (1, 2)
CARER_FIELDS: Final = ("given_name", "family_name", "relationship", "phone", "email")
CHILD_COLUMNS: Final = Columns(
    required=("record_id", "given_name", "family_name", "date_of_birth"),
    optional=(
        "middle_names", "former_family_names", "gender", "address_line_1", "address_line_2",
        "town", "postcode", "nhs_number", "upn", "address_status", "date_of_death",
        "school_urn", "school_start_date", "gp_practice_code", "action",
        *(f"carer_{n}_{name}" for n in CARER_NUMBERS for name in CARER_FIELDS),
    ),
)  # fmt: skip
NAME_LONGEST: Final = 100
MIDDLE_NAMES_LONGEST: Final = 200
ADDRESS_LINE_LONGEST: Final = 200

GENDERS: Final = {
    **{gender.value: gender for gender in Gender},
    "m": Gender.MALE, "f": Gender.FEMALE, "u": Gender.NOT_KNOWN,
    "1": Gender.MALE, "2": Gender.FEMALE, "0": Gender.NOT_KNOWN, "9": Gender.NOT_SPECIFIED,
}  # fmt: skip
RELATIONSHIPS: Final = {relationship.value: relationship for relationship in CarerRelationship}
ADDRESS_STATUSES: Final = {status.value: status for status in AddressStatus}


def check_child_row(
    header: Header,
    line: int,
    row_values: list[str],
    *,
    duplicates: Duplicates,
    extracted_on: dt.date,
) -> Accepted[ChildRow | Deletion] | Rejected:
    width = width_problem(header, line, row_values)
    if width is not None:
        return Rejected(line, None, (width,))
    check = RowCheck(header, line, row_values)
    key = record_key(check)
    row: ChildRow | Deletion
    if check.action() is Action.DELETE:
        row = Deletion(line, key or "")
    else:
        row = _child(check, key or "", extracted_on=extracted_on)
    claim(check, key, duplicates)
    if check.rejected:
        return Rejected(line, key, tuple(check.problems))
    return Accepted(row, tuple(check.problems))


def _child(check: RowCheck, key: str, *, extracted_on: dt.date) -> ChildRow:
    born = check.date("date_of_birth", required=True)
    if born is not None and born > extracted_on:
        check.reject("date_of_birth", "the date of birth is after the date of the extract")
    died = check.date("date_of_death", required=False)
    if died is not None and born is not None and died < born:
        check.drop("date_of_death", "the date of death is before the date of birth")
        died = None
    return ChildRow(
        line=check.line,
        record_id=key,
        given_name=check.required_text("given_name", longest=NAME_LONGEST),
        middle_names=_middle_names(check),
        family_name=check.required_text("family_name", longest=NAME_LONGEST),
        former_family_names=_former_names(check),
        gender=check.checked("gender", _gender) or Gender.NOT_KNOWN,
        date_of_birth=born,
        date_of_death=died,
        address=_address(check),
        nhs_number=check.checked("nhs_number", normalise_nhs_number),
        upn=check.checked("upn", normalise_upn),
        carers=tuple(carer for n in CARER_NUMBERS if (carer := _carer(check, n)) is not None),
        school_urn=check.checked("school_urn", values.school_urn),
        school_start_date=_school_start(check, born),
        gp_practice_code=check.checked("gp_practice_code", values.gp_practice_code),
    )


def _gender(value: str) -> Gender:
    return values.choice(value, options=GENDERS, what="gender")


def _middle_names(check: RowCheck) -> str | None:
    text = check.text("middle_names", longest=MIDDLE_NAMES_LONGEST)
    return " ".join(text.split()) if text else None


def _former_names(check: RowCheck) -> tuple[str, ...]:
    text = check.text("former_family_names") or ""
    names = tuple(name.strip() for name in text.split(";") if name.strip())
    if any(len(name) > NAME_LONGEST for name in names):
        check.drop("former_family_names", f"a name is longer than {NAME_LONGEST} characters")
        return ()
    return names


def _address(check: RowCheck) -> AddressRow | None:
    line_1 = check.text("address_line_1", longest=ADDRESS_LINE_LONGEST)
    line_2 = check.text("address_line_2", longest=ADDRESS_LINE_LONGEST)
    town = check.text("town", longest=NAME_LONGEST)
    postcode = check.checked("postcode", normalise_postcode)
    status = check.checked(
        "address_status",
        lambda value: values.choice(value, options=ADDRESS_STATUSES, what="address status"),
    )
    given = any((line_1, line_2, town, postcode))
    if status is AddressStatus.NO_KNOWN_ADDRESS and given:
        check.drop("address_line_1", "an address was given with status no_known_address")
        return AddressRow(status, None, None, None, None)
    if status is None and not given:
        return None
    return AddressRow(status or AddressStatus.CURRENT, line_1, line_2, town, postcode)


def _carer(check: RowCheck, number: int) -> CarerRow | None:
    prefix = f"carer_{number}_"
    if not any(check.has(prefix + name) for name in CARER_FIELDS):
        return None
    carer = CarerRow(
        given_name=check.text(prefix + "given_name", longest=NAME_LONGEST),
        family_name=check.text(prefix + "family_name", longest=NAME_LONGEST),
        relationship=check.checked(
            prefix + "relationship",
            lambda value: values.choice(value, options=RELATIONSHIPS, what="relationship"),
        ),
        phone=check.checked(prefix + "phone", values.phone),
        email=check.checked(prefix + "email", values.email),
    )
    return None if carer == CarerRow(None, None, None, None, None) else carer


def _school_start(check: RowCheck, born: dt.date | None) -> dt.date | None:
    raw = check.text("school_start_date")
    if raw is None:
        return None
    try:
        started = values.date(raw)
    except ValueError as error:
        check.drop("school_start_date", str(error))
        return None
    if born is not None and started < born:
        check.drop("school_start_date", "the school start date is before the date of birth")
        return None
    return started
