"""A child's record: the directory holds these tables and nothing else about a child.

Data minimisation is a feature: no case notes, no free text, no concern flags,
no assessments. Every value carries its provenance (:class:`Provenance`), so
values from sources that disagree sit side by side, each traceable.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contactpoint.organisations.models import Organisation, Practitioner
from contactpoint.provenance.models import Provenance
from contactpoint.storage.models import Base, UtcDateTime, utcnow
from contactpoint.storage.types import enum_column_type
from contactpoint.vocabulary import (
    AddressStatus,
    CarerRelationship,
    ConsentBasis,
    Gender,
    ServiceType,
    ShieldReason,
)

ADULT_AGE = 18
LATEST_ARCHIVE_AGE = 25


class RecordStatus(enum.StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"
    DESTROYED = "destroyed"


class ExtendedRetentionBasis(enum.StrEnum):
    """The listed cases in which a record may stay active past 18 (with consent)."""

    CARE_LEAVER = "care_leaver"
    LEARNING_DIFFICULTY = "learning_difficulty"


class NameKind(enum.StrEnum):
    CURRENT = "current"
    FORMER = "former"
    PREFERRED = "preferred"


class IdentifierScheme(enum.StrEnum):
    NHS_NUMBER = "nhs_number"
    UPN = "upn"


class Child(Base):
    """A child known to the directory, under its ContactPoint ID.

    ``date_of_birth``, ``gender`` and ``date_of_death`` are the values the directory
    shows; the source records linked to the child hold what each source reported
    (their provenance). A merged-away child keeps its row, with ``merged_into_id``
    naming the survivor, so its ContactPoint ID is never reused or lost.
    """

    __tablename__ = "child"
    __table_args__ = (
        CheckConstraint(
            f"archive_at_age BETWEEN {ADULT_AGE} AND {LATEST_ARCHIVE_AGE}",
            name="archive_age_range",
        ),
        CheckConstraint(
            f"archive_at_age = {ADULT_AGE} OR "
            "(extended_retention_basis IS NOT NULL AND extended_retention_consent_on IS NOT NULL)",
            name="extended_retention_needs_basis_and_consent",
        ),
        Index("ix_child_date_of_birth", "date_of_birth"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contactpoint_id: Mapped[str] = mapped_column(String(12), unique=True)
    date_of_birth: Mapped[dt.date | None] = mapped_column(Date)
    gender: Mapped[Gender] = mapped_column(
        enum_column_type(Gender, name="gender"), default=Gender.NOT_KNOWN
    )
    date_of_death: Mapped[dt.date | None] = mapped_column(Date)
    record_status: Mapped[RecordStatus] = mapped_column(
        enum_column_type(RecordStatus, name="record_status"), default=RecordStatus.ACTIVE
    )
    archive_at_age: Mapped[int] = mapped_column(SmallInteger, default=ADULT_AGE)
    extended_retention_basis: Mapped[ExtendedRetentionBasis | None] = mapped_column(
        enum_column_type(ExtendedRetentionBasis, name="extended_retention_basis")
    )
    extended_retention_consent_on: Mapped[dt.date | None] = mapped_column(Date)
    archived_on: Mapped[dt.date | None] = mapped_column(Date)
    destroyed_on: Mapped[dt.date | None] = mapped_column(Date)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("child.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)

    names: Mapped[list[ChildName]] = relationship(back_populates="child")
    addresses: Mapped[list[ChildAddress]] = relationship(back_populates="child")
    identifiers: Mapped[list[ChildIdentifier]] = relationship(back_populates="child")
    carers: Mapped[list[Carer]] = relationship(back_populates="child")
    school_enrolments: Mapped[list[SchoolEnrolment]] = relationship(back_populates="child")
    gp_registrations: Mapped[list[GpRegistration]] = relationship(back_populates="child")
    involvements: Mapped[list[Involvement]] = relationship(back_populates="child")
    shields: Mapped[list[Shield]] = relationship(back_populates="child")


class ChildName(Provenance, Base):
    __tablename__ = "child_name"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"), index=True)
    kind: Mapped[NameKind] = mapped_column(enum_column_type(NameKind, name="name_kind"))
    given_name: Mapped[str | None] = mapped_column(String(100))
    middle_names: Mapped[str | None] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(100))
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)

    child: Mapped[Child] = relationship(back_populates="names")


class ChildAddress(Provenance, Base):
    """An address or whereabouts; history is kept as rows with ``valid_to`` set."""

    __tablename__ = "child_address"
    __table_args__ = (
        CheckConstraint(
            "status != 'no_known_address' OR (address_line_1 IS NULL AND postcode IS NULL)",
            name="no_known_address_has_no_lines",
        ),
        Index("ix_child_address_postcode", "postcode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"), index=True)
    status: Mapped[AddressStatus] = mapped_column(
        enum_column_type(AddressStatus, name="address_status")
    )
    address_line_1: Mapped[str | None] = mapped_column(String(200))
    address_line_2: Mapped[str | None] = mapped_column(String(200))
    town: Mapped[str | None] = mapped_column(String(100))
    postcode: Mapped[str | None] = mapped_column(String(8))
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)

    child: Mapped[Child] = relationship(back_populates="addresses")


class ChildIdentifier(Provenance, Base):
    """A national identifier (NHS number, UPN). Sources' own keys live on source_record."""

    __tablename__ = "child_identifier"
    __table_args__ = (Index("ix_child_identifier_scheme_value", "scheme", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"), index=True)
    scheme: Mapped[IdentifierScheme] = mapped_column(
        enum_column_type(IdentifierScheme, name="identifier_scheme")
    )
    value: Mapped[str] = mapped_column(String(13))

    child: Mapped[Child] = relationship(back_populates="identifiers")


class Carer(Provenance, Base):
    """A parent or carer of one child: name, relationship, and how to contact them."""

    __tablename__ = "carer"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"), index=True)
    given_name: Mapped[str | None] = mapped_column(String(100))
    family_name: Mapped[str | None] = mapped_column(String(100))
    relationship_to_child: Mapped[CarerRelationship] = mapped_column(
        enum_column_type(CarerRelationship, name="carer_relationship"),
        default=CarerRelationship.OTHER,
    )
    parental_responsibility: Mapped[bool | None] = mapped_column(Boolean)
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    valid_to: Mapped[dt.date | None] = mapped_column(Date)

    child: Mapped[Child] = relationship(back_populates="carers")


class SchoolEnrolment(Provenance, Base):
    __tablename__ = "school_enrolment"
    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)

    child: Mapped[Child] = relationship(back_populates="school_enrolments")
    school: Mapped[Organisation] = relationship()


class GpRegistration(Provenance, Base):
    __tablename__ = "gp_registration"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"), index=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)

    child: Mapped[Child] = relationship(back_populates="gp_registrations")
    practice: Mapped[Organisation] = relationship()


class Involvement(Provenance, Base):
    """A service or practitioner working with a child ("additional services").

    Holds the two indicators and nothing of the work itself: the assessment is
    never held, only whether one is.
    """

    __tablename__ = "involvement"
    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_in_order"),
        CheckConstraint(
            "NOT sensitive OR consent_basis IS NOT NULL", name="sensitive_needs_consent_basis"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    practitioner_id: Mapped[int | None] = mapped_column(ForeignKey("practitioner.id"))
    service_type: Mapped[ServiceType] = mapped_column(
        enum_column_type(ServiceType, name="service_type")
    )
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    lead_professional: Mapped[bool] = mapped_column(Boolean, default=False)
    assessment_held: Mapped[bool] = mapped_column(Boolean, default=False)
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_basis: Mapped[ConsentBasis | None] = mapped_column(
        enum_column_type(ConsentBasis, name="consent_basis")
    )

    child: Mapped[Child] = relationship(back_populates="involvements")
    service: Mapped[Organisation] = relationship()
    practitioner: Mapped[Practitioner | None] = relationship()


class Shield(Base):
    """A council's decision to hide a child's whereabouts; rows are history, never deleted.

    At most one shield per child is open (``ended_on`` empty) at a time.
    """

    __tablename__ = "shield"
    __table_args__ = (
        Index(
            "uq_shield_one_open_per_child",
            "child_id",
            unique=True,
            sqlite_where=text("ended_on IS NULL"),
            postgresql_where=text("ended_on IS NULL"),
        ),
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="dates_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"), index=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    reason: Mapped[ShieldReason] = mapped_column(
        enum_column_type(ShieldReason, name="shield_reason")
    )
    started_on: Mapped[dt.date] = mapped_column(Date)
    review_on: Mapped[dt.date] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)

    child: Mapped[Child] = relationship(back_populates="shields")
    council: Mapped[Organisation] = relationship()
