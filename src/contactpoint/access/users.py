"""User management: create, suspend, reinstate, record vetting and training, roles.

Every change takes ``by``, the principal making it, and asks the policy first:
a council's team manages the users of its council's area, national
administrators everyone, the local operator anything; nobody their own account.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from sqlalchemy import select

from contactpoint.access import audit_trail
from contactpoint.access.models import RoleGrant, SessionEndReason, UserAccount
from contactpoint.access.passwords import (
    PasswordPolicyError,
    check_password,
    hash_password,
    require_acceptable_password,
)
from contactpoint.access.permissions import Permission
from contactpoint.access.policy import (
    Principal,
    Reach,
    Role,
    decide,
    may_grant,
    may_manage_user,
    require,
)
from contactpoint.access.sessions import end_all_sessions, end_sessions_acting_as
from contactpoint.access.throttling import normalise_username
from contactpoint.organisations.models import Organisation

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlalchemy.orm import Session

    from contactpoint.access.models import UserSession

USERNAME_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9._@-]{2,63}")


class UserManagementError(ValueError):
    """A change to a user cannot be made; the message says why, for the person making it."""


@dataclass(frozen=True, slots=True)
class Vetting:
    """Dates to record; None leaves a date as it is."""

    training_completed_on: dt.date | None = None
    background_check_on: dt.date | None = None
    agreement_signed_on: dt.date | None = None
    employer_authorised_on: dt.date | None = None


def find_user(session: Session, *, username: str) -> UserAccount | None:
    return session.scalar(
        select(UserAccount).where(UserAccount.username == normalise_username(username))
    )


def valid_username(username: str) -> str:
    """The username as stored (lower case), or :class:`UserManagementError`."""
    normalised = normalise_username(username)
    if not USERNAME_PATTERN.fullmatch(normalised):
        raise UserManagementError(
            "A username must be 3 to 64 characters: letters, digits, and . _ @ - "
            "(starting with a letter or digit)."
        )
    return normalised


def create_user(
    session: Session,
    *,
    by: Principal,
    username: str,
    display_name: str,
    organisation: Organisation,
    roles: Iterable[Role],
    now: dt.datetime,
) -> UserAccount:
    """A new user with no password or second factor yet: issue a first sign-in link next."""
    roles = frozenset(roles)
    require(may_grant(by, roles, organisation=organisation))
    stored_name = valid_username(username)
    if find_user(session, username=stored_name) is not None:
        raise UserManagementError(f"The username {stored_name} is already taken.")
    if not display_name.strip():
        raise UserManagementError("Enter the user's name.")
    user = UserAccount(
        username=stored_name,
        display_name=display_name.strip(),
        organisation=organisation,
        webauthn_user_handle=secrets.token_urlsafe(32),  # random, never the username
        is_child_protection_officer=False,
        created_at=now,
        role_grants=[RoleGrant(role=role, granted_at=now) for role in sorted(roles)],
    )
    session.add(user)
    session.flush()
    changes = {"organisation_id": (None, organisation.id), "roles": (None, _listed(roles))}
    audit_trail.user_changed(session, by=by, user=user, action="create_user", changes=changes)
    return user


def suspend_user(
    session: Session, *, by: Principal, user: UserAccount, reason: str, now: dt.datetime
) -> None:
    """Suspend the account; every session it has ends at once."""
    require(may_manage_user(by, organisation=user.organisation, user_id=user.id))
    if not reason.strip():
        raise UserManagementError("Give the reason for suspending the account.")
    changes = {"suspended_at": (user.suspended_at, now), "suspended_reason": (None, reason.strip())}
    user.suspended_at = now
    user.suspended_reason = reason.strip()
    end_all_sessions(session, user_id=user.id, reason=SessionEndReason.SUSPENDED, now=now)
    audit_trail.user_changed(session, by=by, user=user, action="suspend_user", changes=changes)


def reinstate_user(session: Session, *, by: Principal, user: UserAccount) -> None:
    require(may_manage_user(by, organisation=user.organisation, user_id=user.id))
    changes = {"suspended_at": (user.suspended_at, None)}
    user.suspended_at = None
    user.suspended_reason = None
    session.flush()
    audit_trail.user_changed(session, by=by, user=user, action="reinstate_user", changes=changes)


def record_vetting(
    session: Session, *, by: Principal, user: UserAccount, vetting: Vetting, today: dt.date
) -> None:
    """Record training, background check, agreement and employer authorisation dates."""
    require(may_manage_user(by, organisation=user.organisation, user_id=user.id))
    dates = _vetting_dates(vetting)
    if any(day > today for day in dates.values()):
        raise UserManagementError("A vetting or training date cannot be in the future.")
    changes = {name: (getattr(user, name), day) for name, day in dates.items()}
    for name, day in dates.items():
        setattr(user, name, day)
    session.flush()
    audit_trail.user_changed(session, by=by, user=user, action="record_vetting", changes=changes)


def grant_role(
    session: Session, *, by: Principal, user: UserAccount, role: Role, now: dt.datetime
) -> None:
    require(may_grant(by, [role], organisation=user.organisation, user_id=user.id))
    if role not in user.roles:
        before = _listed(user.roles)
        user.role_grants.append(RoleGrant(role=role, granted_at=now))
        session.flush()
        changes = {"roles": (before, _listed(user.roles))}
        audit_trail.user_changed(session, by=by, user=user, action="grant_role", changes=changes)


def withdraw_role(
    session: Session, *, by: Principal, user: UserAccount, role: Role, now: dt.datetime
) -> None:
    """Take a role away; sessions acting in it end at once."""
    require(may_grant(by, [role], organisation=user.organisation, user_id=user.id))
    before = _listed(user.roles)
    user.role_grants[:] = [grant for grant in user.role_grants if grant.role is not role]
    session.flush()
    end_sessions_acting_as(session, user_id=user.id, role=role, now=now)
    changes = {"roles": (before, _listed(user.roles))}
    audit_trail.user_changed(session, by=by, user=user, action="withdraw_role", changes=changes)


def name_child_protection_officer(
    session: Session, *, by: Principal, user: UserAccount, named: bool
) -> None:
    """Give (or take away) the per-user right to override a shield."""
    require(may_manage_user(by, organisation=user.organisation, user_id=user.id))
    changes = {"is_child_protection_officer": (user.is_child_protection_officer, named)}
    user.is_child_protection_officer = named
    session.flush()
    action = "name_child_protection_officer"
    audit_trail.user_changed(session, by=by, user=user, action=action, changes=changes)


def list_users(session: Session, *, by: Principal) -> list[UserAccount]:
    """The users ``by`` may manage: their council's area's, or everyone's."""
    decision = require(decide(by, Permission.ACCESS_USER_MANAGE))
    query = select(UserAccount).join(UserAccount.organisation).order_by(UserAccount.username)
    if decision.reach is Reach.COUNCIL:
        query = query.where(
            (Organisation.id == decision.council_id)
            | (Organisation.council_id == decision.council_id)
        )
    return list(session.scalars(query))


def change_own_password(
    session: Session,
    *,
    user_session: UserSession,
    current_password: str,
    new_password: str,
    now: dt.datetime,
) -> None:
    """The signed-in user's own change: the current password first; other sessions end."""
    user = user_session.user
    if not check_password(current_password, user.password_hash).hash_matches:
        raise PasswordPolicyError("Your current password is not right.")
    require_acceptable_password(new_password, username=user.username)
    set_password(user, new_password, now=now)
    audit_trail.own_account_changed(session, user=user, action="change_password")
    end_all_sessions(
        session,
        user_id=user.id,
        reason=SessionEndReason.CREDENTIALS_CHANGED,
        now=now,
        keep=user_session,
    )


def set_password(user: UserAccount, password: str, *, now: dt.datetime) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = now


def _listed(roles: Iterable[Role]) -> str:
    return ",".join(sorted(roles))


def _vetting_dates(vetting: Vetting) -> dict[str, dt.date]:
    dates = {
        "training_completed_on": vetting.training_completed_on,
        "background_check_on": vetting.background_check_on,
        "agreement_signed_on": vetting.agreement_signed_on,
        "employer_authorised_on": vetting.employer_authorised_on,
    }
    return {name: day for name, day in dates.items() if day is not None}
