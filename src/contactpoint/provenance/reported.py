"""What a source reported about a child or an involvement: one accepted feed row, normalised.

The feeds produce these from CSV rows or FHIR resources; the directory makes a
child's values from them; a source record keeps its row as a JSON payload (and
a digest of it) so that a row sent again unchanged is recognised. ``line`` is
where the row was read and is neither kept nor compared.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field, fields
from typing import Any

from contactpoint.vocabulary import (
    SENSITIVE_SERVICE_TYPES,
    AddressStatus,
    CarerRelationship,
    ConsentBasis,
    Gender,
    ServiceType,
)


@dataclass(frozen=True, slots=True)
class CarerRow:
    given_name: str | None
    family_name: str | None
    relationship: CarerRelationship | None
    phone: str | None
    email: str | None


@dataclass(frozen=True, slots=True)
class AddressRow:
    status: AddressStatus
    line_1: str | None
    line_2: str | None
    town: str | None
    postcode: str | None


@dataclass(frozen=True, slots=True)
class ChildRow:
    """One source record about one child, normalised; what failed its check is left out."""

    line: int = field(compare=False)
    record_id: str
    given_name: str
    middle_names: str | None
    family_name: str
    former_family_names: tuple[str, ...]
    gender: Gender
    date_of_birth: dt.date | None
    date_of_death: dt.date | None
    address: AddressRow | None
    nhs_number: str | None
    upn: str | None
    carers: tuple[CarerRow, ...]
    school_urn: str | None
    school_start_date: dt.date | None
    gp_practice_code: str | None


@dataclass(frozen=True, slots=True)
class InvolvementRow:
    line: int = field(compare=False)
    record_id: str
    child_record_id: str
    service_name: str
    service_type: ServiceType
    practitioner_name: str | None
    practitioner_role: str | None
    phone: str | None
    email: str | None
    start_date: dt.date
    end_date: dt.date | None
    lead_professional: bool
    assessment_held: bool
    consent_basis: ConsentBasis | None

    @property
    def sensitive(self) -> bool:
        return self.service_type in SENSITIVE_SERVICE_TYPES


def payload(row: ChildRow | InvolvementRow) -> str:
    """The row as canonical JSON, without its line."""
    return json.dumps(_plain_of(row), sort_keys=True, separators=(",", ":"))


def _field_names(kind: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = tuple(item.name for item in fields(kind) if item.name != "line")
        _FIELD_NAMES[kind] = names
    return names


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _plain_of(value: object) -> object:
    """Plain JSON values, much faster than ``dataclasses.asdict`` (no deep copies)."""
    if isinstance(value, ChildRow | InvolvementRow | AddressRow | CarerRow):
        return {name: _plain_of(getattr(value, name)) for name in _field_names(type(value))}
    if isinstance(value, tuple):
        return [_plain_of(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _date(value: Any) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)


def child_from_payload(text: str) -> ChildRow:
    values = json.loads(text)
    address = values.pop("address")
    carers = values.pop("carers")
    return ChildRow(
        line=0,
        record_id=values["record_id"],
        given_name=values["given_name"],
        middle_names=values["middle_names"],
        family_name=values["family_name"],
        former_family_names=tuple(values["former_family_names"]),
        gender=Gender(values["gender"]),
        date_of_birth=_date(values["date_of_birth"]),
        date_of_death=_date(values["date_of_death"]),
        address=None
        if address is None
        else AddressRow(
            status=AddressStatus(address["status"]),
            line_1=address["line_1"],
            line_2=address["line_2"],
            town=address["town"],
            postcode=address["postcode"],
        ),
        nhs_number=values["nhs_number"],
        upn=values["upn"],
        carers=tuple(
            CarerRow(
                given_name=carer["given_name"],
                family_name=carer["family_name"],
                relationship=None
                if carer["relationship"] is None
                else CarerRelationship(carer["relationship"]),
                phone=carer["phone"],
                email=carer["email"],
            )
            for carer in carers
        ),
        school_urn=values["school_urn"],
        school_start_date=_date(values["school_start_date"]),
        gp_practice_code=values["gp_practice_code"],
    )


def involvement_from_payload(text: str) -> InvolvementRow:
    values = json.loads(text)
    return InvolvementRow(
        line=0,
        record_id=values["record_id"],
        child_record_id=values["child_record_id"],
        service_name=values["service_name"],
        service_type=ServiceType(values["service_type"]),
        practitioner_name=values["practitioner_name"],
        practitioner_role=values["practitioner_role"],
        phone=values["phone"],
        email=values["email"],
        start_date=dt.date.fromisoformat(values["start_date"]),
        end_date=_date(values["end_date"]),
        lead_professional=values["lead_professional"],
        assessment_held=values["assessment_held"],
        consent_basis=None
        if values["consent_basis"] is None
        else ConsentBasis(values["consent_basis"]),
    )


def _consent(value: str | None) -> ConsentBasis | None:
    return None if value is None else ConsentBasis(value)
