"""Typed audit events: who did what to which subject, when, and with what outcome.

An event names people and organisations by identifier only: a user by user id and
role, an organisation by its id, a child by ContactPoint ID. The one kind of
personal data the trail keeps on purpose is in an event's *details*: the terms of
every search (the issue requires them), the reason a user gave for opening a
record, and the old and new values of a change. Details are stored apart from the
chained columns and covered by a salted digest (see :mod:`contactpoint.audit.rules`),
so when a child's record is destroyed the retention domain can redact those
details with :func:`contactpoint.audit.services.redact_details` and the chain
still verifies.

Build events with the constructors below (``search_event``, ``record_view_event``,
...) and append them with :func:`contactpoint.audit.services.record`.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from contactpoint.audit.rules import JsonValue, canonical_json
from contactpoint.identifiers.contactpoint_id import normalise_contactpoint_id

__all__ = [
    "Actor",
    "ActorKind",
    "AuditEvent",
    "EventType",
    "Outcome",
    "Subject",
    "SubjectKind",
    "access_denied_event",
    "admin_action_event",
    "checkpoint_signed_event",
    "details_redacted_event",
    "export_event",
    "housekeeping_event",
    "plain_value",
    "reauthentication_required_event",
    "record_change_event",
    "record_view_event",
    "search_event",
    "second_factor_set_up_event",
    "shield_override_event",
    "sign_in_event",
    "sign_out_event",
    "trail_verified_event",
]

_CODE: Final = re.compile(r"[a-z][a-z0-9_]{0,63}")
_PERMISSION: Final = re.compile(r"[a-z][a-z0-9_.:-]{0,99}")
LABEL_LENGTH: Final = 100
ROLE_LENGTH: Final = 64
REF_LENGTH: Final = 64
ADDRESS_LENGTH: Final = 45  # the longest textual IPv6 address
REASON_LENGTH: Final = 1000
WITHHELD: Final = "[withheld]"


class EventType(enum.StrEnum):
    """What happened. Kept sorted; adding one needs a migration (a CHECK constraint)."""

    ACCESS_DENIED = "access_denied"
    ADMIN_ACTION = "admin_action"
    CHECKPOINT_SIGNED = "checkpoint_signed"
    DETAILS_REDACTED = "details_redacted"
    EXPORT = "export"
    RECORD_CHANGE = "record_change"
    RECORD_VIEW = "record_view"
    SEARCH = "search"
    SECOND_FACTOR_SET_UP = "second_factor_set_up"
    SHIELD_OVERRIDE = "shield_override"
    SIGN_IN = "sign_in"
    SIGN_OUT = "sign_out"
    TRAIL_VERIFIED = "trail_verified"


class Outcome(enum.StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"


class ActorKind(enum.StrEnum):
    USER = "user"  # a signed-in member of staff
    OPERATOR = "operator"  # someone at the server's command line (an OS user)
    SERVICE = "service"  # the system itself, or a connected system with an API token
    ANONYMOUS = "anonymous"  # not signed in (a failed sign-in for no known account)


class SubjectKind(enum.StrEnum):
    CHILD = "child"  # ref: the ContactPoint ID
    USER = "user"  # ref: the user id
    ORGANISATION = "organisation"  # ref: the organisation id
    AUDIT_TRAIL = "audit_trail"  # ref: a sequence number, or none for the whole trail


def _checked_text(value: str | None, *, what: str, length: int) -> str | None:
    if value is not None and not (0 < len(value) <= length):
        raise ValueError(f"{what} must be 1 to {length} characters, not {len(value)}")
    return value


def _checked_code(value: str, *, what: str, pattern: re.Pattern[str] = _CODE) -> str:
    """Codes (reasons, actions, permissions) keep free text, and so names, out of events."""
    if not pattern.fullmatch(value):
        raise ValueError(f"{what} must be a code like 'wrong_password', not {value!r}")
    return value


@dataclass(frozen=True)
class Actor:
    """Who acted: identifiers only, never a person's name.

    ``session_ref`` links the events of one session; pass a digest of the session
    id, never the session token itself (ASVS 16.2.5). ``address`` is the client's
    IP address where there is one.
    """

    kind: ActorKind
    user_id: int | None = None
    label: str | None = None
    role: str | None = None
    organisation_id: int | None = None
    session_ref: str | None = None
    address: str | None = None

    def __post_init__(self) -> None:
        if self.kind is ActorKind.USER and self.user_id is None:
            raise ValueError("a user actor needs a user id")
        _checked_text(self.label, what="an actor's label", length=LABEL_LENGTH)
        _checked_text(self.role, what="an actor's role", length=ROLE_LENGTH)
        _checked_text(self.session_ref, what="a session reference", length=REF_LENGTH)
        _checked_text(self.address, what="an address", length=ADDRESS_LENGTH)

    @classmethod
    def user(
        cls,
        user_id: int,
        *,
        role: str,
        organisation_id: int | None,
        session_ref: str | None = None,
        address: str | None = None,
    ) -> Actor:
        return cls(
            ActorKind.USER,
            user_id=user_id,
            role=role,
            organisation_id=organisation_id,
            session_ref=session_ref,
            address=address,
        )

    @classmethod
    def operator(cls, os_user: str) -> Actor:
        """Someone at the server's command line, known by their operating-system account."""
        return cls(ActorKind.OPERATOR, label=os_user)

    @classmethod
    def service(cls, label: str) -> Actor:
        return cls(ActorKind.SERVICE, label=label)

    @classmethod
    def anonymous(cls, *, address: str | None = None) -> Actor:
        return cls(ActorKind.ANONYMOUS, address=address)


@dataclass(frozen=True)
class Subject:
    """What an event is about, by identifier: a child's ContactPoint ID, a user's id..."""

    kind: SubjectKind
    ref: str | None = None

    def __post_init__(self) -> None:
        _checked_text(self.ref, what="a subject reference", length=REF_LENGTH)

    @classmethod
    def child(cls, contactpoint_id: str) -> Subject:
        return cls(SubjectKind.CHILD, normalise_contactpoint_id(contactpoint_id))

    @classmethod
    def user(cls, user_id: int) -> Subject:
        return cls(SubjectKind.USER, str(user_id))

    @classmethod
    def organisation(cls, organisation_id: int) -> Subject:
        return cls(SubjectKind.ORGANISATION, str(organisation_id))

    @classmethod
    def audit_trail(cls, sequence: int | None = None) -> Subject:
        return cls(SubjectKind.AUDIT_TRAIL, None if sequence is None else str(sequence))


@dataclass(frozen=True)
class AuditEvent:
    """An event not yet in the trail; :func:`services.record` appends it."""

    event_type: EventType
    actor: Actor
    outcome: Outcome = Outcome.SUCCESS
    subject: Subject | None = None
    details: Mapping[str, JsonValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        canonical_json(self.details)  # refuse anything JSON cannot hold, here, where the bug is


def plain_value(value: object) -> JsonValue:
    """A value as the trail keeps it: dates as ISO text, enums as their value."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return plain_value(value.value)
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    raise TypeError(f"the audit trail cannot keep a {type(value).__name__}: pass a plain value")


def _contactpoint_ids(values: Sequence[str]) -> list[JsonValue]:
    return [normalise_contactpoint_id(value) for value in values]


def _reason(reason: str) -> str:
    stripped = reason.strip()
    if not stripped:
        raise ValueError("a reason is required")
    return _checked_text(stripped, what="a reason", length=REASON_LENGTH) or stripped


def _changes(changes: Mapping[str, tuple[object, object]]) -> dict[str, JsonValue]:
    return {
        name: {"old": plain_value(old), "new": plain_value(new)}
        for name, (old, new) in changes.items()
    }


def sign_in_event(
    actor: Actor, *, outcome: Outcome = Outcome.SUCCESS, method: str, failure: str | None = None
) -> AuditEvent:
    """A sign-in attempt; ``method`` like ``password_totp``, ``failure`` like ``wrong_password``.

    A failed attempt for an unknown account has an anonymous actor: the typed
    username is never kept (it is often a mistyped password).
    """
    details: dict[str, JsonValue] = {"method": _checked_code(method, what="a sign-in method")}
    if failure is not None:
        details["failure"] = _checked_code(failure, what="a sign-in failure")
    return AuditEvent(EventType.SIGN_IN, actor, outcome=outcome, details=details)


def sign_out_event(actor: Actor, *, cause: str = "user") -> AuditEvent:
    """``cause``: ``user`` (signed out), ``idle_timeout``, ``absolute_timeout``, ``revoked``."""
    details: dict[str, JsonValue] = {"cause": _checked_code(cause, what="a sign-out cause")}
    return AuditEvent(EventType.SIGN_OUT, actor, details=details)


def second_factor_set_up_event(
    actor: Actor, *, method: str, subject: Subject | None = None
) -> AuditEvent:
    """A second factor set up (``totp``, ``webauthn``); ``subject`` when set up for another user."""
    details: dict[str, JsonValue] = {"method": _checked_code(method, what="a second factor")}
    return AuditEvent(EventType.SECOND_FACTOR_SET_UP, actor, subject=subject, details=details)


def search_event(
    actor: Actor,
    *,
    terms: Mapping[str, object],
    results: Sequence[str],
    too_many_matches: bool = False,
) -> AuditEvent:
    """A search: its terms (personal data, kept by design) and every ContactPoint ID shown."""
    details: dict[str, JsonValue] = {
        "terms": {name: plain_value(value) for name, value in terms.items()},
        "results": _contactpoint_ids(results),
        "too_many_matches": too_many_matches,
    }
    return AuditEvent(EventType.SEARCH, actor, details=details)


def record_view_event(actor: Actor, *, contactpoint_id: str, reason: str) -> AuditEvent:
    """A child's record opened, with the reason the user gave."""
    return AuditEvent(
        EventType.RECORD_VIEW,
        actor,
        subject=Subject.child(contactpoint_id),
        details={"reason": _reason(reason)},
    )


def record_change_event(
    actor: Actor, *, subject: Subject, changes: Mapping[str, tuple[object, object]]
) -> AuditEvent:
    """A change, field by field: ``{"postcode": ("OX2 6GG", "OX4 1AA")}``.

    Use :func:`services.pending_changes` to take them from SQLAlchemy's history.
    """
    if not changes:
        raise ValueError("a change event needs at least one changed field")
    return AuditEvent(
        EventType.RECORD_CHANGE, actor, subject=subject, details={"changes": _changes(changes)}
    )


def export_event(
    actor: Actor,
    *,
    export: str,
    rows: int,
    filters: Mapping[str, object] | None = None,
    contactpoint_ids: Sequence[str] = (),
    subject: Subject | None = None,
) -> AuditEvent:
    """Data leaving the system: a report, a download, a subject access export..."""
    details: dict[str, JsonValue] = {
        "export": _checked_code(export, what="an export"),
        "rows": rows,
        "filters": {name: plain_value(value) for name, value in (filters or {}).items()},
    }
    if contactpoint_ids:
        details["contactpoint_ids"] = _contactpoint_ids(contactpoint_ids)
    return AuditEvent(EventType.EXPORT, actor, subject=subject, details=details)


def shield_override_event(actor: Actor, *, contactpoint_id: str, reason: str) -> AuditEvent:
    """A shielded child's hidden details shown to a user with the override right."""
    return AuditEvent(
        EventType.SHIELD_OVERRIDE,
        actor,
        subject=Subject.child(contactpoint_id),
        details={"reason": _reason(reason)},
    )


def admin_action_event(
    actor: Actor,
    *,
    action: str,
    subject: Subject | None,
    changes: Mapping[str, tuple[object, object]] | None = None,
    outcome: Outcome = Outcome.SUCCESS,
) -> AuditEvent:
    """An administrative action (``suspend_user``, ``grant_role``, ``shield_child``...)."""
    details: dict[str, JsonValue] = {"action": _checked_code(action, what="an action")}
    if changes:
        details["changes"] = _changes(changes)
    return AuditEvent(
        EventType.ADMIN_ACTION, actor, outcome=outcome, subject=subject, details=details
    )


def housekeeping_event(actor: Actor, *, deleted: Mapping[str, int]) -> AuditEvent:
    """Records past their retention deleted (``pending_sign_ins``: 12...): counts only.

    Never about the audit trail itself, which is append-only.
    """
    counts: dict[str, JsonValue] = {
        _checked_code(name, what="a kind of record"): count for name, count in deleted.items()
    }
    details: dict[str, JsonValue] = {"action": "purge_expired", "deleted": counts}
    return AuditEvent(EventType.ADMIN_ACTION, actor, details=details)


def access_denied_event(
    actor: Actor, *, permission: str, route: str | None = None, subject: Subject | None = None
) -> AuditEvent:
    """Access refused. ``route`` is the route's template (``/children/{cpid}``), never a
    URL with its query string, which can hold search terms."""
    details: dict[str, JsonValue] = {
        "permission": _checked_code(permission, what="a permission", pattern=_PERMISSION)
    }
    if route is not None:
        if "?" in route:
            raise ValueError("pass the route's template, not a URL with a query string")
        details["route"] = route
    return AuditEvent(
        EventType.ACCESS_DENIED, actor, outcome=Outcome.DENIED, subject=subject, details=details
    )


def reauthentication_required_event(
    actor: Actor, *, permission: str, route: str | None = None
) -> AuditEvent:
    """A high-risk page asked its user to confirm who they are before it is shown.

    Not an ``access_denied``: the user holds the permission, and reports of denied
    access must not fill up with these prompts. It is the first step of a
    re-authentication, so it is a ``sign_in`` event (``method`` ``reauthenticate``,
    outcome ``denied`` until confirmed), followed by the ``reauthenticate_totp`` or
    ``reauthenticate_passkey`` attempt. A new event type would need a migration of
    the append-only table's CHECK constraint.
    """
    details: dict[str, JsonValue] = {
        "method": "reauthenticate",
        "failure": "reauthentication_required",
        "permission": _checked_code(permission, what="a permission", pattern=_PERMISSION),
    }
    if route is not None:
        if "?" in route:
            raise ValueError("pass the route's template, not a URL with a query string")
        details["route"] = route
    return AuditEvent(EventType.SIGN_IN, actor, outcome=Outcome.DENIED, details=details)


def checkpoint_signed_event(
    actor: Actor, *, sequence: int, chain_hash: str, key_id: str
) -> AuditEvent:
    details: dict[str, JsonValue] = {"sequence": sequence, "hash": chain_hash, "key_id": key_id}
    return AuditEvent(
        EventType.CHECKPOINT_SIGNED, actor, subject=Subject.audit_trail(sequence), details=details
    )


def trail_verified_event(
    actor: Actor, *, intact: bool, events: int, problem_at: int | None, checkpoints: int
) -> AuditEvent:
    details: dict[str, JsonValue] = {
        "events": events,
        "problem_at": problem_at,
        "checkpoints": checkpoints,
    }
    outcome = Outcome.SUCCESS if intact else Outcome.FAILURE
    return AuditEvent(
        EventType.TRAIL_VERIFIED,
        actor,
        outcome=outcome,
        subject=Subject.audit_trail(),
        details=details,
    )


def details_redacted_event(actor: Actor, *, sequences: Sequence[int], reason: str) -> AuditEvent:
    """The details of these events were removed (personal data past its retention)."""
    redacted: list[JsonValue] = [*sorted(set(sequences))]
    details: dict[str, JsonValue] = {
        "sequences": redacted,
        "reason": _checked_code(reason, what="a redaction reason"),
    }
    return AuditEvent(
        EventType.DETAILS_REDACTED, actor, subject=Subject.audit_trail(), details=details
    )


def feed_load_event(
    actor: Actor,
    *,
    source: str,
    load_id: int,
    outcome: Outcome,
    details: Mapping[str, object],
) -> AuditEvent:
    """A load of a source's extract: which load, and its counts (never a row's contents)."""
    return AuditEvent(
        EventType.ADMIN_ACTION,
        actor,
        outcome=outcome,
        details={
            "action": "load_extract",
            "source": _checked_code(source, what="a source name"),
            "load_id": load_id,
            **{name: plain_value(value) for name, value in details.items()},
        },
    )
