"""Loads of source extracts: each a batch with its report, problems and the keys it carried.

A load goes in two passes over the file. The first reads every row, stores the
record_id of each (``feed_load_key``) and the problems found, and decides
whether the load may go ahead (file problems, the mass-end guard). The second
applies the rows in committed chunks, recording how far it got, so that a load
killed part way is resumed by running the same command again.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Final

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contactpoint.feeds.problems import Level
from contactpoint.provenance.models import Feed, Source, SourceRecordStatus
from contactpoint.storage.models import Base, UtcDateTime, utcnow
from contactpoint.storage.types import enum_column_type

REASON_LENGTH: Final = 500  # a load's refusal, and each problem's reason


class LoadMode(enum.StrEnum):
    FULL = "full"
    DELTA = "delta"


class LoadStatus(enum.StrEnum):
    CHECKING = "checking"  # the first pass: reading and staging record_ids
    APPLYING = "applying"  # the second pass: committed chunk by chunk
    COMPLETED = "completed"
    REFUSED = "refused"  # a file problem, or the mass-end guard: nothing applied
    UNDONE = "undone"


class FeedLoad(Base):
    __tablename__ = "feed_load"
    __table_args__ = (Index("ix_feed_load_source_status", "source_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"))
    feed: Mapped[Feed] = mapped_column(enum_column_type(Feed, name="feed"))
    mode: Mapped[LoadMode] = mapped_column(enum_column_type(LoadMode, name="load_mode"))
    status: Mapped[LoadStatus] = mapped_column(
        enum_column_type(LoadStatus, name="load_status"), default=LoadStatus.CHECKING
    )
    file_name: Mapped[str] = mapped_column(String(255))
    file_digest: Mapped[str] = mapped_column(String(64))
    extracted_on: Mapped[dt.date] = mapped_column(Date)
    allow_mass_end: Mapped[bool] = mapped_column(Boolean, default=False)
    loaded_by: Mapped[str] = mapped_column(String(200))
    applied_through_line: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    ended: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    linked_to_existing: Mapped[int] = mapped_column(Integer, default=0)
    new_children: Mapped[int] = mapped_column(Integer, default=0)
    held_for_review: Mapped[int] = mapped_column(Integer, default=0)
    refusal: Mapped[str | None] = mapped_column(String(REASON_LENGTH))
    # Rows rejected before their record_id could be read (pass one counts them): they
    # may be any record, so a full load that has any ends none of the records it does
    # not carry. Kept here so that a resumed load, which skips pass one, knows it too.
    rows_without_record_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    source: Mapped[Source] = relationship()


class FeedLoadKey(Base):
    """A record_id the extract carries, and the line it first appears on.

    Rows rejected with a readable record_id are here too (``accepted`` false):
    a full extract does not end a record whose row it sent but could not accept.
    Rows without one are counted instead (``FeedLoad.rows_without_record_id``).
    """

    __tablename__ = "feed_load_key"
    __table_args__ = (Index("ix_feed_load_key_load_key", "load_id", "record_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    load_id: Mapped[int] = mapped_column(ForeignKey("feed_load.id"))
    record_key: Mapped[str] = mapped_column(String(64))
    line: Mapped[int] = mapped_column(Integer)
    accepted: Mapped[bool] = mapped_column(Boolean)


class RecordChange(enum.StrEnum):
    INSERTED = "inserted"
    UPDATED = "updated"
    ENDED = "ended"


class FeedLoadChange(Base):
    """What a load did to one source record, and what the record was before: undo's log."""

    __tablename__ = "feed_load_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    load_id: Mapped[int] = mapped_column(ForeignKey("feed_load.id"), index=True)
    source_record_id: Mapped[int] = mapped_column(ForeignKey("source_record.id"), index=True)
    change: Mapped[RecordChange] = mapped_column(
        enum_column_type(RecordChange, name="record_change")
    )
    previous_payload: Mapped[str | None] = mapped_column(Text)
    previous_content_hash: Mapped[str | None] = mapped_column(String(64))
    previous_extracted_on: Mapped[dt.date | None] = mapped_column(Date)
    previous_status: Mapped[SourceRecordStatus | None] = mapped_column(
        enum_column_type(SourceRecordStatus, name="source_record_status")
    )
    previous_child_id: Mapped[int | None] = mapped_column(Integer)
    previous_confirmed_on: Mapped[dt.date | None] = mapped_column(Date)


class FeedLoadConfirmation(Base):
    """Records a load carried unchanged and confirmed on its date, for undo: a run of
    consecutive source record ids that all had the same ``confirmed_on`` before.

    Runs, not a row per record: a full extract carries most of its records unchanged,
    and a row for each would grow undo's log by the whole extract at every load."""

    __tablename__ = "feed_load_confirmation"

    id: Mapped[int] = mapped_column(primary_key=True)
    load_id: Mapped[int] = mapped_column(ForeignKey("feed_load.id"), index=True)
    first_record_id: Mapped[int] = mapped_column(Integer)
    last_record_id: Mapped[int] = mapped_column(Integer)
    previous_confirmed_on: Mapped[dt.date | None] = mapped_column(Date)


class FeedLoadProblem(Base):
    __tablename__ = "feed_load_problem"

    id: Mapped[int] = mapped_column(primary_key=True)
    load_id: Mapped[int] = mapped_column(ForeignKey("feed_load.id"), index=True)
    level: Mapped[Level] = mapped_column(enum_column_type(Level, name="problem_level"))
    line: Mapped[int] = mapped_column(Integer)
    column: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(REASON_LENGTH))
