"""Shields as linkage sees them: which children are shielded, and who may see their details.

One lookup of the open shields (:func:`open_shields`), one rule for the shields that
guard a new identity (:func:`is_new_identity`, :func:`outranks`) and one decision on
who may see a shielded child's hidden details (:func:`may_see_shielded`,
:func:`require_shield_views`). The loader, the re-link report, the review queue and
``contactpoint linkage explain`` all ask here, so that a decision that involves a
shielded child is shown to the same people wherever it is read: those with
``directory:shielded_child:view`` within the shield's council (the council team, and
the operator).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Final

from sqlalchemy import Select, bindparam, select

from contactpoint.access.permissions import Permission
from contactpoint.access.policy import Target, decide, require
from contactpoint.directory.models import Shield
from contactpoint.vocabulary import ShieldReason

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlalchemy.orm import Session

    from contactpoint.access.policy import Decision, Principal

__all__ = [
    "NEW_IDENTITY_REASONS",
    "is_new_identity",
    "may_see_shielded",
    "open_shields",
    "outranks",
    "require_shield_views",
]

# Shields that guard a new identity (adoption; protection under a new name): a record of
# the old identity must never join the new one without a person deciding, or the two
# identities would show together, as adopted children's birth and adoptive names did in 2009.
NEW_IDENTITY_REASONS: Final = frozenset(
    {
        ShieldReason.ADOPTION_PLACEMENT,
        ShieldReason.ADOPTION_IDENTITY_LINK,
        ShieldReason.SERIOUS_CRIME,
    }
)
_SHIELDED: Final = Permission.DIRECTORY_SHIELDED_CHILD_VIEW


def open_shields(session: Session, *, children: Iterable[int] | None) -> dict[int, Shield]:
    """The open shield of each of these children that has one; of every child for None."""
    if children is None:
        return {shield.child_id: shield for shield in session.scalars(_every_open_shield())}
    wanted = sorted(set(children))
    if not wanted:
        return {}
    shields = session.scalars(_open_shields_of(), {"children": wanted})
    return {shield.child_id: shield for shield in shields}


def is_new_identity(reason: ShieldReason | None) -> bool:
    """Whether a shield for ``reason`` guards a new identity (no reason: no shield)."""
    return reason in NEW_IDENTITY_REASONS


def outranks(reason: ShieldReason, held: ShieldReason | None) -> bool:
    """Whether a shield for ``reason`` takes the place of ``held`` on a child that comes to
    have both (a merge): any shield outranks none, and a new identity's any other, since
    the child must then be treated as the new identity."""
    return held is None or (is_new_identity(reason) and not is_new_identity(held))


def may_see_shielded(by: Principal | None, shield: Shield) -> Decision:
    """Whether ``by`` may see the hidden details of the child under ``shield``: it needs
    ``directory:shielded_child:view`` within the shield's council."""
    return decide(by, _SHIELDED, target=Target(None, council_id=shield.council_id))


def require_shield_views(session: Session, *, by: Principal, children: Iterable[int]) -> bool:
    """Refuse (``AccessDeniedError``) unless ``by`` may see the hidden details of each
    shielded child of these; whether any of them is shielded."""
    shields = open_shields(session, children=children)
    for child in sorted(shields):
        require(may_see_shielded(by, shields[child]))
    return bool(shields)


@functools.cache
def _open_shields_of() -> Select[Shield]:
    return _every_open_shield().where(Shield.child_id.in_(bindparam("children", expanding=True)))


@functools.cache
def _every_open_shield() -> Select[Shield]:
    return select(Shield).where(Shield.ended_on.is_(None)).order_by(Shield.id)
