"""Candidates for an incoming record: the live child records that share its blocking keys.

The directory's own blocking-key index (``linkage_block``) names the source
records that share each key; each live, linked one comes with its linkage record,
built from its payload or taken from the linker's cache of records built before.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING

from sqlalchemy import Select, select

from contactpoint.linkage.index import record_from_payload
from contactpoint.linkage.models import LinkageKey
from contactpoint.linkage.records import LinkageRecord
from contactpoint.provenance.models import Feed, SourceRecord, SourceRecordStatus
from contactpoint.storage.queries import listed, one_of_named

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["CACHED_RECORDS", "Candidate", "RecordCache", "candidates_by_key", "unique"]


@dataclass(slots=True)
class Candidate:
    source_record_id: int
    child_id: int
    record: LinkageRecord


CACHED_RECORDS = 100_000


class RecordCache:
    """Linkage records already built, by source record id, while their content is the same.

    Building a candidate's record (its payload read, its names normalised) costs
    more than scoring it, and a load meets the same candidates chunk after chunk,
    and its own earlier records most of all. An entry is used only while the
    record's content hash is unchanged; the quarter least recently used goes
    when it is full, so memory stays bounded however large the load.
    """

    def __init__(self, size: int = CACHED_RECORDS) -> None:
        self.size = size
        self._held: dict[int, tuple[str, LinkageRecord]] = {}

    def get(self, source_record_id: int, content_hash: str | None) -> LinkageRecord | None:
        held = self._held.get(source_record_id)
        if held is None or content_hash is None or held[0] != content_hash:
            return None
        self._held[source_record_id] = self._held.pop(source_record_id)  # used: kept longest
        return held[1]

    def holds_none(self, source_record_ids: Iterable[int]) -> bool:
        """Whether no record of these ids is held (whatever its content hash)."""
        return self._held.keys().isdisjoint(source_record_ids)

    def put(self, source_record_id: int, content_hash: str | None, record: LinkageRecord) -> None:
        if content_hash is None or self.size == 0:
            return
        if len(self._held) >= self.size:
            for oldest in list(islice(self._held, max(1, self.size // 4))):
                del self._held[oldest]
        self._held[source_record_id] = (content_hash, record)


def unique(keys: Iterable[int], *indexes: Mapping[int, list[Candidate]]) -> list[Candidate]:
    """Each record found under any of these keys in any of these indexes, once."""
    seen: dict[int, Candidate] = {}
    for index in indexes:
        for key in keys:
            for candidate in index.get(key, ()):
                seen.setdefault(candidate.source_record_id, candidate)
    return list(seen.values())


def candidates_by_key(
    session: Session, keys: set[int], cache: RecordCache
) -> dict[int, list[Candidate]]:
    """The live child records that share each key, with their linkage records.

    This query and those of :func:`_live_records` go to the connection, not the
    session: they return plain columns, which need none of the ORM's result
    handling (about a sixth of the samples of a load at a million children,
    SQLite's reading of the rows included). The caller flushes first.
    """
    if not keys:
        return {}
    connection = session.connection()
    dialect = connection.dialect.name
    pairs = list(connection.execute(_sharing_keys(dialect), {"keys": listed(dialect, keys)}))
    records = _live_records(session, {record_id for _, record_id in pairs}, cache)
    found: dict[int, list[Candidate]] = defaultdict(list)
    for key, record_id in pairs:
        if record_id in records:
            found[key].append(records[record_id])
    return found


def _live_records(session: Session, ids: set[int], cache: RecordCache) -> dict[int, Candidate]:
    """These source records, where live and linked, each with its linkage record.

    A record built before (same content hash) comes from the cache; the payloads
    of the others are read and built, and kept. When the cache holds none of them
    (a new linker: each command and each upload makes one), the payloads come with
    the first query, one statement fewer.
    """
    if not ids:
        return {}
    connection = session.connection()
    dialect = connection.dialect.name
    if cache.holds_none(ids):
        rows = connection.execute(_live_linked_payloads(dialect), {"ids": listed(dialect, ids)})
        return {
            record_id: _built(cache, record_id, child_id, digest, text)
            for record_id, child_id, digest, text in rows
            if child_id is not None and text is not None
        }
    records: dict[int, Candidate] = {}
    unbuilt: dict[int, tuple[int, str | None]] = {}
    for record_id, child_id, digest in connection.execute(
        _live_linked(dialect), {"ids": listed(dialect, ids)}
    ):
        if child_id is None:  # excluded by the query; says so to the type checker
            continue
        record = cache.get(record_id, digest)
        if record is None:
            unbuilt[record_id] = (child_id, digest)
        else:
            records[record_id] = Candidate(record_id, child_id, record)
    if unbuilt:
        payloads = connection.execute(_payloads(dialect), {"ids": listed(dialect, unbuilt)})
        for record_id, text in payloads:
            if text is not None:
                child_id, digest = unbuilt[record_id]
                records[record_id] = _built(cache, record_id, child_id, digest, text)
    return records


def _built(
    cache: RecordCache, record_id: int, child_id: int, digest: str | None, payload: str
) -> Candidate:
    """A candidate whose linkage record is built from its payload, and kept."""
    record = record_from_payload(payload)
    cache.put(record_id, digest, record)
    return Candidate(record_id, child_id, record)


# The candidate lookup's statements, built once for each database (see ``one_of_named``).


@functools.cache
def _sharing_keys(dialect: str) -> Select[int, int]:
    return select(LinkageKey.key_hash, LinkageKey.source_record_id).where(
        one_of_named(dialect, LinkageKey.key_hash, "keys")
    )


@functools.cache
def _live_linked(dialect: str) -> Select[int, int | None, str | None]:
    return select(SourceRecord.id, SourceRecord.child_id, SourceRecord.content_hash).where(
        one_of_named(dialect, SourceRecord.id, "ids"),
        SourceRecord.status == SourceRecordStatus.LIVE,
        SourceRecord.feed == Feed.CHILDREN,
        SourceRecord.child_id.is_not(None),
    )


@functools.cache
def _live_linked_payloads(dialect: str) -> Select[int, int | None, str | None, str | None]:
    return _live_linked(dialect).add_columns(SourceRecord.payload)


@functools.cache
def _payloads(dialect: str) -> Select[int, str | None]:
    return select(SourceRecord.id, SourceRecord.payload).where(
        one_of_named(dialect, SourceRecord.id, "ids")
    )
