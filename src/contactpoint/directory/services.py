"""Queries and changes on children's records. Pages, commands and feeds go through here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeVar

from sqlalchemy import func, select

from contactpoint.directory.models import Child, Involvement, RecordStatus, Shield
from contactpoint.identifiers.contactpoint_id import generate_contactpoint_id
from contactpoint.organisations.models import Organisation, OrganisationKind
from contactpoint.provenance.models import Source, SourceRecord, SourceRecordStatus
from contactpoint.vocabulary import Gender

if TYPE_CHECKING:
    import random

    from sqlalchemy import ColumnElement
    from sqlalchemy.orm import InstrumentedAttribute, Session

ReportedField = Literal["date_of_birth", "gender", "date_of_death"]
_ID_ATTEMPTS = 10
T = TypeVar("T")


class ContactPointIdExhaustedError(RuntimeError):
    """No unused ContactPoint ID was found: the random source is broken, not the data."""


@dataclass(frozen=True, slots=True)
class DirectoryStatistics:
    children_by_status: dict[RecordStatus, int]
    shielded_children: int
    involvements_open: int
    organisations_by_kind: dict[OrganisationKind, int]
    sources: int
    live_source_records: int

    @property
    def active_children(self) -> int:
        return self.children_by_status.get(RecordStatus.ACTIVE, 0)


@dataclass(frozen=True, slots=True)
class ReportedValue:
    """One source's statement about a child: the provenance of a shown value."""

    source: str
    record_key: str
    value: object
    extracted_on: dt.date


def new_contactpoint_id(session: Session, *, rng: random.Random | None = None) -> str:
    """A ContactPoint ID no child has ever had (merged and destroyed records keep theirs)."""
    for _ in range(_ID_ATTEMPTS):
        candidate = generate_contactpoint_id(rng)
        taken = session.scalar(select(Child.id).where(Child.contactpoint_id == candidate))
        if taken is None:
            return candidate
    raise ContactPointIdExhaustedError(f"no unused ContactPoint ID in {_ID_ATTEMPTS} draws")


def new_contactpoint_ids(
    session: Session, count: int, *, rng: random.Random | None = None
) -> list[str]:
    """``count`` distinct ContactPoint IDs no child has ever had, checked in one query a round."""
    chosen: set[str] = set()
    for _ in range(_ID_ATTEMPTS):
        wanted = count - len(chosen)
        if wanted <= 0:
            break
        drawn = {generate_contactpoint_id(rng) for _ in range(wanted)} - chosen
        taken = set(
            session.scalars(select(Child.contactpoint_id).where(Child.contactpoint_id.in_(drawn)))
        )
        chosen |= drawn - taken
    if len(chosen) < count:
        raise ContactPointIdExhaustedError(f"no unused ContactPoint IDs in {_ID_ATTEMPTS} rounds")
    return sorted(chosen)


def register_child(
    session: Session,
    *,
    date_of_birth: dt.date | None,
    gender: Gender = Gender.NOT_KNOWN,
    rng: random.Random | None = None,
) -> Child:
    child = Child(
        contactpoint_id=new_contactpoint_id(session, rng=rng),
        date_of_birth=date_of_birth,
        gender=gender,
    )
    session.add(child)
    session.flush()
    return child


def find_child(session: Session, contactpoint_id: str) -> Child | None:
    """The child with this ContactPoint ID, following merges to the surviving record."""
    child = session.scalar(select(Child).where(Child.contactpoint_id == contactpoint_id))
    seen: set[int] = set()
    while child is not None and child.merged_into_id is not None and child.id not in seen:
        seen.add(child.id)
        child = session.get(Child, child.merged_into_id)
    return child


def reported_values(session: Session, *, child: Child, field: ReportedField) -> list[ReportedValue]:
    """What each live source record linked to ``child`` says about ``field``, newest first."""
    column = getattr(SourceRecord, field)
    rows = session.execute(
        select(Source.name, SourceRecord.record_key, column, SourceRecord.extracted_on)
        .join(Source, Source.id == SourceRecord.source_id)
        .where(SourceRecord.child_id == child.id)
        .where(SourceRecord.status == SourceRecordStatus.LIVE)
        .where(column.is_not(None))
        .order_by(SourceRecord.extracted_on.desc(), Source.name, SourceRecord.record_key)
    )
    return [ReportedValue(*row) for row in rows]


def directory_statistics(session: Session) -> DirectoryStatistics:
    return DirectoryStatistics(
        children_by_status=_count_by(session, Child.record_status, Child.merged_into_id.is_(None)),
        shielded_children=session.scalar(
            select(func.count(func.distinct(Shield.child_id))).where(Shield.ended_on.is_(None))
        )
        or 0,
        involvements_open=session.scalar(
            select(func.count()).select_from(Involvement).where(Involvement.end_date.is_(None))
        )
        or 0,
        organisations_by_kind=_count_by(session, Organisation.kind),
        sources=session.scalar(select(func.count()).select_from(Source)) or 0,
        live_source_records=session.scalar(
            select(func.count())
            .select_from(SourceRecord)
            .where(SourceRecord.status == SourceRecordStatus.LIVE)
        )
        or 0,
    )


def _count_by(
    session: Session,
    column: InstrumentedAttribute[T],
    *conditions: ColumnElement[bool],
) -> dict[T, int]:
    statement = select(column, func.count()).where(*conditions).group_by(column)
    return {key: count for key, count in session.execute(statement)}  # noqa: C416 - Rows, not pairs
