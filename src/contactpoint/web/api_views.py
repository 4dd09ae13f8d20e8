"""The user management API, version 1: what a council's own systems automate.

JSON in and out, every route needing ``access:user:manage`` (a session, or a bearer
token scoped to it: see :mod:`contactpoint.web.authorisation`). A user outside the
caller's reach answers 404, as for no one. Bad input answers 422 problem details
naming each field and why (the services of :mod:`contactpoint.access.users` say
which field), never echoing what was sent. A refusal by the policy answers 403 and
is recorded in the audit trail. A one-time link is in the answer that issues it,
and nowhere else.
"""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from contactpoint.access.links import IssuedLink, issue_one_time_link
from contactpoint.access.models import LinkPurpose, UserAccount
from contactpoint.access.permissions import Permission
from contactpoint.access.policy import AccessCondition, Role
from contactpoint.access.users import (
    VETTING_FIELDS,
    SuspensionReason,
    UserManagementError,
    Vetting,
    change_display_name,
    grant_role,
    list_users,
    record_vetting,
    reinstate_user,
    suspend_user,
    withdraw_role,
)
from contactpoint.web.authorisation import Caller, problem, requires
from contactpoint.web.dependencies import DatabaseSession, Now
from contactpoint.web.errors import error_response
from contactpoint.web.managed_users import (
    RESET_PURPOSES,
    NewUser,
    create_with_link,
    lapsed_conditions,
    link_of,
    managed_user,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from sqlalchemy.orm import Session
    from starlette.responses import Response

    from contactpoint.access.policy import Principal

USERS: Final = "/api/v1/users"
MANAGING: Final = [requires(Permission.ACCESS_USER_MANAGE)]
router = APIRouter(tags=["users"])

UserId = Annotated[int, Field(ge=1, le=2**31 - 1)]
# A bound on how much text is read, not a rule of the field: the services say
# what a username or a name may be, against the field.
Text = Annotated[str, Field(max_length=1000)]
Location = tuple[str, ...]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OrganisationOut(BaseModel):
    id: int
    name: str


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    organisation: OrganisationOut
    roles: list[Role]
    suspended: bool
    suspended_reason: str | None
    training_completed_on: dt.date | None
    background_check_on: dt.date | None
    agreement_signed_on: dt.date | None
    employer_authorised_on: dt.date | None
    lapsed_conditions: list[AccessCondition]


class VettingIn(_Strict):
    training_completed_on: dt.date | None = None
    background_check_on: dt.date | None = None
    agreement_signed_on: dt.date | None = None
    employer_authorised_on: dt.date | None = None

    def vetting(self) -> Vetting:
        return Vetting(**self.model_dump())


class NewUserIn(_Strict):
    username: Text
    display_name: Text
    organisation_id: UserId
    roles: list[Role] = Field(max_length=len(Role))
    vetting: VettingIn = Field(default_factory=VettingIn)


class UserChangeIn(_Strict):
    display_name: Text


class RoleIn(_Strict):
    role: Role


class SuspensionIn(_Strict):
    reason: SuspensionReason


class ResetLinkIn(_Strict):
    purpose: Literal["password", "second-factor"]


class LinkOut(BaseModel):
    purpose: LinkPurpose
    link: str
    expires_at: dt.datetime


class CreatedUserOut(BaseModel):
    user: UserOut
    first_sign_in_link: LinkOut


@router.get(USERS, dependencies=MANAGING)
def users(caller: Caller, session: DatabaseSession, now: Now) -> list[UserOut]:
    return [_user_out(user, now=now) for user in list_users(session, by=caller)]


@router.get(USERS + "/{user_id}", dependencies=MANAGING, response_model=UserOut)
def user(
    request: Request, user_id: UserId, caller: Caller, session: DatabaseSession, now: Now
) -> Any:
    found = managed_user(session, by=caller, user_id=user_id)
    return _not_found(request) if found is None else _user_out(found, now=now)


@router.post(
    USERS, dependencies=MANAGING, status_code=HTTPStatus.CREATED, response_model=CreatedUserOut
)
def create(
    request: Request, new_user: NewUserIn, caller: Caller, session: DatabaseSession, now: Now
) -> Any:
    new = NewUser(
        username=new_user.username,
        display_name=new_user.display_name,
        organisation_id=new_user.organisation_id,
        roles=frozenset(new_user.roles),
        vetting=new_user.vetting.vetting(),
    )
    try:
        created, issued = create_with_link(session, by=caller, new=new, now=now)
    except UserManagementError as error:
        session.rollback()
        vetting = {name: ("body", "vetting", name) for name in VETTING_FIELDS}
        return _invalid(request, error.problems, locations=vetting)
    session.commit()
    return CreatedUserOut(
        user=_user_out(created, now=now), first_sign_in_link=_link_out(request, issued)
    )


@router.patch(USERS + "/{user_id}", dependencies=MANAGING, response_model=UserOut)
def change(
    request: Request,
    *,
    user_id: UserId,
    changed: UserChangeIn,
    caller: Caller,
    session: DatabaseSession,
    now: Now,
) -> Any:
    """Change the user's display name (their username never changes)."""

    def rename(by: Principal, found: UserAccount) -> None:
        change_display_name(session, by=by, user=found, display_name=changed.display_name)

    return _change(request, session, caller, user_id, rename, now=now)


@router.post(USERS + "/{user_id}/roles", dependencies=MANAGING, response_model=UserOut)
def grant(
    request: Request,
    *,
    user_id: UserId,
    granted: RoleIn,
    caller: Caller,
    session: DatabaseSession,
    now: Now,
) -> Any:
    """Give the user a role (nothing changes if they hold it already)."""

    def give(by: Principal, found: UserAccount) -> None:
        grant_role(session, by=by, user=found, role=granted.role, now=now)

    return _change(request, session, caller, user_id, give, now=now)


@router.delete(USERS + "/{user_id}/roles/{role}", dependencies=MANAGING, response_model=UserOut)
def withdraw(
    request: Request,
    *,
    user_id: UserId,
    role: Role,
    caller: Caller,
    session: DatabaseSession,
    now: Now,
) -> Any:
    """Withdraw a role: sessions acting in it end, and API tokens for it are revoked, at once."""

    def take_away(by: Principal, found: UserAccount) -> None:
        withdraw_role(session, by=by, user=found, role=role, now=now)

    in_path = {"role": ("path", "role")}
    return _change(request, session, caller, user_id, take_away, now=now, locations=in_path)


@router.post(USERS + "/{user_id}/suspend", dependencies=MANAGING, response_model=UserOut)
def suspend(
    request: Request,
    *,
    user_id: UserId,
    suspension: SuspensionIn,
    caller: Caller,
    session: DatabaseSession,
    now: Now,
) -> Any:
    label = suspension.reason.label

    def stop(by: Principal, found: UserAccount) -> None:
        suspend_user(session, by=by, user=found, reason=label, now=now)

    return _change(request, session, caller, user_id, stop, now=now)


@router.post(USERS + "/{user_id}/reinstate", dependencies=MANAGING, response_model=UserOut)
def reinstate(
    request: Request, user_id: UserId, caller: Caller, session: DatabaseSession, now: Now
) -> Any:
    def restore(by: Principal, found: UserAccount) -> None:
        reinstate_user(session, by=by, user=found)

    return _change(request, session, caller, user_id, restore, now=now)


@router.post(USERS + "/{user_id}/vetting", dependencies=MANAGING, response_model=UserOut)
def vetting(
    request: Request,
    *,
    user_id: UserId,
    dates: VettingIn,
    caller: Caller,
    session: DatabaseSession,
    now: Now,
) -> Any:
    recorded = dates.vetting()

    def record(by: Principal, found: UserAccount) -> None:
        record_vetting(session, by=by, user=found, vetting=recorded, today=now.date())

    return _change(request, session, caller, user_id, record, now=now)


@router.post(
    USERS + "/{user_id}/reset-links",
    dependencies=MANAGING,
    status_code=HTTPStatus.CREATED,
    response_model=LinkOut,
)
def reset_link(
    request: Request,
    *,
    user_id: UserId,
    reset: ResetLinkIn,
    caller: Caller,
    session: DatabaseSession,
    now: Now,
) -> Any:
    found = managed_user(session, by=caller, user_id=user_id)
    if found is None:
        return _not_found(request)
    purpose = RESET_PURPOSES[reset.purpose]
    issued = issue_one_time_link(session, by=caller, user=found, purpose=purpose, now=now)
    session.commit()
    return _link_out(request, issued)


def _change(
    request: Request,
    session: Session,
    caller: Principal,
    user_id: int,
    change: Callable[[Principal, UserAccount], None],
    *,
    now: dt.datetime,
    locations: Mapping[str, Location] | None = None,
) -> Any:
    """Make the change and answer the user as it now is.

    What the service finds wrong is a 422 naming each field; a refusal by the
    policy is left to the access handlers (a 403, audited).
    """
    found = managed_user(session, by=caller, user_id=user_id)
    if found is None:
        return _not_found(request)
    try:
        change(caller, found)
    except UserManagementError as error:
        session.rollback()
        return _invalid(request, error.problems, locations=locations)
    session.commit()
    return _user_out(found, now=now)


def _user_out(user: UserAccount, *, now: dt.datetime) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        organisation=OrganisationOut(id=user.organisation.id, name=user.organisation.name),
        roles=sorted(user.roles),
        suspended=user.suspended_at is not None,
        suspended_reason=user.suspended_reason,
        training_completed_on=user.training_completed_on,
        background_check_on=user.background_check_on,
        agreement_signed_on=user.agreement_signed_on,
        employer_authorised_on=user.employer_authorised_on,
        lapsed_conditions=lapsed_conditions(user, today=now.date()),
    )


def _link_out(request: Request, issued: IssuedLink) -> LinkOut:
    link = issued.link
    return LinkOut(purpose=link.purpose, link=link_of(request, issued), expires_at=link.expires_at)


def _invalid(
    request: Request,
    problems: Mapping[str, str],
    *,
    locations: Mapping[str, Location] | None = None,
) -> Response:
    """422 problem details: each field where it was sent (in the body unless ``locations``)."""
    where = locations or {}
    errors = [
        {"location": list(where.get(name, ("body", name))), "message": text, "type": "value_error"}
        for name, text in problems.items()
    ]
    return error_response(request, HTTPStatus.UNPROCESSABLE_ENTITY, problems=errors)


def _not_found(request: Request) -> JSONResponse:
    return problem(request, HTTPStatus.NOT_FOUND, "There is no user with that id that you manage.")
