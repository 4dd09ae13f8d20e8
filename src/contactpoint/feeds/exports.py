"""The link export (``feeds.md``): which child each live child source record belongs to."""

from __future__ import annotations

import csv
from typing import IO, TYPE_CHECKING, Final

from sqlalchemy import select
from sqlalchemy.orm import aliased

from contactpoint.access.audit_trail import actor_for
from contactpoint.audit.events import export_event
from contactpoint.audit.services import record
from contactpoint.directory.models import Child
from contactpoint.provenance.models import Feed, Source, SourceRecord, SourceRecordStatus

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from contactpoint.access.policy import Principal

LINK_COLUMNS: Final = ("source", "record_id", "child_id")
_BATCH: Final = 10_000


def write_link_export(session: Session, stream: IO[str], *, by: Principal) -> int:
    """Write the export and record it in the audit trail; the number of rows written.

    A merged-away child points at the survivor; following one step is enough,
    because merging re-points every record of the merged child (and chains are
    collapsed when they form).
    """
    survivor = aliased(Child)
    statement = (
        select(
            Source.name, SourceRecord.record_key, Child.contactpoint_id, survivor.contactpoint_id
        )
        .join(Source, Source.id == SourceRecord.source_id)
        .join(Child, Child.id == SourceRecord.child_id)
        .outerjoin(survivor, survivor.id == Child.merged_into_id)
        .where(SourceRecord.feed == Feed.CHILDREN, SourceRecord.status == SourceRecordStatus.LIVE)
        .order_by(Source.name, SourceRecord.record_key)
        .execution_options(yield_per=_BATCH)
    )
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(LINK_COLUMNS)
    rows = 0
    for source, record_key, child_id, survivor_id in session.execute(statement):
        writer.writerow((source, record_key, survivor_id or child_id))
        rows += 1
    record(session, export_event(actor_for(by), export="links", rows=rows))
    return rows
