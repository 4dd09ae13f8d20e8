"""Organisations and practitioners: the people and places a child's record points to."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contactpoint.storage.models import Base, UtcDateTime, utcnow
from contactpoint.storage.types import enum_column_type


class OrganisationKind(enum.StrEnum):
    COUNCIL = "council"
    SCHOOL = "school"
    GP_PRACTICE = "gp_practice"
    SERVICE = "service"
    HEALTH_BODY = "health_body"
    POLICE_FORCE = "police_force"
    CHARITY = "charity"
    OTHER = "other"


class AccreditationStatus(enum.StrEnum):
    """Whether an organisation's staff may use the directory at all.

    New organisations start ``pending``: nobody signs in until a national
    administrator accredits the organisation.
    """

    ACCREDITED = "accredited"
    PENDING = "pending"
    SUSPENDED = "suspended"


class ContactDetails:
    """Work contact details: an organisation's or a practitioner's, never a child's."""

    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))


class Organisation(ContactDetails, Base):
    """A council, school (URN), GP practice (ODS code), service, or other body.

    ``code`` is the organisation's national code within its kind: a school's URN,
    a GP practice's ODS code, a council's local-authority code. Services run by a
    source may have none.
    """

    __tablename__ = "organisation"
    __table_args__ = (UniqueConstraint("kind", "code", name="uq_organisation_kind_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrganisationKind] = mapped_column(
        enum_column_type(OrganisationKind, name="organisation_kind")
    )
    code: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    address_line_1: Mapped[str | None] = mapped_column(String(200))
    address_line_2: Mapped[str | None] = mapped_column(String(200))
    town: Mapped[str | None] = mapped_column(String(100))
    postcode: Mapped[str | None] = mapped_column(String(8))
    council_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    accreditation_status: Mapped[AccreditationStatus] = mapped_column(
        enum_column_type(AccreditationStatus, name="accreditation_status"),
        default=AccreditationStatus.PENDING,
        server_default=AccreditationStatus.PENDING.value,
    )
    accredited_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)

    council: Mapped[Organisation | None] = relationship(remote_side=[id])

    @property
    def is_accredited(self) -> bool:
        return self.accreditation_status is AccreditationStatus.ACCREDITED

    @property
    def own_council_id(self) -> int | None:
        """The council this organisation belongs to; a council belongs to itself."""
        return self.id if self.kind is OrganisationKind.COUNCIL else self.council_id


class Practitioner(ContactDetails, Base):
    """A named professional working for an organisation (work contact details only)."""

    __tablename__ = "practitioner"
    __table_args__ = (Index("ix_practitioner_organisation_name", "organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(100))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)

    organisation: Mapped[Organisation] = relationship()
