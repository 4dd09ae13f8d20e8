"""Test data factories with named states (``shielded``, ``archived``, ``twin``...).

All data here is synthetic: names are invented, NHS numbers come from the range
the NHS reserves for testing.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from typing import TYPE_CHECKING

from contactpoint.directory.models import (
    Child,
    ChildAddress,
    ChildName,
    Involvement,
    NameKind,
    RecordStatus,
    Shield,
)
from contactpoint.directory.services import register_child
from contactpoint.organisations.models import Organisation, OrganisationKind
from contactpoint.provenance.models import Feed, Source, SourceKind, SourceRecord
from contactpoint.vocabulary import AddressStatus, Gender, ServiceType, ShieldReason

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

TODAY = dt.date(2026, 11, 25)
_sequence = itertools.count(1)


def organisation(
    session: Session, *, kind: OrganisationKind = OrganisationKind.SERVICE, name: str = ""
) -> Organisation:
    number = next(_sequence)
    made = Organisation(kind=kind, code=f"T{number:05d}", name=name or f"Test {kind} {number}")
    session.add(made)
    session.flush()
    return made


def source(session: Session, *, name: str = "", kind: SourceKind = SourceKind.NATIONAL) -> Source:
    made = Source(name=name or f"test_source_{next(_sequence)}", kind=kind)
    session.add(made)
    session.flush()
    return made


def child(
    session: Session,
    *,
    given_name: str = "Amelia",
    family_name: str = "Testerton",
    date_of_birth: dt.date = dt.date(2015, 3, 14),
    gender: Gender = Gender.FEMALE,
    postcode: str = "OX2 6GG",
    shielded: bool = False,
    archived: bool = False,
    twin_of: Child | None = None,
) -> Child:
    """A child with a current name and address; ``twin_of`` copies the twin's birth date."""
    born = twin_of.date_of_birth if twin_of is not None and twin_of.date_of_birth else date_of_birth
    made = register_child(
        session, date_of_birth=born, gender=gender, rng=random.Random(next(_sequence))
    )
    session.add_all(
        [
            ChildName(
                child=made,
                kind=NameKind.CURRENT,
                given_name=given_name,
                family_name=family_name,
                observed_on=TODAY,
            ),
            ChildAddress(
                child=made,
                status=AddressStatus.CURRENT,
                address_line_1="1 Test Street",
                town="Testville",
                postcode=postcode,
                observed_on=TODAY,
            ),
        ]
    )
    if archived:
        made.record_status = RecordStatus.ARCHIVED
        made.archived_on = TODAY
    if shielded:
        shield(session, of=made)
    session.flush()
    return made


def shield(session: Session, *, of: Child, started_on: dt.date = TODAY) -> Shield:
    council = organisation(session, kind=OrganisationKind.COUNCIL)
    made = Shield(
        child=of,
        council_id=council.id,
        reason=ShieldReason.RISK_OF_SIGNIFICANT_HARM,
        started_on=started_on,
        review_on=started_on + dt.timedelta(days=365),
    )
    session.add(made)
    session.flush()
    return made


def involvement(
    session: Session,
    *,
    of: Child,
    service_type: ServiceType = ServiceType.SOCIAL_CARE,
    sensitive: bool = False,
) -> Involvement:
    made = Involvement(
        child=of,
        service_id=organisation(session).id,
        service_type=service_type,
        start_date=TODAY,
        sensitive=sensitive,
        observed_on=TODAY,
    )
    session.add(made)
    session.flush()
    return made


def source_record(
    session: Session,
    *,
    of: Child,
    from_source: Source,
    record_key: str = "",
    date_of_birth: dt.date | None = None,
    extracted_on: dt.date = TODAY,
) -> SourceRecord:
    made = SourceRecord(
        source_id=from_source.id,
        feed=Feed.CHILDREN,
        record_key=record_key or f"R{next(_sequence)}",
        child_id=of.id,
        extracted_on=extracted_on,
        date_of_birth=date_of_birth,
    )
    session.add(made)
    session.flush()
    return made
