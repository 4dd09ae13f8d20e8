"""Sources, the records they send, and the provenance columns every held value carries.

A *source* (the health demographics feed, the school census, a council's social
care system, ...) sends extracts; each row of an extract is a *source record*,
keyed by the source's own ``record_key``. Every value the directory shows points
back to the source record that supplied it and the date the source extracted it,
so sources can disagree and each disagreement stays visible.

A source's own record key is readable only by staff of the organisation that
issued it (``Source.organisation``); others may use it only for matching.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from contactpoint.organisations.models import Organisation
from contactpoint.storage.models import Base, UtcDateTime, utcnow
from contactpoint.storage.types import enum_column_type
from contactpoint.vocabulary import Gender


class SourceKind(enum.StrEnum):
    NATIONAL = "national"
    LOCAL = "local"


class Feed(enum.StrEnum):
    CHILDREN = "children"
    INVOLVEMENTS = "involvements"


class SourceRecordStatus(enum.StrEnum):
    LIVE = "live"
    ENDED = "ended"


class Source(Base):
    __tablename__ = "source"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[SourceKind] = mapped_column(enum_column_type(SourceKind, name="source_kind"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    # The fields this source is trusted for, space-separated (survivorship prefers them).
    trusted_for: Mapped[str] = mapped_column(String(500), default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)

    organisation: Mapped[Organisation | None] = relationship()


class SourceRecord(Base):
    """One row a source sent about one child (or one involvement), as last accepted.

    The identity fields are kept as the source reported them (normalised), because
    record linkage compares them and because they are the provenance of the
    child's date of birth, gender and date of death.
    """

    __tablename__ = "source_record"
    __table_args__ = (
        UniqueConstraint("source_id", "feed", "record_key", name="uq_source_record_key"),
        Index("ix_source_record_child", "child_id"),
        Index("ix_source_record_nhs_number", "nhs_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"))
    feed: Mapped[Feed] = mapped_column(enum_column_type(Feed, name="feed"))
    record_key: Mapped[str] = mapped_column(String(64))
    child_id: Mapped[int | None] = mapped_column(ForeignKey("child.id"))
    status: Mapped[SourceRecordStatus] = mapped_column(
        enum_column_type(SourceRecordStatus, name="source_record_status"),
        default=SourceRecordStatus.LIVE,
    )
    extracted_on: Mapped[dt.date] = mapped_column(Date)  # of the extract that set or ended it
    # Of a newer extract that carried it unchanged (empty unless newer than extracted_on):
    # the values keep the date they were set on, but no older extract overrides them.
    confirmed_on: Mapped[dt.date | None] = mapped_column(Date)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    # The normalised row as last accepted (JSON): what the child's values are made from.
    payload: Mapped[str | None] = mapped_column(Text)
    given_name: Mapped[str | None] = mapped_column(String(100))
    middle_names: Mapped[str | None] = mapped_column(String(200))
    family_name: Mapped[str | None] = mapped_column(String(100))
    date_of_birth: Mapped[dt.date | None] = mapped_column(Date)
    gender: Mapped[Gender | None] = mapped_column(enum_column_type(Gender, name="gender"))
    date_of_death: Mapped[dt.date | None] = mapped_column(Date)
    nhs_number: Mapped[str | None] = mapped_column(String(10))
    upn: Mapped[str | None] = mapped_column(String(13))
    first_loaded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())

    source: Mapped[Source] = relationship()

    @property
    def last_sent_on(self) -> dt.date:
        """The date of the newest extract that sent, carried or ended the record."""
        return self.confirmed_on or self.extracted_on


class Provenance:
    """Mixin for every held value: which source record supplied it, and when.

    ``source_record_id`` is empty only for values a user recorded directly (their
    own involvement, say); ``observed_on`` is then the day they recorded it.
    """

    observed_on: Mapped[dt.date] = mapped_column(Date)

    @declared_attr
    def source_record_id(cls) -> Mapped[int | None]:  # noqa: N805 - SQLAlchemy's declared_attr
        return mapped_column(ForeignKey("source_record.id"), index=True)

    @declared_attr
    def source_record(cls) -> Mapped[SourceRecord | None]:  # noqa: N805
        return relationship(SourceRecord)
