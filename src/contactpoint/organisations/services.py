"""Queries on organisations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

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
