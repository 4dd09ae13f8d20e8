"""What the feeds record in the audit trail: sources added and loads, by identifier and count."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contactpoint.access.audit_trail import actor_for
from contactpoint.audit import events
from contactpoint.audit.events import Outcome, Subject
from contactpoint.audit.services import record
from contactpoint.feeds.models import LoadStatus

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from contactpoint.access.policy import Principal
    from contactpoint.feeds.models import FeedLoad
    from contactpoint.provenance.models import Source

LOAD_COUNTS = (
    "rows_read", "inserted", "updated", "unchanged", "ended", "rejected",
    "linked_to_existing", "new_children", "held_for_review",
)  # fmt: skip


def _subject(source: Source) -> Subject | None:
    return None if source.organisation_id is None else Subject.organisation(source.organisation_id)


def source_added(session: Session, *, by: Principal, source: Source) -> None:
    changes = {
        "source": (None, source.name),
        "kind": (None, source.kind.value),
        "trusted_for": (None, source.trusted_for),
    }
    event = events.admin_action_event(
        actor_for(by), action="add_source", subject=_subject(source), changes=changes
    )
    record(session, event)


def load_finished(session: Session, *, by: Principal, load: FeedLoad) -> None:
    """A load completed, refused or undone, with its counts; the rows stay in the directory."""
    details: dict[str, object] = {
        "feed": load.feed.value,
        "mode": load.mode.value,
        "status": load.status.value,
        "extracted_on": load.extracted_on,
        "file_digest": load.file_digest,
        **{name: getattr(load, name) for name in LOAD_COUNTS},
    }
    done = load.status in {LoadStatus.COMPLETED, LoadStatus.UNDONE}  # an undo that succeeded
    outcome = Outcome.SUCCESS if done else Outcome.FAILURE
    event = events.feed_load_event(
        actor_for(by), source=load.source.name, load_id=load.id, outcome=outcome, details=details
    )
    record(session, event)
