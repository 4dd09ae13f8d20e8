"""The truth about the synthetic population: who the children really are.

These frozen records are what the sources' extracts are derived from (with the
errors real sources make) and what a linkage is scored against. They are plain
values with no database or web dependency, so the same stream can seed a demo
database directly. Enumerations use the directory's vocabulary (the values of
the feed contract in ``feeds.md``).

A ``Household`` groups siblings with their carers and address history; every
``Child`` carries its own copy of what it shares, so a consumer can take one
child at a time.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass

from contactpoint.vocabulary import (
    SENSITIVE_SERVICE_TYPES,
    AddressStatus,
    CarerRelationship,
    ConsentBasis,
    Gender,
    ServiceType,
    ShieldReason,
)

ADULT_AGE = 18


class SchoolPhase(enum.StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    INDEPENDENT = "independent"  # all ages, 4 to 18
    PUPIL_REFERRAL_UNIT = "pupil_referral_unit"


@dataclass(frozen=True, slots=True)
class Address:
    line_1: str
    line_2: str
    town: str
    postcode: str
    la_code: str  # the council whose area it is in


@dataclass(frozen=True, slots=True)
class Residence:
    """One entry of an address history.

    ``address`` is None when the whereabouts are not an address in England
    (``no_known_address`` or ``left_england_*``); the address held before such
    an entry has status ``last_known``. Earlier addresses have status
    ``current`` with an ``until`` date: each was current until the family moved.
    """

    address: Address | None
    status: AddressStatus
    since: dt.date
    until: dt.date | None


@dataclass(frozen=True, slots=True)
class Carer:
    carer_id: str
    given_name: str
    family_name: str
    phone: str | None
    email: str | None


@dataclass(frozen=True, slots=True)
class CareRelationship:
    """A carer as one child's carer: the relationship is to that child."""

    carer: Carer
    relationship: CarerRelationship
    parental_responsibility: bool


@dataclass(frozen=True, slots=True)
class Enrolment:
    school_urn: str
    start_date: dt.date


@dataclass(frozen=True, slots=True)
class Shield:
    council_la_code: str
    reason: ShieldReason
    started_on: dt.date
    review_on: dt.date


@dataclass(frozen=True, slots=True)
class Involvement:
    involvement_id: str
    service_code: str
    service_type: ServiceType
    practitioner_id: str | None
    start_date: dt.date
    end_date: dt.date | None
    lead_professional: bool
    assessment_held: bool
    consent_basis: ConsentBasis | None  # always set for a sensitive service

    @property
    def sensitive(self) -> bool:
        return self.service_type in SENSITIVE_SERVICE_TYPES


@dataclass(frozen=True, slots=True)
class Child:
    """One child as they really are. ``person_id`` is the stable truth id."""

    person_id: str
    household_id: str
    contactpoint_id: str
    given_name: str
    middle_names: tuple[str, ...]
    family_name: str
    former_family_names: tuple[str, ...]
    date_of_birth: dt.date
    gender: Gender
    date_of_death: dt.date | None
    nhs_number: str | None  # None only beyond the NHS test range's capacity
    upn: str | None
    school: Enrolment | None
    gp_practice_code: str | None
    residences: tuple[Residence, ...]  # newest first
    carers: tuple[CareRelationship, ...]
    twin_of: str | None
    shield: Shield | None
    involvements: tuple[Involvement, ...]

    @property
    def whereabouts(self) -> Residence:
        return self.residences[0]

    def age_on(self, day: dt.date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@dataclass(frozen=True, slots=True)
class Household:
    household_id: str
    la_code: str
    carers: tuple[Carer, ...]
    residences: tuple[Residence, ...]  # newest first
    children: tuple[Child, ...]


@dataclass(frozen=True, slots=True)
class Organisation:
    """Contact details shared by councils, schools, GP practices and services."""

    name: str
    address: Address
    phone: str
    email: str


@dataclass(frozen=True, slots=True)
class Council:
    la_code: str
    organisation: Organisation


@dataclass(frozen=True, slots=True)
class School:
    urn: str
    establishment_number: int  # the DfE number within the council
    phase: SchoolPhase
    la_code: str
    organisation: Organisation


@dataclass(frozen=True, slots=True)
class GpPractice:
    ods_code: str
    la_code: str
    organisation: Organisation


@dataclass(frozen=True, slots=True)
class Service:
    service_code: str
    service_type: ServiceType
    la_code: str
    organisation: Organisation

    @property
    def sensitive(self) -> bool:
        return self.service_type in SENSITIVE_SERVICE_TYPES


@dataclass(frozen=True, slots=True)
class Practitioner:
    practitioner_id: str
    given_name: str
    family_name: str
    role: str
    service_code: str
    phone: str
    email: str

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


@dataclass(frozen=True, slots=True)
class ReferenceData:
    """The organisations and practitioners the children's records point to."""

    councils: tuple[Council, ...]
    schools: tuple[School, ...]
    gp_practices: tuple[GpPractice, ...]
    services: tuple[Service, ...]
    practitioners: tuple[Practitioner, ...]

    def services_by_code(self) -> Mapping[str, Service]:
        return {service.service_code: service for service in self.services}

    def practitioners_by_id(self) -> Mapping[str, Practitioner]:
        return {person.practitioner_id: person for person in self.practitioners}
