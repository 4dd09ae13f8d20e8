"""The chain's pure rules: canonical serialisation and the hashes over it. No I/O.

Each event's ``hash`` is SHA-256 over a versioned, canonical JSON serialisation of
every chained column (:data:`CHAINED_COLUMNS`), ``sequence`` and ``previous_hash``
included, so changing, removing or reordering any event breaks the chain from there.

Details (search terms, reasons, old and new values) are not chained directly:
the chain covers ``details_digest``, an HMAC-SHA-256 of the canonical details
keyed with a random per-event salt. The details and their salt live in their own
table; deleting both (a recorded redaction) leaves a digest that verifies the
chain but, without the salt, cannot be tested against guesses of the terms.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import json
import math
from collections.abc import Mapping
from typing import Final, TypeAlias

JsonValue: TypeAlias = str | int | float | bool | list["JsonValue"] | dict[str, "JsonValue"] | None

HASH_LENGTH: Final = 64
GENESIS_HASH: Final = "0" * HASH_LENGTH  # the "previous hash" of the first event
SALT_BYTES: Final = 16
_HASH_VERSION: Final = "contactpoint-audit-event-v1\n"
CHAINED_COLUMNS: Final = (
    "sequence",
    "occurred_at",
    "event_type",
    "outcome",
    "actor_kind",
    "actor_user_id",
    "actor_label",
    "actor_role",
    "actor_organisation_id",
    "actor_address",
    "session_ref",
    "subject_kind",
    "subject_ref",
    "details_digest",
    "previous_hash",
)


def _check_json(value: object, *, where: str = "details") -> None:
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where}: {value} has no JSON form")
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_json(item, where=f"{where}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: keys must be text, not {key!r}")
            _check_json(item, where=f"{where}.{key}")
        return
    raise TypeError(f"{where}: a {type(value).__name__} has no exact JSON form")


def canonical_json(value: object) -> str:
    """One text for one value: sorted keys, no spaces, UTF-8 as is; refuses lossy values."""
    _check_json(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def details_digest(*, salt: str, details: str) -> str:
    return hmac.new(bytes.fromhex(salt), details.encode(), hashlib.sha256).hexdigest()


def _chained_value(value: object) -> JsonValue:
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("a chained timestamp must be timezone-aware")
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if value is None or isinstance(value, str | int):
        return value
    raise TypeError(f"a chained column cannot hold a {type(value).__name__}")


def chained_fields(columns: Mapping[str, object]) -> dict[str, JsonValue]:
    """The chained columns' values as the hash sees them."""
    return {name: _chained_value(columns[name]) for name in CHAINED_COLUMNS}


def chain_hash(columns: Mapping[str, object]) -> str:
    """The hash of an event, from its chained columns (a mapping by column name)."""
    text = _HASH_VERSION + canonical_json(chained_fields(columns))
    return hashlib.sha256(text.encode()).hexdigest()
