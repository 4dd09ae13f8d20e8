"""The audit trail's tables: append-only events, hash-chained, and their details.

``audit_event`` refuses UPDATE, DELETE and TRUNCATE in the database itself
(triggers, migration 0002). ``sequence`` is the chain position (1, 2, 3... with no
gaps) and the primary key; ``previous_hash`` is UNIQUE, so two events can never
follow the same predecessor: the chain cannot fork even if a writer skipped the
chain lock. Users, organisations and children are named by identifier only and
without foreign keys: destroying a user or a child leaves the trail whole.

``audit_event_details`` holds each event's details (canonical JSON) and the salt
of their digest. It refuses UPDATE; DELETE is how a recorded redaction removes
personal data, and ``verify`` fails on any deletion no redaction event accounts for.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from contactpoint.audit.events import (
    ADDRESS_LENGTH,
    LABEL_LENGTH,
    REF_LENGTH,
    ROLE_LENGTH,
    ActorKind,
    EventType,
    Outcome,
    SubjectKind,
)
from contactpoint.audit.rules import HASH_LENGTH, SALT_BYTES
from contactpoint.storage.models import Base, UtcDateTime
from contactpoint.storage.types import enum_column_type


class AuditEventRow(Base):
    """One event in the trail, as recorded."""

    __tablename__ = "audit_event"
    __table_args__ = (
        CheckConstraint("sequence >= 1", name="sequence_positive"),
        Index("ix_audit_event_occurred_at", "occurred_at"),
        Index("ix_audit_event_event_type_occurred_at", "event_type", "occurred_at"),
        Index("ix_audit_event_actor_user_id", "actor_user_id"),
        Index("ix_audit_event_subject", "subject_kind", "subject_ref"),
    )

    sequence: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    occurred_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    event_type: Mapped[EventType] = mapped_column(
        enum_column_type(EventType, name="audit_event_type")
    )
    outcome: Mapped[Outcome] = mapped_column(enum_column_type(Outcome, name="audit_outcome"))
    actor_kind: Mapped[ActorKind] = mapped_column(
        enum_column_type(ActorKind, name="audit_actor_kind")
    )
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    actor_label: Mapped[str | None] = mapped_column(String(LABEL_LENGTH))
    actor_role: Mapped[str | None] = mapped_column(String(ROLE_LENGTH))
    actor_organisation_id: Mapped[int | None] = mapped_column(Integer)
    actor_address: Mapped[str | None] = mapped_column(String(ADDRESS_LENGTH))
    session_ref: Mapped[str | None] = mapped_column(String(REF_LENGTH))
    subject_kind: Mapped[SubjectKind | None] = mapped_column(
        enum_column_type(SubjectKind, name="audit_subject_kind")
    )
    subject_ref: Mapped[str | None] = mapped_column(String(REF_LENGTH))
    details_digest: Mapped[str] = mapped_column(String(HASH_LENGTH))
    previous_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)
    hash: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)


class AuditEventDetails(Base):
    """An event's details (canonical JSON) and the salt of their digest; redactable."""

    __tablename__ = "audit_event_details"

    sequence: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("audit_event.sequence"), primary_key=True, autoincrement=False
    )
    salt: Mapped[str] = mapped_column(String(SALT_BYTES * 2))
    details: Mapped[str] = mapped_column(Text)
