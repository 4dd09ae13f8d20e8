"""Linkage tables: blocking keys, every link decision with its evidence, the review queue.

``linkage_block`` is the directory's own index for finding candidates: each live
child source record contributes its blocking keys (hashed), and an incoming
record is compared only with the records that share one of its keys.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from contactpoint.storage.models import Base, UtcDateTime, utcnow
from contactpoint.storage.types import enum_column_type


class LinkOutcome(enum.StrEnum):
    LINKED = "linked"  # to an existing child, automatically
    NEW_CHILD = "new_child"
    HELD_FOR_REVIEW = "held_for_review"  # a provisional new child, in the review queue
    MERGED = "merged"  # a person accepted the match
    KEPT_SEPARATE = "kept_separate"  # a person rejected the match
    SPLIT = "split"  # a person unmerged a wrongly merged record


class ReviewStatus(enum.StrEnum):
    OPEN = "open"
    MERGED = "merged"
    KEPT_SEPARATE = "kept_separate"


class LinkageKey(Base):
    """One blocking key of one live child source record, as a 64-bit hash of the key.

    Hashes, not the keys' text: the index is a fifth of the size, and inserting
    and probing it costs less (a load writes some fifteen a record). A collision
    only makes an extra candidate, which scoring then turns away. On SQLite the
    table is its own index (WITHOUT ROWID), so each key is one B-tree insert.
    """

    __tablename__ = "linkage_block"
    __table_args__ = ({"sqlite_with_rowid": False},)

    key_hash: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    source_record_id: Mapped[int] = mapped_column(
        ForeignKey("source_record.id"), primary_key=True, index=True
    )


class LinkageIndexState(Base):
    """Which release's blocking keys the index holds (one row, id 1).

    A release that changes the keys changes ``linkage.records.KEYS_VERSION``;
    loads then refuse to link against an index of other keys until
    ``contactpoint linkage reindex`` has made every record's keys again.
    ``keys_version`` is empty when it is not known (an index older than this row).
    It also keeps the directory's live child records as last counted, and when
    (see ``linkage.index.directory_size``).
    """

    __tablename__ = "linkage_index_state"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    keys_version: Mapped[str | None] = mapped_column(String(40))
    rebuilt_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    live_records: Mapped[int | None] = mapped_column()
    counted_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())


class LinkDecision(Base):
    """Why a source record belongs to the child it does: model, score and explanation."""

    __tablename__ = "link_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_record_id: Mapped[int] = mapped_column(ForeignKey("source_record.id"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"), index=True)
    outcome: Mapped[LinkOutcome] = mapped_column(enum_column_type(LinkOutcome, name="link_outcome"))
    match_weight: Mapped[float | None] = mapped_column(Float)
    model_version: Mapped[str] = mapped_column(String(40))
    explanation: Mapped[str | None] = mapped_column(Text)  # JSON: the comparison weights
    decided_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    decided_by: Mapped[str] = mapped_column(String(200))


class ReviewItem(Base):
    """A record held for review: linked to a provisional child until a person decides."""

    __tablename__ = "review_item"
    __table_args__ = (Index("ix_review_item_status_council", "status", "council_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_record_id: Mapped[int] = mapped_column(ForeignKey("source_record.id"), index=True)
    provisional_child_id: Mapped[int] = mapped_column(ForeignKey("child.id"))
    candidate_child_id: Mapped[int] = mapped_column(ForeignKey("child.id"))
    match_weight: Mapped[float] = mapped_column(Float)
    council_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    status: Mapped[ReviewStatus] = mapped_column(
        enum_column_type(ReviewStatus, name="review_status"), default=ReviewStatus.OPEN
    )
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(200))
