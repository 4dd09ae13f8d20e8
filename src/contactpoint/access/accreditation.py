"""Organisations' accreditation: only staff of accredited organisations may use the directory."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import select

from contactpoint.access import audit_trail
from contactpoint.access.permissions import Permission
from contactpoint.access.policy import decide, require
from contactpoint.organisations.models import AccreditationStatus, Organisation, OrganisationKind

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from contactpoint.access.policy import Principal


def set_accreditation(
    session: Session,
    *,
    by: Principal,
    organisation: Organisation,
    status: AccreditationStatus,
    today: dt.date,
) -> None:
    """Accredit, suspend or return to pending; a suspension stops its users' access at once."""
    require(decide(by, Permission.ACCESS_ORGANISATION_MANAGE))
    before = organisation.accreditation_status
    organisation.accreditation_status = status
    if status is AccreditationStatus.ACCREDITED and before is not status:
        organisation.accredited_on = today
    session.flush()
    audit_trail.organisation_changed(
        session,
        by=by,
        organisation_id=organisation.id,
        action="set_accreditation",
        changes={"accreditation_status": (before, status)},
    )


def add_organisation(
    session: Session,
    *,
    by: Principal,
    kind: OrganisationKind,
    name: str,
    council: Organisation | None = None,
) -> Organisation:
    """A new organisation, pending accreditation."""
    require(decide(by, Permission.ACCESS_ORGANISATION_MANAGE))
    organisation = Organisation(
        kind=kind,
        name=name,
        council_id=None if council is None else council.id,
        accreditation_status=AccreditationStatus.PENDING,
    )
    session.add(organisation)
    session.flush()
    audit_trail.organisation_changed(
        session,
        by=by,
        organisation_id=organisation.id,
        action="add_organisation",
        changes={"kind": (None, kind), "council_id": (None, organisation.council_id)},
    )
    return organisation


def find_organisation(session: Session, *, name: str) -> Organisation | None:
    """The organisation of that exact name, if exactly one has it."""
    found = list(session.scalars(select(Organisation).where(Organisation.name == name).limit(2)))
    return found[0] if len(found) == 1 else None
