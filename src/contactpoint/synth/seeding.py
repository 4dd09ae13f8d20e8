"""Write a synthetic population straight into the directory, for the demo.

Until the feeds load the synthetic extracts, the demo writes the *truth* of the
population directly: one source, ``synthetic_population``, supplies every value,
one source record per child, so provenance holds just as it will for real feeds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from contactpoint.directory import models as directory
from contactpoint.organisations.models import Organisation, OrganisationKind, Practitioner
from contactpoint.provenance.models import Feed, Source, SourceKind, SourceRecord

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from sqlalchemy.orm import Session, sessionmaker

    from contactpoint.synth import population as truth
    from contactpoint.synth.generation import Population

SEED_SOURCE = "synthetic_population"
_BATCH = 500


@dataclass(frozen=True, slots=True)
class SeedSummary:
    children: int
    organisations: int
    practitioners: int


@dataclass(slots=True)
class _Lookups:
    """Database ids of the reference data, by the codes the truth uses."""

    source_id: int
    councils: dict[str, int]
    schools: dict[str, int]
    gp_practices: dict[str, int]
    services: dict[str, int]
    practitioners: dict[str, int]


def seed_directory(
    sessions: sessionmaker[Session],
    population: Population,
    *,
    on_child: Callable[[], None] | None = None,
) -> SeedSummary:
    """Write ``population`` into an empty directory, committing in batches."""
    with sessions() as session:
        lookups = _write_reference(session, population.reference)
        session.commit()
    children = 0
    for batch in _batches(population.each_child(), _BATCH):
        with sessions() as session:
            for child in batch:
                _write_child(session, child, lookups, as_of=population.as_of)
                if on_child is not None:
                    on_child()
            session.commit()
        children += len(batch)
    organisations = sum(
        len(codes)
        for codes in (lookups.councils, lookups.schools, lookups.gp_practices, lookups.services)
    )
    return SeedSummary(children, organisations, len(lookups.practitioners))


def _batches(children: Iterable[truth.Child], size: int) -> Iterable[list[truth.Child]]:
    batch: list[truth.Child] = []
    for child in children:
        batch.append(child)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _organisation(
    session: Session,
    kind: OrganisationKind,
    code: str,
    details: truth.Organisation,
    council_id: int | None = None,
) -> int:
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


def _write_reference(session: Session, reference: truth.ReferenceData) -> _Lookups:
    source = Source(name=SEED_SOURCE, kind=SourceKind.NATIONAL)
    session.add(source)
    session.flush()
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
            councils.get(school.la_code),
        )
        for school in reference.schools
    }
    gp_practices = {
        practice.ods_code: _organisation(
            session,
            OrganisationKind.GP_PRACTICE,
            practice.ods_code,
            practice.organisation,
            councils.get(practice.la_code),
        )
        for practice in reference.gp_practices
    }
    services = {
        service.service_code: _organisation(
            session,
            OrganisationKind.SERVICE,
            service.service_code,
            service.organisation,
            councils.get(service.la_code),
        )
        for service in reference.services
    }
    practitioners = {
        person.practitioner_id: _practitioner(session, person, services[person.service_code])
        for person in reference.practitioners
    }
    return _Lookups(source.id, councils, schools, gp_practices, services, practitioners)


def _practitioner(session: Session, person: truth.Practitioner, service_id: int) -> int:
    made = Practitioner(
        name=person.name,
        role=person.role,
        organisation_id=service_id,
        phone=person.phone,
        email=person.email,
    )
    session.add(made)
    session.flush()
    return made.id


def _write_child(
    session: Session, child: truth.Child, lookups: _Lookups, *, as_of: dt.date
) -> None:
    record = _child_record(child, as_of=as_of)
    session.add(record)
    session.flush()  # the source record points to the child by id
    source_record = SourceRecord(
        source_id=lookups.source_id,
        feed=Feed.CHILDREN,
        record_key=child.person_id,
        child_id=record.id,
        extracted_on=as_of,
        given_name=child.given_name,
        middle_names=" ".join(child.middle_names) or None,
        family_name=child.family_name,
        date_of_birth=child.date_of_birth,
        gender=child.gender,
        date_of_death=child.date_of_death,
        nhs_number=child.nhs_number,
        upn=child.upn,
    )
    session.add(source_record)
    provenance = {"source_record": source_record, "observed_on": as_of}
    session.add_all(_names(child, record, provenance))
    session.add_all(_addresses(child, record, provenance))
    session.add_all(_identifiers(child, record, provenance))
    session.add_all(_carers(child, record, provenance))
    session.add_all(_services_around(child, record, lookups, provenance))
    if child.shield is not None:
        session.add(_shield(child.shield, record, lookups))


def _child_record(child: truth.Child, *, as_of: dt.date) -> directory.Child:
    record = directory.Child(
        contactpoint_id=child.contactpoint_id,
        date_of_birth=child.date_of_birth,
        gender=child.gender,
        date_of_death=child.date_of_death,
    )
    if child.age_on(as_of) >= directory.ADULT_AGE:
        record.record_status = directory.RecordStatus.ARCHIVED
        record.archived_on = _birthday(child.date_of_birth, directory.ADULT_AGE)
    return record


def _birthday(born: dt.date, age: int) -> dt.date:
    try:
        return born.replace(year=born.year + age)
    except ValueError:  # born on 29 February
        return dt.date(born.year + age, 3, 1)


def _names(
    child: truth.Child, record: directory.Child, provenance: dict[str, object]
) -> list[directory.ChildName]:
    names = [
        directory.ChildName(
            child=record,
            kind=directory.NameKind.CURRENT,
            given_name=child.given_name,
            middle_names=" ".join(child.middle_names) or None,
            family_name=child.family_name,
            **provenance,
        )
    ]
    names.extend(
        directory.ChildName(
            child=record,
            kind=directory.NameKind.FORMER,
            given_name=child.given_name,
            family_name=former,
            **provenance,
        )
        for former in child.former_family_names
    )
    return names


def _addresses(
    child: truth.Child, record: directory.Child, provenance: dict[str, object]
) -> list[directory.ChildAddress]:
    return [
        directory.ChildAddress(
            child=record,
            status=residence.status,
            address_line_1=residence.address.line_1 if residence.address else None,
            address_line_2=(residence.address.line_2 or None) if residence.address else None,
            town=residence.address.town if residence.address else None,
            postcode=residence.address.postcode if residence.address else None,
            valid_from=residence.since,
            valid_to=residence.until,
            **provenance,
        )
        for residence in child.residences
    ]


def _identifiers(
    child: truth.Child, record: directory.Child, provenance: dict[str, object]
) -> list[directory.ChildIdentifier]:
    held = [
        (directory.IdentifierScheme.NHS_NUMBER, child.nhs_number),
        (directory.IdentifierScheme.UPN, child.upn),
    ]
    return [
        directory.ChildIdentifier(child=record, scheme=scheme, value=value, **provenance)
        for scheme, value in held
        if value
    ]


def _carers(
    child: truth.Child, record: directory.Child, provenance: dict[str, object]
) -> list[directory.Carer]:
    return [
        directory.Carer(
            child=record,
            given_name=care.carer.given_name,
            family_name=care.carer.family_name,
            relationship_to_child=care.relationship,
            parental_responsibility=care.parental_responsibility,
            phone=care.carer.phone,
            email=care.carer.email,
            **provenance,
        )
        for care in child.carers
    ]


def _services_around(
    child: truth.Child,
    record: directory.Child,
    lookups: _Lookups,
    provenance: dict[str, object],
) -> list[object]:
    held: list[object] = []
    if child.school is not None:
        held.append(
            directory.SchoolEnrolment(
                child=record,
                school_id=lookups.schools[child.school.school_urn],
                start_date=child.school.start_date,
                **provenance,
            )
        )
    if child.gp_practice_code is not None:
        held.append(
            directory.GpRegistration(
                child=record,
                practice_id=lookups.gp_practices[child.gp_practice_code],
                **provenance,
            )
        )
    held.extend(_involvement(item, record, lookups, provenance) for item in child.involvements)
    return held


def _involvement(
    item: truth.Involvement,
    record: directory.Child,
    lookups: _Lookups,
    provenance: dict[str, object],
) -> directory.Involvement:
    return directory.Involvement(
        child=record,
        service_id=lookups.services[item.service_code],
        practitioner_id=lookups.practitioners.get(item.practitioner_id or ""),
        service_type=item.service_type,
        start_date=item.start_date,
        end_date=item.end_date,
        lead_professional=item.lead_professional,
        assessment_held=item.assessment_held,
        sensitive=item.sensitive,
        consent_basis=item.consent_basis,
        **provenance,
    )


def _shield(shield: truth.Shield, record: directory.Child, lookups: _Lookups) -> directory.Shield:
    return directory.Shield(
        child=record,
        council_id=lookups.councils[shield.council_la_code],
        reason=shield.reason,
        started_on=shield.started_on,
        review_on=shield.review_on,
    )
