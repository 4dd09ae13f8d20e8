"""Write a synthetic population's reference data into the directory, for the demo.

The organisations a real installation holds before its first load: councils,
schools (by URN), GP practices (by ODS code), services and their practitioners.
Children are never written here: they arrive through the feeds
(:mod:`contactpoint.synth.demo_loading`), whose school URNs and GP practice codes
resolve only against organisations that already exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from contactpoint.organisations.models import Organisation, OrganisationKind, Practitioner

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy.orm import Session

    from contactpoint.synth import population as truth


@dataclass(frozen=True, slots=True)
class ReferenceSeeded:
    """The reference data held after seeding: organisation ids by the truth's codes."""

    councils: Mapping[str, int]  # by local-authority code
    schools: Mapping[str, int]  # by URN
    gp_practices: Mapping[str, int]  # by ODS code
    services: Mapping[str, int]  # by the truth's service code
    practitioners: int

    @property
    def organisations(self) -> int:
        return sum(
            len(codes) for codes in (self.councils, self.schools, self.gp_practices, self.services)
        )


def seed_reference_data(session: Session, reference: truth.ReferenceData) -> ReferenceSeeded:
    """Write ``reference`` into the directory; organisations already held are kept.

    Running it again (a demo interrupted and started again) adds nothing twice.
    The caller commits.
    """
    councils = {
        council.la_code: _organisation(
            session, OrganisationKind.COUNCIL, council.la_code, council.organisation
        )
        for council in reference.councils
    }
    schools = {
        school.urn: _organisation(
            session,
            OrganisationKind.SCHOOL,
            school.urn,
            school.organisation,
            council_id=councils.get(school.la_code),
        )
        for school in reference.schools
    }
    gp_practices = {
        practice.ods_code: _organisation(
            session,
            OrganisationKind.GP_PRACTICE,
            practice.ods_code,
            practice.organisation,
            council_id=councils.get(practice.la_code),
        )
        for practice in reference.gp_practices
    }
    services = {
        service.service_code: _organisation(
            session,
            OrganisationKind.SERVICE,
            service.service_code,
            service.organisation,
            council_id=councils.get(service.la_code),
        )
        for service in reference.services
    }
    for person in reference.practitioners:
        _practitioner(session, person, services[person.service_code])
    return ReferenceSeeded(councils, schools, gp_practices, services, len(reference.practitioners))


def _organisation(
    session: Session,
    kind: OrganisationKind,
    code: str,
    details: truth.Organisation,
    *,
    council_id: int | None = None,
) -> int:
    held = session.scalar(
        select(Organisation.id).where(Organisation.kind == kind, Organisation.code == code)
    )
    if held is not None:
        return held
    made = Organisation(
        kind=kind,
        code=code,
        name=details.name,
        address_line_1=details.address.line_1,
        address_line_2=details.address.line_2 or None,
        town=details.address.town,
        postcode=details.address.postcode,
        phone=details.phone,
        email=details.email,
        council_id=council_id,
    )
    session.add(made)
    session.flush()
    return made.id


def _practitioner(session: Session, person: truth.Practitioner, service_id: int) -> None:
    held = session.scalar(
        select(Practitioner.id).where(
            Practitioner.organisation_id == service_id, Practitioner.name == person.name
        )
    )
    if held is None:
        session.add(
            Practitioner(
                name=person.name,
                role=person.role,
                organisation_id=service_id,
                phone=person.phone,
                email=person.email,
            )
        )
