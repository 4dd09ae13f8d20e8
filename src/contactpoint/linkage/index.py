"""The directory's blocking-key index (``linkage_block``): written, forgotten and rebuilt.

Each live child source record holds one row per blocking key
(:func:`contactpoint.linkage.records.blocking_keys`), the key kept as a signed
64-bit hash of its text. A record is found as a candidate through any key it
shares with an incoming record.

When the keys change (a release that adds or narrows a key, or a new model's
comparisons), records indexed before do not hold the new keys: ``contactpoint
linkage reindex`` (:func:`rebuild_index`) makes every live record's keys again.
The index records which keys it holds (``linkage_index_state``), and loads
refuse to link against another release's keys (:func:`require_current_keys`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Final

from sqlalchemy import delete, func, select

from contactpoint.linkage.models import LinkageIndexState, LinkageKey
from contactpoint.linkage.records import KEYS_VERSION, LinkageRecord, blocking_keys, linkage_record
from contactpoint.provenance.models import Feed, SourceRecord, SourceRecordStatus
from contactpoint.provenance.reported import ChildRow
from contactpoint.storage.queries import insert_tuples, one_of
from contactpoint.vocabulary import Gender

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

REBUILD_BATCH: Final = 2000


def key_hash(key: str) -> int:
    """The key's index value: the first 8 bytes of its BLAKE2b digest, signed.

    Stable across processes and releases (unlike Python's ``hash``), and the
    same on both databases (a signed BIGINT).
    """
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def hashed_keys(record: LinkageRecord) -> frozenset[int]:
    return frozenset(key_hash(key) for key in blocking_keys(record))


def record_for_row(row: ChildRow) -> LinkageRecord:
    address = row.address
    return linkage_record(
        given_name=row.given_name,
        family_name=row.family_name,
        middle_names=row.middle_names,
        former_family_names=row.former_family_names,
        date_of_birth=row.date_of_birth,
        gender=row.gender,
        postcode=None if address is None else address.postcode,
        address_line_1=None if address is None else address.line_1,
        nhs_number=row.nhs_number,
        upn=row.upn,
        carers=[(carer.given_name, carer.family_name) for carer in row.carers],
    )


def record_from_payload(text: str) -> LinkageRecord:
    """The linkage record of a stored child row's payload (``provenance.reported.payload``).

    The same record as ``record_for_row(child_from_payload(text))``, without making
    the whole row: a load builds one for every candidate it meets that is not cached.
    """
    values = json.loads(text)
    address = values["address"]
    born = values["date_of_birth"]
    return linkage_record(
        given_name=values["given_name"],
        family_name=values["family_name"],
        middle_names=values["middle_names"],
        former_family_names=values["former_family_names"],
        date_of_birth=None if born is None else dt.date.fromisoformat(born),
        gender=Gender(values["gender"]),
        postcode=None if address is None else address["postcode"],
        address_line_1=None if address is None else address["line_1"],
        nhs_number=values["nhs_number"],
        upn=values["upn"],
        carers=[(carer["given_name"], carer["family_name"]) for carer in values["carers"]],
    )


def insert_keys(session: Session, rows: Sequence[tuple[int, int]]) -> None:
    """(key hash, source record id) rows, straight through the driver: a load writes many."""
    insert_tuples(session, LinkageKey.__tablename__, ("key_hash", "source_record_id"), rows)


def index_rows(records: Iterable[tuple[int, LinkageRecord]]) -> list[tuple[int, int]]:
    """The index rows of these (source record id, linkage record) pairs."""
    return [
        (key, source_record_id)
        for source_record_id, record in records
        for key in hashed_keys(record)
    ]


def forget_records(session: Session, source_record_ids: Sequence[int]) -> None:
    """Ended records are no longer candidates."""
    if source_record_ids:
        session.execute(
            delete(LinkageKey).where(
                one_of(session, LinkageKey.source_record_id, list(source_record_ids))
            )
        )


class IndexOutOfDateError(Exception):
    """The index holds another release's blocking keys: loads would miss candidates."""


def require_current_keys(session: Session) -> LinkageIndexState:
    """Refuse to link against an index made with other keys (see ``KEYS_VERSION``).

    An index with nothing in it is simply marked as this release's. Returns the
    index's state row.
    """
    state = session.get(LinkageIndexState, 1)
    if state is not None and state.keys_version == KEYS_VERSION:
        return state
    if session.scalar(select(LinkageKey.key_hash).limit(1)) is None:
        return _mark_current(session, state)
    held = "keys of unknown age" if state is None or not state.keys_version else (
        f"the keys of version {state.keys_version}"
    )  # fmt: skip
    raise IndexOutOfDateError(
        f"the linkage index holds {held}, and this release links with version"
        f" {KEYS_VERSION}: run `contactpoint linkage reindex` once before loading,"
        " or new records would miss children they match"
    )


def _mark_current(session: Session, state: LinkageIndexState | None) -> LinkageIndexState:
    if state is None:
        state = LinkageIndexState(id=1)
        session.add(state)
    state.keys_version = KEYS_VERSION
    state.rebuilt_at = dt.datetime.now(dt.UTC)
    session.flush()
    return state


def rebuild_index(
    session: Session, *, progress: Callable[[int], None] | None = None
) -> tuple[int, int]:
    """Every live child record's keys made again; (records, keys) written.

    Runs in the caller's transaction: until it commits, loads and searches see
    the index as it was. The index is then marked as holding this release's keys.
    """
    _mark_current(session, session.get(LinkageIndexState, 1))
    session.execute(delete(LinkageKey))
    live = (
        select(SourceRecord.id, SourceRecord.payload)
        .where(
            SourceRecord.feed == Feed.CHILDREN,
            SourceRecord.status == SourceRecordStatus.LIVE,
            SourceRecord.child_id.is_not(None),
            SourceRecord.payload.is_not(None),
        )
        .order_by(SourceRecord.id)
        .execution_options(yield_per=REBUILD_BATCH)
    )
    records = keys = 0
    for batch in session.execute(live).partitions():
        rows = index_rows((record_id, record_from_payload(text or "")) for record_id, text in batch)
        insert_keys(session, rows)
        records, keys = records + len(batch), keys + len(rows)
        if progress is not None:
            progress(len(batch))
    return records, keys


def live_child_records(session: Session) -> int:
    """How many live child records the directory holds (a scan of every source record)."""
    statement = select(func.count()).where(
        SourceRecord.feed == Feed.CHILDREN, SourceRecord.status == SourceRecordStatus.LIVE
    )
    return session.scalar(statement) or 0


# How long a count of the live child records serves small batches, and how small they are.
COUNT_KEPT_FOR: Final = dt.timedelta(hours=1)
SMALL_BATCH: Final = 100


def keep_directory_size(session: Session) -> None:
    """Count the live child records again and keep the count for small batches: after a
    load that added or ended many (its first chunk's count is far behind by then, and a
    one-record load in the next hour would take the prior for that size)."""
    state = session.get(LinkageIndexState, 1)
    if state is not None:
        state.live_records, state.counted_at = live_child_records(session), dt.datetime.now(dt.UTC)


def directory_size(session: Session, *, arrivals: int) -> int:
    """The live child records, for the linkage model's prior, as a batch of ``arrivals`` starts.

    Counting reads every source record (about half a second at a million
    children, more than linking one record takes), so a small batch (fewer than
    ``SMALL_BATCH`` new records: a one-record load through the API) uses the
    count kept in ``linkage_index_state`` when it was taken in the last hour. A
    larger batch, or a count older than that, counts again and keeps the count
    (in the caller's transaction). The kept count can be behind by what small
    batches added since; the prior moves by one bit only when the directory
    doubles, so it serves.
    """
    state = session.get(LinkageIndexState, 1)
    now = dt.datetime.now(dt.UTC)
    if (
        arrivals < SMALL_BATCH
        and state is not None
        and state.live_records is not None
        and state.counted_at is not None
        and now - state.counted_at < COUNT_KEPT_FOR
    ):
        return state.live_records
    records = live_child_records(session)
    if state is not None:  # none before the first load marks the index
        state.live_records, state.counted_at = records, now
    return records
