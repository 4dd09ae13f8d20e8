"""Queries on organisations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import or_, select

from contactpoint.organisations.models import Organisation, OrganisationKind

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def councils(session: Session) -> list[Organisation]:
    """Every council, in the order they were added."""
    return list(
        session.scalars(
            select(Organisation)
            .where(Organisation.kind == OrganisationKind.COUNCIL)
            .order_by(Organisation.id)
        )
    )


def organisations_in_council(session: Session, *, council_id: int) -> frozenset[int]:
    """The council itself and every organisation in its area."""
    return frozenset(
        session.scalars(
            select(Organisation.id).where(
                or_(Organisation.id == council_id, Organisation.council_id == council_id)
            )
        )
    )
