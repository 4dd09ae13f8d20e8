"""Appending to the audit trail, verifying it, signing checkpoints, redacting details.

Concurrency: the chain is one line, so appending is serialised on the chain's
head from the moment :func:`record` runs until the caller's transaction ends.
PostgreSQL: a transaction-scoped advisory lock, taken before the head is read;
under READ COMMITTED (the default, and required) the read that follows sees the
event the previous holder committed. SQLite: a write that changes nothing but
takes the database's single write lock before the head is read (a deferred
``BEGIN`` that reads and then writes could otherwise fail at once with
SQLITE_BUSY instead of waiting its turn). On SQLite that holds only when the
transaction has not read before it records; one that has may still fail with
"database is locked" under concurrent writers, as any SQLite read-then-write does.
Behind both, the primary key on ``sequence`` and the UNIQUE ``previous_hash``
make a fork impossible in the database itself.

Because the lock is held until commit, record the audit event late in the
transaction it belongs to, and keep that transaction short.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import secrets
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Result, Row, Select, delete, insert, inspect, select, text
from sqlalchemy.orm import Session

from contactpoint.audit.checkpoints import SignedCheckpoint, check_signature, sign_checkpoint
from contactpoint.audit.errors import AuditError, EmptyTrailError, TrailNotIntactError
from contactpoint.audit.events import (
    WITHHELD,
    Actor,
    AuditEvent,
    EventType,
    details_redacted_event,
)
from contactpoint.audit.models import AuditEventDetails, AuditEventRow
from contactpoint.audit.rules import (
    GENESIS_HASH,
    SALT_BYTES,
    canonical_json,
    chain_hash,
    details_digest,
)
from contactpoint.storage.models import table_of, utcnow
from contactpoint.storage.queries import add_written

__all__ = [
    "Problem",
    "VerificationResult",
    "make_checkpoint",
    "pending_changes",
    "record",
    "redact_details",
    "verify",
]

# Any fixed 64-bit number no other code uses as an advisory lock: "cpaudit" in ASCII.
_POSTGRES_CHAIN_LOCK: Final = 0x63706175646974
# Every audited action runs one of these, so each is built once, here.
_POSTGRES_LOCK: Final = text("SELECT pg_advisory_xact_lock(:key)")
# An UPDATE that matches no row fires no trigger but takes SQLite's write lock.
_SQLITE_CHAIN_LOCK: Final = text("UPDATE audit_event SET sequence = sequence WHERE 0 = 1")
_BATCH: Final = 1000


@dataclass(frozen=True)
class _Head:
    sequence: int
    hash: str


def _lock_chain(session: Session) -> None:
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(_POSTGRES_LOCK, {"key": _POSTGRES_CHAIN_LOCK})
    else:
        connection.execute(_SQLITE_CHAIN_LOCK)


def _head(session: Session) -> _Head | None:
    found = session.execute(_head_statement()).first()
    return None if found is None else _Head(found.sequence, found.hash)


@functools.cache
def _head_statement() -> Select[int, str]:
    return (
        select(AuditEventRow.sequence, AuditEventRow.hash)
        .order_by(AuditEventRow.sequence.desc())
        .limit(1)
    )


def _chained_columns(
    event: AuditEvent, *, sequence: int, previous_hash: str, occurred_at: dt.datetime, digest: str
) -> dict[str, Any]:
    actor, subject = event.actor, event.subject
    return {
        "sequence": sequence,
        "occurred_at": occurred_at.astimezone(dt.UTC),
        "event_type": event.event_type,
        "outcome": event.outcome,
        "actor_kind": actor.kind,
        "actor_user_id": actor.user_id,
        "actor_label": actor.label,
        "actor_role": actor.role,
        "actor_organisation_id": actor.organisation_id,
        "actor_address": actor.address,
        "session_ref": actor.session_ref,
        "subject_kind": None if subject is None else subject.kind,
        "subject_ref": None if subject is None else subject.ref,
        "details_digest": digest,
        "previous_hash": previous_hash,
    }


def record(
    session: Session, event: AuditEvent, *, occurred_at: dt.datetime | None = None
) -> AuditEventRow:
    """Append ``event`` to the trail inside the caller's transaction (both commit, or neither).

    ``occurred_at`` defaults to now; the chain's order, not the clock, is authoritative.
    """
    if occurred_at is not None and occurred_at.tzinfo is None:
        raise ValueError("naive datetimes are refused: pass an aware UTC datetime")
    _lock_chain(session)
    head = _head(session)
    salt = secrets.token_hex(SALT_BYTES)
    details = canonical_json(event.details)
    columns = _chained_columns(
        event,
        sequence=1 if head is None else head.sequence + 1,
        previous_hash=GENESIS_HASH if head is None else head.hash,
        occurred_at=occurred_at or utcnow(),
        digest=details_digest(salt=salt, details=details),
    )
    # Written at once, the event before its details (which refer to it), without the
    # unit of work's flushes: an event is recorded on every search, view and load.
    row = add_written(session, AuditEventRow, {**columns, "hash": chain_hash(columns)})
    kept = {"sequence": row.sequence, "salt": salt, "details": details}
    session.execute(insert(table_of(AuditEventDetails)), kept)
    return row


def pending_changes(
    instance: object, *, withheld: Collection[str] = ()
) -> dict[str, tuple[object, object]]:
    """The old and new value of every changed column of an object, before it is flushed.

    An old value that was never loaded is loaded now. Fields in ``withheld``
    (secrets such as password hashes) are recorded as changed, without their values.
    """
    state = inspect(instance)
    changes: dict[str, tuple[object, object]] = {}
    for attribute in state.mapper.column_attrs:
        history = state.attrs[attribute.key].load_history()
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else old
        if old != new:
            changes[attribute.key] = (
                (WITHHELD, WITHHELD) if attribute.key in withheld else (old, new)
            )
    return changes


def redact_details(
    session: Session, *, sequences: Sequence[int], actor: Actor, reason: str
) -> AuditEventRow:
    """Delete the details (search terms, reasons, values) of these events, and say so.

    The chain still verifies: it covers only the details' salted digest, and the
    ``details_redacted`` event recorded here accounts for the deletion.
    """
    wanted = sorted(set(sequences))
    if not wanted:
        raise AuditError("name at least one event whose details to redact")
    _lock_chain(session)
    found = dict(
        session.execute(
            select(AuditEventRow.sequence, AuditEventRow.event_type).where(
                AuditEventRow.sequence.in_(wanted)
            )
        ).all()
    )
    missing = [sequence for sequence in wanted if sequence not in found]
    if missing:
        raise AuditError(f"the trail holds no event {missing[0]}")
    if EventType.DETAILS_REDACTED in found.values():
        raise AuditError("a redaction's own details are never redacted")
    session.execute(delete(AuditEventDetails).where(AuditEventDetails.sequence.in_(wanted)))
    return record(session, details_redacted_event(actor, sequences=wanted, reason=reason))


@dataclass(frozen=True)
class Problem:
    """The first event that is not as it was recorded, and why."""

    sequence: int
    reason: str

    def __str__(self) -> str:
        return f"event {self.sequence}: {self.reason}"


@dataclass(frozen=True)
class VerificationResult:
    events: int  # events checked
    last_sequence: int
    last_hash: str
    problem: Problem | None = None
    redacted: int = 0  # events whose details a recorded redaction removed
    checkpoints: int = 0  # signed checkpoints the trail matched

    @property
    def intact(self) -> bool:
        return self.problem is None


@dataclass
class _Walk:
    """The state of a walk along the chain, one event at a time."""

    vouched: Mapping[int, SignedCheckpoint]
    recorded_redactions: Callable[[], Collection[int]]
    events: int = 0
    previous_hash: str = GENESIS_HASH
    redacted: int = 0
    matched: set[int] = field(default_factory=set)

    @property
    def expected(self) -> int:
        return self.events + 1

    def step(self, row: Row[Any]) -> Problem | None:
        columns = row._asdict()
        problem = (
            self._gap(columns["sequence"])
            or self._link(columns["sequence"], columns["previous_hash"])
            or self._contents(columns)
            or self._details(columns)
            or self._checkpoint(columns["sequence"], columns["hash"])
        )
        if problem is None:
            self.events += 1
            self.previous_hash = columns["hash"]
        return problem

    def _gap(self, sequence: int) -> Problem | None:
        if sequence == self.expected:
            return None
        return Problem(
            self.expected,
            f"it is missing: the trail goes from event {self.events} to event {sequence} "
            "(deleted or renumbered)",
        )

    def _link(self, sequence: int, previous_hash: str) -> Problem | None:
        if previous_hash == self.previous_hash:
            return None
        before = "the start of the trail" if sequence == 1 else f"event {sequence - 1}"
        return Problem(
            sequence,
            f"it does not follow {before}: its previous hash is not {before}'s hash "
            "(an event was changed, replaced or moved)",
        )

    def _contents(self, columns: Mapping[str, Any]) -> Problem | None:
        if chain_hash(columns) == columns["hash"]:
            return None
        return Problem(columns["sequence"], "its contents do not match its hash: it was edited")

    def _details(self, columns: Mapping[str, Any]) -> Problem | None:
        sequence = columns["sequence"]
        if columns["salt"] is None:
            if sequence in self.recorded_redactions():
                self.redacted += 1
                return None
            return Problem(sequence, "its details were deleted and no redaction event says so")
        digest = details_digest(salt=columns["salt"], details=columns["details"])
        if digest == columns["details_digest"]:
            return None
        return Problem(sequence, "its details do not match their digest: they were edited")

    def _checkpoint(self, sequence: int, event_hash: str) -> Problem | None:
        checkpoint = self.vouched.get(sequence)
        if checkpoint is None:
            return None
        if checkpoint.hash == event_hash:
            self.matched.add(sequence)
            return None
        return Problem(
            sequence,
            f"it is not the event the checkpoint signed at {checkpoint.signed_at:%Y-%m-%d %H:%M} "
            f"UTC vouches for: the trail was rewritten at or before event {sequence}",
        )

    def result(self, problem: Problem | None = None) -> VerificationResult:
        if problem is None:
            problem = self._beyond_the_end()
        return VerificationResult(
            events=self.events,
            last_sequence=self.events,
            last_hash=self.previous_hash,
            problem=problem,
            redacted=self.redacted,
            checkpoints=len(self.matched),
        )

    def _beyond_the_end(self) -> Problem | None:
        beyond = sorted(sequence for sequence in self.vouched if sequence > self.events)
        if not beyond:
            return None
        return Problem(
            self.expected,
            f"it is missing: the trail ends at event {self.events} but a signed checkpoint "
            f"vouches for event {beyond[0]} (events were deleted from the end)",
        )


def _redactions(session: Session) -> set[int]:
    """Sequences whose details a recorded ``details_redacted`` event says it removed."""
    found = session.execute(
        select(AuditEventRow.sequence, AuditEventDetails.details)
        .join(AuditEventDetails, AuditEventDetails.sequence == AuditEventRow.sequence)
        .where(AuditEventRow.event_type == EventType.DETAILS_REDACTED)
    )
    redacted: set[int] = set()
    for redaction, details in found:
        try:
            listed = json.loads(details)["sequences"]
        except (ValueError, KeyError, TypeError):
            continue  # tampered: the walk reports its digest
        redacted.update(s for s in listed if isinstance(s, int) and s < redaction)
    return redacted


def _chain(session: Session, *, through: int | None) -> Result[Any]:
    """Every event with its details, in order, fetched in batches (close it when done)."""
    query = (
        select(AuditEventRow.__table__, AuditEventDetails.salt, AuditEventDetails.details)
        .outerjoin(AuditEventDetails, AuditEventDetails.sequence == AuditEventRow.sequence)
        .order_by(AuditEventRow.sequence)
        .execution_options(yield_per=_BATCH)
    )
    if through is not None:
        query = query.where(AuditEventRow.sequence <= through)
    return session.execute(query)


def _check_signatures(
    checkpoints: Sequence[SignedCheckpoint], public_key: Ed25519PublicKey | None
) -> None:
    if not checkpoints:
        return
    if public_key is None:
        raise AuditError("checking a signed checkpoint needs the signer's public key")
    for checkpoint in checkpoints:
        check_signature(checkpoint, public_key)


def verify(
    session: Session,
    *,
    checkpoints: Sequence[SignedCheckpoint] = (),
    public_key: Ed25519PublicKey | None = None,
    through: int | None = None,
) -> VerificationResult:
    """Walk the trail in order and name the first event that is not as recorded.

    Finds edited, deleted, reordered and inserted events, and details deleted with
    no redaction. An attacker who rewrites an event and recomputes every later
    hash is found only against a signed checkpoint (with the signer's public key)
    taken before the rewrite. Raises :class:`CheckpointError` for a checkpoint that
    is altered or signed by another key.
    """
    _check_signatures(checkpoints, public_key)
    # Read the redactions only when needed, and after the walk began: a redaction
    # committed meanwhile is then seen with the deletion it explains.
    redactions = functools.cache(lambda: _redactions(session))
    walk = _Walk({c.sequence: c for c in checkpoints}, redactions)
    with closing(_chain(session, through=through)) as rows:
        for row in rows:
            problem = walk.step(row)
            if problem is not None:
                return walk.result(problem)
    return walk.result()


def make_checkpoint(
    session: Session, private_key: Ed25519PrivateKey, *, signed_at: dt.datetime | None = None
) -> SignedCheckpoint:
    """Sign the trail's current last event, having verified every event up to it."""
    head = _head(session)
    if head is None:
        raise EmptyTrailError("the audit trail is empty: there is nothing to sign yet")
    result = verify(session, through=head.sequence)
    if result.problem is not None:
        raise TrailNotIntactError(
            f"refusing to sign an audit trail that is not intact: {result.problem}"
        )
    return sign_checkpoint(
        private_key, sequence=head.sequence, chain_hash=head.hash, signed_at=signed_at or utcnow()
    )
