"""User management pages for councils' ContactPoint teams (``access:user:manage``).

The list shows only users within the team's reach (the policy's reach, through
:func:`contactpoint.access.users.list_users`); a user outside it is "not found", so
the pages never say who exists in another council. Every change goes through the
services of :mod:`contactpoint.access.users` and :mod:`contactpoint.access.links`,
which ask the policy again and say which field is wrong; the pages only read the
form, and show each problem against its field. A refusal by the policy is a 403,
recorded in the audit trail (:mod:`contactpoint.web.authorisation`). One-time links
are shown once, on the page that issues them, and never again.
"""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated, Final, Protocol

from fastapi import APIRouter, Request

from contactpoint.access.links import issue_one_time_link
from contactpoint.access.models import LinkPurpose, UserAccount
from contactpoint.access.permissions import Permission
from contactpoint.access.policy import (
    AccessCondition,
    Principal,
    Role,
    access_conditions,
)
from contactpoint.access.sessions import ActiveSession
from contactpoint.access.users import (
    SuspensionReason,
    UserManagementError,
    Vetting,
    change_display_name,
    grant_role,
    list_users,
    new_user_problems,
    record_vetting,
    reinstate_user,
    suspend_user,
    withdraw_role,
)
from contactpoint.web.authorisation import requires
from contactpoint.web.dependencies import DatabaseSession, Now
from contactpoint.web.forms import PostedForm, field
from contactpoint.web.managed_users import (
    RESET_PURPOSES,
    NewUser,
    create_with_link,
    grantable_roles,
    lapsed_conditions,
    link_of,
    manageable_organisations,
    managed_user,
    organisation_within_reach,
)
from contactpoint.web.pages import error_summary, render
from contactpoint.web.sign_in_views import redirect

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from sqlalchemy.orm import Session
    from starlette.datastructures import FormData
    from starlette.responses import Response

    from contactpoint.access.links import IssuedLink

router = APIRouter(include_in_schema=False)

Managing = Annotated[ActiveSession, requires(Permission.ACCESS_USER_MANAGE)]

USERS_PATH: Final = "/users"
VETTING_FIELDS: Final = (
    ("training_completed_on", "Training completed"),
    ("background_check_on", "Enhanced background check"),
    ("agreement_signed_on", "User agreement signed"),
    ("employer_authorised_on", "Employer authorisation"),
)
# The service names the field ``role``; each of the two role forms has its own id.
GRANT_ROLE: Final = {"role": "grant-role"}
WITHDRAW_ROLE: Final = {"role": "withdraw-role"}
CHOOSE_ROLE: Final = "Choose a role from the list"

CONDITION_TAGS: Final = {
    AccessCondition.ACCOUNT_ACTIVE: "Suspended",
    AccessCondition.TRAINING: "Training not recorded",
    AccessCondition.BACKGROUND_CHECK: "Background check expired",
    AccessCondition.USER_AGREEMENT: "Agreement not signed",
    AccessCondition.EMPLOYER_AUTHORISATION: "No employer authorisation",
    AccessCondition.ORGANISATION_ACCREDITED: "Organisation not accredited",
    AccessCondition.ROLE: "No role",
}
PURPOSE_TITLES: Final = {
    LinkPurpose.FIRST_SIGN_IN: "First sign-in link",
    LinkPurpose.PASSWORD_RESET: "Password reset link",
    LinkPurpose.SECOND_FACTOR_RESET: "Second factor reset link",
}


class RoleChange(Protocol):
    """:func:`grant_role` or :func:`withdraw_role`."""

    def __call__(
        self, session: Session, *, by: Principal, user: UserAccount, role: Role, now: dt.datetime
    ) -> None: ...


@router.get(USERS_PATH)
def users_page(
    request: Request, managing: Managing, session: DatabaseSession, now: Now
) -> Response:
    users = list_users(session, by=managing.principal)
    rows = [(user, lapsed_conditions(user, today=now.date())) for user in users]
    context = {"rows": rows, "condition_tags": CONDITION_TAGS}
    return render(request, "users/list.html", context)


@router.get(f"{USERS_PATH}/new")
def new_user_page(request: Request, managing: Managing, session: DatabaseSession) -> Response:
    return _new_user_form(request, session, managing.principal, problems={}, form=None)


@router.post(f"{USERS_PATH}/new")
def create_user_from_form(
    request: Request, managing: Managing, form: PostedForm, session: DatabaseSession, now: Now
) -> Response:
    by = managing.principal
    new, unreadable = _new_user_from(form)
    if unreadable:  # ask the service what else is wrong, to show every problem at once
        problems = {**_new_user_problems(session, by=by, new=new, today=now.date()), **unreadable}
        return _new_user_form(request, session, by, problems=problems, form=form)
    try:
        user, issued = create_with_link(session, by=by, new=new, now=now)
    except UserManagementError as error:
        session.rollback()
        return _new_user_form(request, session, by, problems=dict(error.problems), form=form)
    session.commit()
    return _link_issued(request, user, issued, created=True)


@router.get(USERS_PATH + "/{user_id}")
def user_page(
    request: Request, user_id: int, managing: Managing, session: DatabaseSession, now: Now
) -> Response:
    user = managed_user(session, by=managing.principal, user_id=user_id)
    if user is None:
        return _not_found(request)
    return _user_details(request, user, by=managing.principal, now=now)


@router.post(USERS_PATH + "/{user_id}/name")
def change_name(
    request: Request,
    *,
    user_id: int,
    managing: Managing,
    form: PostedForm,
    session: DatabaseSession,
    now: Now,
) -> Response:
    def change(by: Principal, user: UserAccount) -> None:
        change_display_name(session, by=by, user=user, display_name=field(form, "display_name"))

    return _change(request, session, managing, user_id, change, now=now, form=form)


@router.post(USERS_PATH + "/{user_id}/roles/grant")
def grant(
    request: Request,
    *,
    user_id: int,
    managing: Managing,
    form: PostedForm,
    session: DatabaseSession,
    now: Now,
) -> Response:
    change = _role_change(session, grant_role, chosen=field(form, "role"), now=now)
    return _change(request, session, managing, user_id, change, now=now, anchors=GRANT_ROLE)


@router.post(USERS_PATH + "/{user_id}/roles/withdraw")
def withdraw(
    request: Request,
    *,
    user_id: int,
    managing: Managing,
    form: PostedForm,
    session: DatabaseSession,
    now: Now,
) -> Response:
    change = _role_change(session, withdraw_role, chosen=field(form, "role"), now=now)
    return _change(request, session, managing, user_id, change, now=now, anchors=WITHDRAW_ROLE)


@router.post(USERS_PATH + "/{user_id}/suspend")
def suspend(
    request: Request,
    *,
    user_id: int,
    managing: Managing,
    form: PostedForm,
    session: DatabaseSession,
    now: Now,
) -> Response:
    reason = _suspension_reason(field(form, "reason"))

    def change(by: Principal, user: UserAccount) -> None:
        if reason is None:
            raise UserManagementError.at("reason", "Choose why you are suspending the account")
        suspend_user(session, by=by, user=user, reason=reason.label, now=now)

    return _change(request, session, managing, user_id, change, now=now)


@router.post(USERS_PATH + "/{user_id}/reinstate")
def reinstate(
    request: Request, user_id: int, managing: Managing, session: DatabaseSession, now: Now
) -> Response:
    def change(by: Principal, user: UserAccount) -> None:
        reinstate_user(session, by=by, user=user)

    return _change(request, session, managing, user_id, change, now=now)


@router.post(USERS_PATH + "/{user_id}/vetting")
def record_vetting_from_form(
    request: Request,
    *,
    user_id: int,
    managing: Managing,
    form: PostedForm,
    session: DatabaseSession,
    now: Now,
) -> Response:
    vetting, unreadable = _vetting_from(form)

    def change(by: Principal, user: UserAccount) -> None:
        if unreadable:
            raise UserManagementError(unreadable)
        record_vetting(session, by=by, user=user, vetting=vetting, today=now.date())

    return _change(request, session, managing, user_id, change, now=now, form=form)


@router.post(USERS_PATH + "/{user_id}/reset/{kind}")
def issue_reset_link(
    request: Request,
    *,
    user_id: int,
    kind: str,
    managing: Managing,
    session: DatabaseSession,
    now: Now,
) -> Response:
    user = managed_user(session, by=managing.principal, user_id=user_id)
    purpose = RESET_PURPOSES.get(kind)
    if user is None or purpose is None:
        return _not_found(request)
    # A refusal by the policy is answered, and audited, as a 403 by the access handlers.
    issued = issue_one_time_link(
        session, by=managing.principal, user=user, purpose=purpose, now=now
    )
    session.commit()
    return _link_issued(request, user, issued, created=False)


def _link_issued(
    request: Request, user: UserAccount, issued: IssuedLink, *, created: bool
) -> Response:
    context = {
        "user": user,
        "link": link_of(request, issued),
        "issued": issued,
        "created": created,
        "purpose_titles": PURPOSE_TITLES,
    }
    return render(request, "users/link-issued.html", context)


def _change(
    request: Request,
    session: Session,
    managing: ActiveSession,
    user_id: int,
    change: Callable[[Principal, UserAccount], None],
    *,
    now: dt.datetime,
    form: FormData | None = None,
    anchors: Mapping[str, str] | None = None,
) -> Response:
    """Make the change and go back to the user's page.

    What the service finds wrong is shown against its field (``anchors`` gives a
    field's id on this page where it differs from the service's name for it). A
    refusal by the policy is left to the access handlers: a 403, audited.
    """
    by = managing.principal
    user = managed_user(session, by=by, user_id=user_id)
    if user is None:
        return _not_found(request)
    try:
        change(by, user)
    except UserManagementError as error:
        session.rollback()
        anchors = anchors or {}
        problems = {anchors.get(name, name): text for name, text in error.problems.items()}
        return _user_details(request, user, by=by, now=now, problems=problems, form=form)
    session.commit()
    return redirect(f"{USERS_PATH}/{user.id}")


def _role_change(
    session: Session, act: RoleChange, *, chosen: str, now: dt.datetime
) -> Callable[[Principal, UserAccount], None]:
    """Grant or withdraw (``act``) the role chosen on the form; no role chosen is a problem."""
    role = _role(chosen)

    def change(by: Principal, user: UserAccount) -> None:
        if role is None:
            raise UserManagementError.at("role", CHOOSE_ROLE)
        act(session, by=by, user=user, role=role, now=now)

    return change


def _user_details(
    request: Request,
    user: UserAccount,
    *,
    by: Principal,
    now: dt.datetime,
    problems: dict[str, str] | None = None,
    form: FormData | None = None,
) -> Response:
    problems = problems or {}
    may_give = grantable_roles(by, user.organisation, user_id=user.id)
    context = {
        "user": user,
        "lapsed": access_conditions(user, user.organisation, today=now.date()),
        "reasons": list(SuspensionReason),
        "vetting_fields": VETTING_FIELDS,
        "roles_to_grant": [role for role in may_give if role not in user.roles],
        "roles_to_withdraw": [role for role in may_give if role in user.roles],
        "problems": problems,
        "summary": _summary(problems),
        "posted": _posted(form),
        "condition_tags": CONDITION_TAGS,
    }
    status = HTTPStatus.BAD_REQUEST if problems else HTTPStatus.OK
    return render(request, "users/details.html", context, status=status)


def _new_user_form(
    request: Request,
    session: Session,
    by: Principal,
    *,
    problems: dict[str, str],
    form: FormData | None,
) -> Response:
    organisations = manageable_organisations(session, by=by)
    context = {
        "organisations": organisations,
        "roles": grantable_roles(by, next(iter(organisations), None)),
        "vetting_fields": VETTING_FIELDS,
        "problems": problems,
        "summary": _summary(problems),
        "posted": _posted(form),
        "chosen_roles": _posted_list(form, "roles"),
    }
    status = HTTPStatus.BAD_REQUEST if problems else HTTPStatus.OK
    return render(request, "users/new.html", context, status=status)


def _new_user_problems(
    session: Session, *, by: Principal, new: NewUser, today: dt.date
) -> dict[str, str]:
    organisation = organisation_within_reach(session, by=by, organisation_id=new.organisation_id)
    return new_user_problems(
        session,
        username=new.username,
        display_name=new.display_name,
        organisation=organisation,
        roles=new.roles,
        vetting=new.vetting,
        today=today,
    )


def _summary(problems: Mapping[str, str]) -> list[dict[str, str]]:
    """Each problem linked to its field (a date's first box, a choice's first option)."""
    dates = {name for name, _label in VETTING_FIELDS}
    linked = {(f"{name}-day" if name in dates else name): text for name, text in problems.items()}
    return error_summary(linked)


def _posted(form: FormData | None) -> dict[str, str]:
    if form is None:
        return {}
    return {name: value for name, value in form.items() if isinstance(value, str)}


def _posted_list(form: FormData | None, name: str) -> list[str]:
    if form is None:
        return []
    return [value for value in form.getlist(name) if isinstance(value, str)]


def _new_user_from(form: FormData | None) -> tuple[NewUser, dict[str, str]]:
    """The new user as posted, and what in the form could not be read at all."""
    organisation = field(form, "organisation_id")
    posted_roles = _posted_list(form, "roles")
    roles = frozenset(role for value in posted_roles if (role := _role(value)) is not None)
    vetting, unreadable = _vetting_from(form)
    if len(roles) < len(set(posted_roles)):
        unreadable["roles"] = CHOOSE_ROLE
    new = NewUser(
        username=field(form, "username"),
        display_name=field(form, "display_name"),
        organisation_id=int(organisation) if organisation.isdigit() else None,
        roles=roles,
        vetting=vetting,
    )
    return new, unreadable


def _vetting_from(form: FormData | None) -> tuple[Vetting, dict[str, str]]:
    """The dates as posted, and each that is not a real date (left out of the vetting)."""
    dates: dict[str, dt.date | None] = {}
    unreadable: dict[str, str] = {}
    for name, label in VETTING_FIELDS:
        parts = [field(form, f"{name}-{part}") for part in ("day", "month", "year")]
        dates[name] = _date_of(parts)
        if any(parts) and dates[name] is None:
            unreadable[name] = f"{label} must be a real date, like 27 3 2025"
    return Vetting(**dates), unreadable


def _date_of(parts: list[str]) -> dt.date | None:
    day, month, year = parts
    if not all(part.isdigit() and len(part) <= 4 for part in parts) or len(year) != 4:  # noqa: PLR2004 - a year's digits
        return None
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def _role(value: str) -> Role | None:
    return Role(value) if value in set(Role) else None


def _suspension_reason(value: str) -> SuspensionReason | None:
    return SuspensionReason(value) if value in set(SuspensionReason) else None


def _not_found(request: Request) -> Response:
    return render(request, "errors/page-not-found.html", status=HTTPStatus.NOT_FOUND)
