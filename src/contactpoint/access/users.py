"""User management: create, rename, suspend, reinstate, record vetting and training, roles.

Every change takes ``by``, the principal making it, and asks the policy first:
a council's team manages the users of its council's area, national
administrators everyone, the local operator anything; nobody their own account.
Each change is recorded in the audit trail with its old and new values.

What is wrong with a change is a :class:`UserManagementError` naming the field at
fault, so pages and the API show the message against that field and never
re-check fields themselves.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import secrets
import unicodedata
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from sqlalchemy import select

from contactpoint.access import audit_trail
from contactpoint.access.models import ApiToken, RoleGrant, SessionEndReason, UserAccount
from contactpoint.access.passwords import (
    PasswordPolicyError,
    check_password,
    hash_password,
    require_acceptable_password,
)
from contactpoint.access.permissions import Permission
from contactpoint.access.policy import (
    Principal,
    Role,
    decide,
    may_grant,
    may_manage_user,
    require,
)
from contactpoint.access.reach import organisations_within_reach
from contactpoint.access.sessions import end_all_sessions, end_sessions_acting_as
from contactpoint.access.throttling import normalise_username
from contactpoint.organisations.models import Organisation

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from sqlalchemy.orm import Session

    from contactpoint.access.models import UserSession

USERNAME_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9._@-]{2,63}")
MAX_DISPLAY_NAME: Final = 200  # the column's length
VETTING_FIELDS: Final = (
    "training_completed_on",
    "background_check_on",
    "agreement_signed_on",
    "employer_authorised_on",
)


class UserManagementError(ValueError):
    """A change to a user cannot be made; the message says why, for the person making it.

    ``problems`` maps each field at fault (``username``, ``display_name``,
    ``organisation_id``, ``roles``, ``role``, ``reason``, or a vetting date's name)
    to what is wrong with it; ``field`` is the first of them, and the message its.
    """

    def __init__(self, problems: Mapping[str, str]) -> None:
        if not problems:
            raise ValueError("a UserManagementError names at least one field")
        self.problems: Mapping[str, str] = MappingProxyType(dict(problems))
        self.field: str = next(iter(self.problems))
        super().__init__(self.problems[self.field])

    @classmethod
    def at(cls, field: str, message: str) -> UserManagementError:
        return cls({field: message})


class SuspensionReason(enum.StrEnum):
    """Why a council team suspends an account; recorded (as its label) with the suspension."""

    LEFT_ORGANISATION = "left_organisation"
    MISUSE_SUSPECTED = "misuse_suspected"
    LONG_ABSENCE = "long_absence"
    VETTING_PROBLEM = "vetting_problem"

    @property
    def label(self) -> str:
        return _SUSPENSION_LABELS[self]


_SUSPENSION_LABELS: Final = {
    SuspensionReason.LEFT_ORGANISATION: "Left the organisation",
    SuspensionReason.MISUSE_SUSPECTED: "Misuse suspected, under investigation",
    SuspensionReason.LONG_ABSENCE: "Long absence",
    SuspensionReason.VETTING_PROBLEM: "A problem with vetting or employment checks",
}


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
    if not normalised:
        raise UserManagementError.at("username", "Enter a username.")
    if not USERNAME_PATTERN.fullmatch(normalised):
        raise UserManagementError.at(
            "username",
            "A username must be 3 to 64 characters: letters, digits, and . _ @ - "
            "(starting with a letter or digit).",
        )
    return normalised


def valid_display_name(display_name: str) -> str:
    """The name as stored (surrounding spaces removed), or :class:`UserManagementError`."""
    name = display_name.strip()
    if not name:
        raise UserManagementError.at("display_name", "Enter the user's name.")
    if len(name) > MAX_DISPLAY_NAME:
        raise UserManagementError.at(
            "display_name", f"The name must be {MAX_DISPLAY_NAME} characters or fewer."
        )
    if any(unicodedata.category(character).startswith("C") for character in name):
        raise UserManagementError.at(
            "display_name", "The name can only hold letters, spaces and punctuation."
        )
    return name


def new_user_problems(
    session: Session,
    *,
    username: str,
    display_name: str,
    organisation: Organisation | None,
    roles: Iterable[Role],
    vetting: Vetting,
    today: dt.date,
) -> dict[str, str]:
    """Everything wrong with a new user, by field (empty when it can be created).

    ``organisation`` is ``None`` when the one asked for is unknown or out of reach.
    """
    problems: dict[str, str] = {}
    try:
        if find_user(session, username=valid_username(username)) is not None:
            problems["username"] = "That username is already taken; choose another."
    except UserManagementError as error:
        problems.update(error.problems)
    problems.update(_problems_of(valid_display_name, display_name))
    if organisation is None:
        problems["organisation_id"] = "Choose an organisation whose users you manage."
    if not set(roles):
        problems["roles"] = "Choose at least one role."
    return {**problems, **vetting_problems(vetting, today=today)}


def vetting_problems(vetting: Vetting, *, today: dt.date) -> dict[str, str]:
    """Each vetting or training date that is in the future, by field."""
    return {
        name: "The date must be today or in the past."
        for name, day in _vetting_dates(vetting).items()
        if day > today
    }


def create_user(
    session: Session,
    *,
    by: Principal,
    username: str,
    display_name: str,
    organisation: Organisation | None,
    roles: Iterable[Role],
    now: dt.datetime,
    vetting: Vetting | None = None,
) -> UserAccount:
    """A new user with no password or second factor yet: issue a first sign-in link next.

    ``organisation`` is ``None`` when the one asked for is unknown or out of reach.
    """
    require(decide(by, Permission.ACCESS_USER_MANAGE))  # before saying what exists
    roles, vetting = frozenset(roles), vetting or Vetting()
    problems = new_user_problems(
        session,
        username=username,
        display_name=display_name,
        organisation=organisation,
        roles=roles,
        vetting=vetting,
        today=now.date(),
    )
    if problems or organisation is None:
        raise UserManagementError(problems)
    require(may_grant(by, roles, organisation=organisation))
    user = UserAccount(
        username=valid_username(username),
        display_name=valid_display_name(display_name),
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
    if vetting != Vetting():
        record_vetting(session, by=by, user=user, vetting=vetting, today=now.date())
    return user


def change_display_name(
    session: Session, *, by: Principal, user: UserAccount, display_name: str
) -> None:
    """Correct the name the user is shown by (their username never changes)."""
    require(may_manage_user(by, organisation=user.organisation, user_id=user.id))
    name = valid_display_name(display_name)
    if name == user.display_name:
        return
    changes = {"display_name": (user.display_name, name)}
    user.display_name = name
    session.flush()
    audit_trail.user_changed(
        session, by=by, user=user, action="change_display_name", changes=changes
    )


def suspend_user(
    session: Session, *, by: Principal, user: UserAccount, reason: str, now: dt.datetime
) -> None:
    """Suspend the account; every session it has ends at once."""
    require(may_manage_user(by, organisation=user.organisation, user_id=user.id))
    if not reason.strip():
        raise UserManagementError.at("reason", "Give the reason for suspending the account.")
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
    if not dates:
        raise UserManagementError.at(VETTING_FIELDS[0], "Enter at least one date.")
    problems = vetting_problems(vetting, today=today)
    if problems:
        raise UserManagementError(problems)
    changes = {name: (getattr(user, name), day) for name, day in dates.items()}
    for name, day in dates.items():
        setattr(user, name, day)
    session.flush()
    audit_trail.user_changed(session, by=by, user=user, action="record_vetting", changes=changes)


def grant_role(
    session: Session, *, by: Principal, user: UserAccount, role: Role, now: dt.datetime
) -> None:
    """Let the user act in ``role`` too (nothing changes if they hold it already)."""
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
    """Take a role away: sessions acting in it end and API tokens for it are revoked, at once.

    A user keeps at least one role: to stop someone using ContactPoint altogether,
    suspend the account instead (that ends every session and says why).
    """
    require(may_grant(by, [role], organisation=user.organisation, user_id=user.id))
    if role not in user.roles:
        raise UserManagementError.at("role", f"{user.display_name} does not have that role.")
    if user.roles == {role}:
        raise UserManagementError.at(
            "role",
            f"{user.display_name} must keep at least one role. To stop them using "
            "ContactPoint, suspend the account instead.",
        )
    before = _listed(user.roles)
    user.role_grants[:] = [grant for grant in user.role_grants if grant.role is not role]
    session.flush()
    end_sessions_acting_as(session, user_id=user.id, role=role, now=now)
    revoked = _revoke_tokens_acting_as(session, user=user, role=role, now=now)
    changes: dict[str, tuple[object, object]] = {"roles": (before, _listed(user.roles))}
    if revoked:
        changes["revoked_api_token_ids"] = (None, ",".join(map(str, revoked)))
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
    require(decide(by, Permission.ACCESS_USER_MANAGE))
    reached = organisations_within_reach(
        session, principal=by, permission=Permission.ACCESS_USER_MANAGE
    )
    query = select(UserAccount).join(UserAccount.organisation).order_by(UserAccount.username)
    if reached is not None:  # any reach short of national: only the organisations it reaches
        query = query.where(Organisation.id.in_(sorted(reached)))
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


def _problems_of(check: Callable[[str], str], value: str) -> Mapping[str, str]:
    try:
        check(value)
    except UserManagementError as error:
        return error.problems
    return {}


def _revoke_tokens_acting_as(
    session: Session, *, user: UserAccount, role: Role, now: dt.datetime
) -> list[int]:
    """Revoke the user's live tokens for ``role``, so that granting it again revives none."""
    query = select(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.acting_role == role, ApiToken.revoked_at.is_(None)
    )
    revoked = list(session.scalars(query))
    for api_token in revoked:
        api_token.revoked_at = now
    session.flush()
    return [api_token.id for api_token in revoked]


def _vetting_dates(vetting: Vetting) -> dict[str, dt.date]:
    dates = {
        "training_completed_on": vetting.training_completed_on,
        "background_check_on": vetting.background_check_on,
        "agreement_signed_on": vetting.agreement_signed_on,
        "employer_authorised_on": vetting.employer_authorised_on,
    }
    return {name: day for name, day in dates.items() if day is not None}
