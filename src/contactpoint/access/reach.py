"""Which organisations a permission reaches, as a set of ids to filter queries by.

The policy says how far a granted permission extends (:class:`Reach`); this turns
that into organisations, once, for every listing and report that must show only
what is within reach.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from contactpoint.access.policy import Reach, decide
from contactpoint.organisations.services import organisations_in_council

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from contactpoint.access.permissions import Permission
    from contactpoint.access.policy import Principal


def organisations_within_reach(
    session: Session, *, principal: Principal, permission: Permission
) -> frozenset[int] | None:
    """The organisations ``permission`` reaches for ``principal``; None means every one.

    Refused, or reaching only the user's own account, it reaches no organisation.
    """
    decision = decide(principal, permission)
    if not decision.allowed or decision.reach is Reach.SELF:
        return frozenset()
    if decision.reach is Reach.NATIONAL:
        return None
    if decision.reach is Reach.COUNCIL and decision.council_id is not None:
        return organisations_in_council(session, council_id=decision.council_id)
    own = decision.organisation_id
    return frozenset() if own is None else frozenset({own})
