"""The review queue: a person decides the matches the model was not sure of, and unmerges.

A record held for review is linked to a provisional new child; its
:class:`~contactpoint.linkage.models.ReviewItem` names the child it may belong to
(the candidate). A council team member sees the evidence side by side
(:func:`review_evidence`) and then:

- accepts (:func:`accept_match`): the provisional child is merged into the
  candidate. Its source records and their values move to the survivor; its link
  decisions stay with the child they were made for, and each of its child records
  gains a ``merged`` decision naming the survivor; the merged-away child
  keeps its row and ContactPoint ID, pointing at the survivor (chains are
  collapsed, so one step always reaches it); a shield of either child ends up on
  the survivor (a new identity's before any other, within one council: a merge that
  would put a child under another council's shield is refused, 409);
- keeps them separate (:func:`reject_match`): both children stay;
- or, for a child merged wrongly (by a person or by the model), splits chosen
  source records off (:func:`split_child`) and learns who viewed the wrongly
  merged child (under its own ID or any ID merged into it), so the council can
  tell them. When the chosen records include every live record a child merged
  into this one brought, they go back to it, revived under its own ContactPoint
  ID (of several such children, the one that brought the most; the others' IDs
  lead to it); otherwise to a new child. Each merged-away ID the split moves is
  audited (``unmerge_child``).

No decision deletes a source record. Every service asks the policy itself
(``linkage:review:work`` within the item's council; the hidden details of a
shielded child need ``directory:shielded_child:view`` within the shield's council)
and records each decision in the audit trail.

This module is the queue's public face; the work is in :mod:`.review_queue` (reading
the queue and the evidence), :mod:`.review_decisions` (accept and reject),
:mod:`.review_splits` (unmerging) and :mod:`.review_items` (what they share).
"""

from __future__ import annotations

from contactpoint.linkage.review_decisions import MatchDecision, accept_match, reject_match
from contactpoint.linkage.review_items import (
    AlreadyDecidedError,
    NoSuchChildError,
    NoSuchReviewItemError,
    ReviewError,
    ShieldConflictError,
)
from contactpoint.linkage.review_queue import (
    QUEUE_PAGE_SIZE,
    Comparison,
    QueueEntry,
    QueuePage,
    ReportedRecord,
    ReviewEvidence,
    child_records,
    review_evidence,
    review_queue,
)
from contactpoint.linkage.review_splits import (
    SplitError,
    SplitResult,
    Viewer,
    child_to_split,
    split_child,
)
from contactpoint.storage.paging import NoSuchPageError

__all__ = [
    "QUEUE_PAGE_SIZE",
    "AlreadyDecidedError",
    "Comparison",
    "MatchDecision",
    "NoSuchChildError",
    "NoSuchPageError",
    "NoSuchReviewItemError",
    "QueueEntry",
    "QueuePage",
    "ReportedRecord",
    "ReviewError",
    "ReviewEvidence",
    "ShieldConflictError",
    "SplitError",
    "SplitResult",
    "Viewer",
    "accept_match",
    "child_records",
    "child_to_split",
    "reject_match",
    "review_evidence",
    "review_queue",
    "split_child",
]
