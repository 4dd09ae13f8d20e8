"""The directory's own records for linkage: retraining on them, and a batch re-link report.

A load never retrains: ``contactpoint linkage train`` makes a new model from the
live child records, and the operator chooses to use it
(``CONTACTPOINT_LINKAGE_MODEL_FILE``). The batch re-link scores every pair of
live records that share a blocking key with the current model, joins the pairs
at or above the link threshold into clusters, and reports where those clusters
differ from the children the records are linked to now: records it would
merge, and records of one child it would not join. It changes nothing.

This runs in one process over the whole directory, which suits a council-sized
directory; at national size the same model runs as a Splink batch job on Spark
(:func:`contactpoint.linkage.splink_models.splink_settings` gives Splink the
same comparisons and weights).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Final, Protocol

from sqlalchemy import select

from contactpoint.directory.models import Child
from contactpoint.linkage.decisions import DEFAULT_THRESHOLDS, Thresholds
from contactpoint.linkage.index import record_for_row
from contactpoint.linkage.records import LinkageRecord, blocking_keys
from contactpoint.provenance.models import Feed, Source, SourceRecord, SourceRecordStatus
from contactpoint.provenance.reported import child_from_payload

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from sqlalchemy.orm import Session

    from contactpoint.linkage.model import Model

REPORT_COLUMNS: Final = (
    "difference", "source_a", "record_id_a", "child_id_a", "source_b", "record_id_b",
    "child_id_b", "match_weight",
)  # fmt: skip
_BATCH: Final = 5000


@dataclass(frozen=True, slots=True)
class HeldRecord:
    source: str
    record_key: str
    contactpoint_id: str
    record: LinkageRecord


def live_records(session: Session) -> Iterator[HeldRecord]:
    """Every live child source record, with the child it is linked to now."""
    statement = (
        select(Source.name, SourceRecord.record_key, Child.contactpoint_id, SourceRecord.payload)
        .join(Source, Source.id == SourceRecord.source_id)
        .join(Child, Child.id == SourceRecord.child_id)
        .where(
            SourceRecord.feed == Feed.CHILDREN,
            SourceRecord.status == SourceRecordStatus.LIVE,
            SourceRecord.payload.is_not(None),
        )
        .order_by(SourceRecord.id)
        .execution_options(yield_per=_BATCH)
    )
    for source, key, contactpoint_id, text in session.execute(statement):
        if text is None:  # excluded by the query; here for the type checker
            continue
        yield HeldRecord(source, key, contactpoint_id, record_for_row(child_from_payload(text)))


@dataclass(frozen=True, slots=True)
class RelinkSummary:
    records: int
    pairs_scored: int
    would_merge: int
    would_split: int


class _RowWriter(Protocol):
    def writerow(self, row: Iterable[str], /) -> object: ...


class _Clusters:
    """Union-find over record positions."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def join(self, left: int, right: int) -> None:
        self.parent[self.find(left)] = self.find(right)


def relink_report(
    session: Session,
    stream: IO[str],
    *,
    model: Model,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> RelinkSummary:
    """Write the differences as CSV (REPORT_COLUMNS); nothing in the directory changes."""
    held = list(live_records(session))
    model = model.for_records(len(held))
    blocks: dict[str, list[int]] = defaultdict(list)
    for position, item in enumerate(held):
        for key in blocking_keys(item.record):
            blocks[key].append(position)
    clusters = _Clusters(len(held))
    weights: dict[tuple[int, int], float] = {}
    for members in blocks.values():
        for index, left in enumerate(members):
            for right in members[index + 1 :]:
                pair = (min(left, right), max(left, right))
                if pair not in weights:
                    weights[pair] = model.score(held[left].record, held[right].record).match_weight
    for (left, right), weight in weights.items():
        if weight >= thresholds.link:
            clusters.join(left, right)
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    merges = _would_merge(held, weights, thresholds, writer)
    splits = _would_split(held, clusters, writer)
    return RelinkSummary(len(held), len(weights), merges, splits)


def _row(kind: str, left: HeldRecord, right: HeldRecord, weight: float | None) -> list[str]:
    shown = "" if weight is None else f"{weight:.3f}"
    return [kind, left.source, left.record_key, left.contactpoint_id,
            right.source, right.record_key, right.contactpoint_id, shown]  # fmt: skip


def _would_merge(
    held: list[HeldRecord],
    weights: dict[tuple[int, int], float],
    thresholds: Thresholds,
    writer: _RowWriter,
) -> int:
    """Pairs the model would link whose records belong to different children now."""
    count = 0
    for (left, right), weight in sorted(weights.items()):
        if weight >= thresholds.link and held[left].contactpoint_id != held[right].contactpoint_id:
            writer.writerow(_row("would_merge", held[left], held[right], weight))
            count += 1
    return count


def _would_split(held: list[HeldRecord], clusters: _Clusters, writer: _RowWriter) -> int:
    """Records of one child that the model's clusters would put apart (first record vs each)."""
    by_child: dict[str, list[int]] = defaultdict(list)
    for position, item in enumerate(held):
        by_child[item.contactpoint_id].append(position)
    count = 0
    for members in by_child.values():
        first = members[0]
        for other in members[1:]:
            if clusters.find(first) != clusters.find(other):
                writer.writerow(_row("would_split", held[first], held[other], None))
                count += 1
    return count
