"""What the review queue records in the audit trail: decisions and reads, by identifier only.

Children are named by ContactPoint ID, source records and review items by their
ids; never a name, a date of birth or a source's own record key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from contactpoint.access.audit_trail import actor_for
from contactpoint.audit import events
from contactpoint.audit.events import Subject
from contactpoint.audit.services import record

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from contactpoint.access.policy import Principal
    from contactpoint.vocabulary import ShieldReason


def evidence_viewed(
    session: Session, *, by: Principal, item_id: int, contactpoint_ids: list[str]
) -> None:
    """The evidence of a review item shown: a view of each child's record in it."""
    reason = f"Deciding review item {item_id}"
    for contactpoint_id in contactpoint_ids:
        event = events.record_view_event(
            actor_for(by), contactpoint_id=contactpoint_id, reason=reason
        )
        record(session, event)


ShieldChange = tuple["ShieldReason | None", "ShieldReason"]  # reasons before and after


def decisions_explained(
    session: Session, *, by: Principal, contactpoint_ids: set[str], reason: str
) -> None:
    """A record's link decisions shown: a view of each child they involve, with the reason
    given. The events are all made first: a reason they cannot keep records none."""
    made = [
        events.record_view_event(actor_for(by), contactpoint_id=child, reason=reason)
        for child in sorted(contactpoint_ids)
    ]
    for event in made:
        record(session, event)


def match_accepted(
    session: Session,
    *,
    by: Principal,
    item_id: int,
    merged: str,
    survivor: str,
    shield: ShieldChange | None = None,
) -> None:
    """A merge; ``shield``: the survivor's shield changed (a shield carried onto it)."""
    changes: dict[str, tuple[object, object]] = {
        "review_item": (None, item_id),
        "review_status": ("open", "merged"),
        "merged_into": (None, survivor),
    }
    if shield is not None:
        changes["survivor_shield_reason"] = shield
    event = events.admin_action_event(
        actor_for(by), action="accept_match", subject=Subject.child(merged), changes=changes
    )
    record(session, event)


def match_rejected(
    session: Session, *, by: Principal, item_id: int, provisional: str, candidate: str
) -> None:
    changes = {
        "review_item": (None, item_id),
        "review_status": ("open", "kept_separate"),
        "kept_apart_from": (None, candidate),
    }
    event = events.admin_action_event(
        actor_for(by), action="reject_match", subject=Subject.child(provisional), changes=changes
    )
    record(session, event)


def child_split(
    session: Session,
    *,
    by: Principal,
    split_from: str,
    new_child: str,
    records_moved: int,
    shield: ShieldChange | None = None,
) -> None:
    """A split; ``shield``: the shield the child the records went to was given."""
    changes: dict[str, tuple[object, object]] = {
        "split_to": (None, new_child), "records_moved": (None, records_moved)
    }  # fmt: skip
    if shield is not None:
        changes["split_to_shield_reason"] = shield
    event = events.admin_action_event(
        actor_for(by), action="split_child", subject=Subject.child(split_from), changes=changes
    )
    record(session, event)


def child_unmerged(
    session: Session, *, by: Principal, merged: str, split_from: str, leads_to: str | None
) -> None:
    """A merged-away ID a split moved: it led to ``split_from``, now to ``leads_to``
    (none when the child is revived)."""
    changes = {"merged_into": (split_from, leads_to)}
    event = events.admin_action_event(
        actor_for(by), action="unmerge_child", subject=Subject.child(merged), changes=changes
    )
    record(session, event)


def viewers_listed(session: Session, *, by: Principal, contactpoint_id: str, rows: int) -> None:
    """Who viewed a wrongly merged child, shown so the council can tell them: an export."""
    event = events.export_event(
        actor_for(by),
        export="split_viewers",
        rows=rows,
        subject=Subject.child(contactpoint_id),
    )
    record(session, event)
