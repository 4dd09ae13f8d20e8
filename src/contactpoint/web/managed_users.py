"""What the user management pages and API share: finding users and organisations within reach.

A user or organisation outside the caller's reach is ``None``, as for one that does
not exist, so neither the pages nor the API say who exists in another council.
Whether a change may be made, and what is wrong with it, is for the services of
:mod:`contactpoint.access.users` (they ask the policy again); nothing here
re-checks a field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from sqlalchemy import select

from contactpoint.access.links import issue_one_time_link, link_address
from contactpoint.access.models import LinkPurpose, UserAccount
from contactpoint.access.permissions import Permission
from contactpoint.access.policy import Role, access_conditions, decide, may_grant, target_of
from contactpoint.access.reach import organisations_within_reach
from contactpoint.access.users import Vetting, create_user
from contactpoint.organisations.models import Organisation

if TYPE_CHECKING:
    import datetime as dt

    from fastapi import Request
    from sqlalchemy.orm import Session

    from contactpoint.access.links import IssuedLink
    from contactpoint.access.policy import AccessCondition, Principal

RESET_PURPOSES: Final = {
    "password": LinkPurpose.PASSWORD_RESET,
    "second-factor": LinkPurpose.SECOND_FACTOR_RESET,
}


@dataclass(frozen=True, slots=True)
class NewUser:
    """A new user as asked for; the service says what is wrong with it."""

    username: str
    display_name: str
    organisation_id: int | None
    roles: frozenset[Role]
    vetting: Vetting = field(default_factory=Vetting)


def managed_user(session: Session, *, by: Principal, user_id: int) -> UserAccount | None:
    """The user, if within ``by``'s reach; ``None`` for one outside it, as for no one."""
    user = session.get(UserAccount, user_id)
    if user is None:
        return None
    decision = decide(by, Permission.ACCESS_USER_MANAGE, target=target_of(user.organisation))
    return user if decision.allowed else None


def manageable_organisations(session: Session, *, by: Principal) -> list[Organisation]:
    """The organisations whose users ``by`` may manage (their council's area, or all)."""
    reached = organisations_within_reach(
        session, principal=by, permission=Permission.ACCESS_USER_MANAGE
    )
    query = select(Organisation).order_by(Organisation.name, Organisation.id)
    if reached is not None:
        query = query.where(Organisation.id.in_(sorted(reached)))
    return list(session.scalars(query))


def organisation_within_reach(
    session: Session, *, by: Principal, organisation_id: int | None
) -> Organisation | None:
    """The organisation, if ``by`` manages its users; ``None`` otherwise, as for no such one."""
    organisation = None if organisation_id is None else session.get(Organisation, organisation_id)
    if organisation is None:
        return None
    decision = decide(by, Permission.ACCESS_USER_MANAGE, target=target_of(organisation))
    return organisation if decision.allowed else None


def grantable_roles(
    by: Principal, organisation: Organisation | None, *, user_id: int | None = None
) -> list[Role]:
    """The roles ``by`` may give to a user of ``organisation`` (the policy's answer, per role)."""
    if organisation is None:
        return []
    return [
        role
        for role in Role
        if may_grant(by, [role], organisation=organisation, user_id=user_id).allowed
    ]


def create_with_link(
    session: Session, *, by: Principal, new: NewUser, now: dt.datetime
) -> tuple[UserAccount, IssuedLink]:
    """Create the user, with any vetting dates, and a first sign-in link for them.

    Raises :class:`~contactpoint.access.users.UserManagementError` naming each field
    at fault, or :class:`~contactpoint.access.policy.AccessDeniedError`.
    """
    user = create_user(
        session,
        by=by,
        username=new.username,
        display_name=new.display_name,
        organisation=organisation_within_reach(session, by=by, organisation_id=new.organisation_id),
        roles=new.roles,
        vetting=new.vetting,
        now=now,
    )
    link = issue_one_time_link(
        session, by=by, user=user, purpose=LinkPurpose.FIRST_SIGN_IN, now=now
    )
    return user, link


def lapsed_conditions(user: UserAccount, *, today: dt.date) -> list[AccessCondition]:
    return [c.condition for c in access_conditions(user, user.organisation, today=today)]


def link_of(request: Request, issued: IssuedLink) -> str:
    return link_address(request.app.state.settings.public_url, issued.token)
