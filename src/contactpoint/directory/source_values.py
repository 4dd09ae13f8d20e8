"""A child's values made from what sources reported, each carrying its provenance.

Every value row points at the source record that supplied it. When a source
record changes, its values are replaced; when it ends, they go; values from
other sources are never touched. The child's date of birth, gender and date of
death are then chosen again from its live source records (:mod:`survivorship`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, bindparam, delete, insert, select, update

from contactpoint.directory.models import (
    Carer,
    Child,
    ChildAddress,
    ChildIdentifier,
    ChildName,
    GpRegistration,
    IdentifierScheme,
    NameKind,
    SchoolEnrolment,
)
from contactpoint.directory.survivorship import Reported, choose
from contactpoint.provenance.models import Source, SourceRecord, SourceRecordStatus
from contactpoint.storage.models import table_of
from contactpoint.vocabulary import CarerRelationship, Gender

if TYPE_CHECKING:
    import datetime as dt

    from sqlalchemy.orm import Session

    from contactpoint.provenance.reported import ChildRow

VALUE_TABLES = (ChildName, ChildAddress, ChildIdentifier, Carer, SchoolEnrolment, GpRegistration)


@dataclass(frozen=True, slots=True)
class SourceValues:
    """One accepted child row, the record it is kept as, and its organisations resolved."""

    child_id: int
    source_record_id: int
    observed_on: dt.date
    row: ChildRow
    school_id: int | None
    practice_id: int | None


def remove_values(session: Session, source_record_ids: Iterable[int]) -> None:
    ids = list(source_record_ids)
    if not ids:
        return
    for table in VALUE_TABLES:
        session.execute(delete(table).where(table.source_record_id.in_(ids)))


def add_values(session: Session, values: Iterable[SourceValues]) -> None:
    """Insert every value of these rows, table by table, in bulk."""
    rows: dict[type[Any], list[dict[str, object]]] = {table: [] for table in VALUE_TABLES}
    for item in values:
        for table, value in _value_rows(item):
            rows[table].append(value)
    for table, table_rows in rows.items():
        if table_rows:
            session.execute(insert(table_of(table)), table_rows)


def _value_rows(item: SourceValues) -> Iterable[tuple[type[Any], dict[str, object]]]:
    row = item.row
    base = {
        "child_id": item.child_id,
        "source_record_id": item.source_record_id,
        "observed_on": item.observed_on,
    }
    yield ChildName, {**base, "kind": NameKind.CURRENT, "given_name": row.given_name,
                      "middle_names": row.middle_names, "family_name": row.family_name}  # fmt: skip
    for former in row.former_family_names:
        yield ChildName, {**base, "kind": NameKind.FORMER, "given_name": None,
                          "middle_names": None, "family_name": former}  # fmt: skip
    if row.address is not None:
        address = row.address
        yield ChildAddress, {**base, "status": address.status, "address_line_1": address.line_1,
                             "address_line_2": address.line_2, "town": address.town,
                             "postcode": address.postcode}  # fmt: skip
    for scheme, value in ((IdentifierScheme.NHS_NUMBER, row.nhs_number),
                          (IdentifierScheme.UPN, row.upn)):  # fmt: skip
        if value is not None:
            yield ChildIdentifier, {**base, "scheme": scheme, "value": value}
    for carer in row.carers:
        yield Carer, {**base, "given_name": carer.given_name, "family_name": carer.family_name,
                      "relationship_to_child": carer.relationship or CarerRelationship.OTHER,
                      "phone": carer.phone, "email": carer.email}  # fmt: skip
    if item.school_id is not None:
        yield SchoolEnrolment, {**base, "school_id": item.school_id,
                                "start_date": row.school_start_date}  # fmt: skip
    if item.practice_id is not None:
        yield GpRegistration, {**base, "practice_id": item.practice_id}


def refresh_children(session: Session, child_ids: Iterable[int]) -> None:
    """Choose each child's date of birth, gender and date of death again from its sources."""
    ids = sorted(set(child_ids))
    if not ids:
        return
    reports: dict[int, list[tuple[Mapping[str, Any], frozenset[str]]]] = {i: [] for i in ids}
    shown: dict[int, dict[str, object]] = {}
    for record in session.execute(_reported_values(), {"ids": ids}).mappings():
        reported = dict(record)
        reports[reported["child_id"]].append((reported, frozenset(reported["trusted_for"].split())))
        shown[reported["child_id"]] = {
            field: reported[f"shown_{field}"]
            for field in ("date_of_birth", "gender", "date_of_death")
        }
    # A new child already holds its record's values; a child left without live records
    # is not in ``shown`` and is written (its values go).
    updates = [
        {"id": child_id, **chosen}
        for child_id, found in reports.items()
        if (chosen := _chosen(found)) != shown.get(child_id)
    ]
    if updates:
        session.execute(update(Child), updates)


def may_change_children(session: Session, added: Iterable[tuple[int, ChildRow]]) -> set[int]:
    """The children whose shown values a new record of theirs may change: (child id, row) pairs.

    The survivorship rule shows the best-ranked of the values reported. A new
    record that reports no value, or the value the child shows, leaves it shown
    whatever its rank, so only a child with a new record that reports another
    value needs choosing again (:func:`refresh_children`). Looking up what the
    children show costs far less than reading every record of theirs.
    """
    pairs = list(added)
    if not pairs:
        return set()
    shown = {
        child_id: (born, gender, died)
        for child_id, born, gender, died in session.execute(
            _shown_values(), {"ids": sorted({child_id for child_id, _ in pairs})}
        )
    }
    return {child_id for child_id, row in pairs if _reports_other(row, shown.get(child_id))}


def _reports_other(row: ChildRow, shown: tuple[object, object, object] | None) -> bool:
    if shown is None:
        return True
    born, gender, died = shown
    return (
        (row.date_of_birth is not None and row.date_of_birth != born)
        or (row.gender is not Gender.NOT_KNOWN and row.gender != gender)
        or (row.date_of_death is not None and row.date_of_death != died)
    )


@functools.cache
def _shown_values() -> Select[*tuple[Any, ...]]:
    """What some children show: every load's chunk asks (see ``storage.queries.one_of_named``)."""
    return select(Child.id, Child.date_of_birth, Child.gender, Child.date_of_death).where(
        Child.id.in_(bindparam("ids", expanding=True))
    )


@functools.cache
def _reported_values() -> Select[*tuple[Any, ...]]:
    """What each live record of some children reports, beside what each child shows.

    Every load's chunk asks, so it is built once (see ``storage.queries.one_of_named``).
    """
    return (
        select(
            SourceRecord.child_id,
            SourceRecord.date_of_birth,
            SourceRecord.gender,
            SourceRecord.date_of_death,
            SourceRecord.extracted_on,
            SourceRecord.id,
            Source.trusted_for,
            # What the child shows now, on each of its rows: only changes are written.
            Child.date_of_birth.label("shown_date_of_birth"),
            Child.gender.label("shown_gender"),
            Child.date_of_death.label("shown_date_of_death"),
        )
        .join(Source, Source.id == SourceRecord.source_id)
        .join(Child, Child.id == SourceRecord.child_id)
        .where(
            SourceRecord.child_id.in_(bindparam("ids", expanding=True)),
            SourceRecord.status == SourceRecordStatus.LIVE,
        )
    )


def _chosen(found: list[tuple[Mapping[str, Any], frozenset[str]]]) -> dict[str, object]:
    def pick(field: str) -> object:
        return choose(
            Reported(
                record[field],
                trusted=field in trusted,
                observed_on=record["extracted_on"],
                order=record["id"],
            )
            for record, trusted in found
            if record[field] is not None and record[field] != Gender.NOT_KNOWN
        )

    gender = pick("gender")
    return {
        "date_of_birth": pick("date_of_birth"),
        "gender": Gender.NOT_KNOWN if gender is None else gender,
        "date_of_death": pick("date_of_death"),
    }
