"""User management pages for councils' ContactPoint teams (``access:user:manage``).

The list shows only users within the team's reach (the policy's reach, through
:func:`contactpoint.access.users.list_users`); a user outside it is "not found", so
the pages never say who exists in another council. Every change goes through the
services of :mod:`contactpoint.access.users` and :mod:`contactpoint.access.links`,
which ask the policy again. One-time links are shown once, on the page that issues
them, and never again.

The helpers at the top are shared with the API (:mod:`contactpoint.web.api_views`).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated, Final

from fastapi import APIRouter, Request
from sqlalchemy import select

from contactpoint.access.links import issue_one_time_link, link_address
from contactpoint.access.models import LinkPurpose, UserAccount
from contactpoint.access.permissions import Permission
from contactpoint.access.policy import (
    AccessCondition,
    AccessDeniedError,
    Principal,
    Role,
    access_conditions,
    decide,
    may_grant,
    target_of,
)
from contactpoint.access.reach import organisations_within_reach
from contactpoint.access.sessions import ActiveSession
from contactpoint.access.users import (
    UserManagementError,
    Vetting,
    create_user,
    find_user,
    list_users,
    record_vetting,
    reinstate_user,
    suspend_user,
    valid_username,
)
from contactpoint.organisations.models import Organisation
from contactpoint.web.authorisation import requires
from contactpoint.web.dependencies import DatabaseSession, Now
from contactpoint.web.forms import PostedForm, field
from contactpoint.web.pages import error_summary, render
from contactpoint.web.sign_in_views import redirect

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from sqlalchemy.orm import Session
    from starlette.datastructures import FormData
    from starlette.responses import Response

    from contactpoint.access.links import IssuedLink

router = APIRouter(include_in_schema=False)

Managing = Annotated[ActiveSession, requires(Permission.ACCESS_USER_MANAGE)]

USERS_PATH: Final = "/users"
MAX_DISPLAY_NAME: Final = 200
VETTING_FIELDS: Final = (
    ("training_completed_on", "Training completed"),
    ("background_check_on", "Enhanced background check"),
    ("agreement_signed_on", "User agreement signed"),
    ("employer_authorised_on", "Employer authorisation"),
)
_FUTURE: Final = "The date must be today or in the past"


class SuspensionReason(enum.StrEnum):
    """Why an account is suspended; recorded (as its label) with the suspension."""

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
RESET_PURPOSES: Final = {
    "password": LinkPurpose.PASSWORD_RESET,
    "second-factor": LinkPurpose.SECOND_FACTOR_RESET,
}


# --- Shared with the API -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewUser:
    username: str
    display_name: str
    organisation_id: int | None
    roles: frozenset[Role]


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


def grantable_roles(by: Principal, organisations: Iterable[Organisation]) -> list[Role]:
    """The roles ``by`` may give to a user of (the first of) these organisations."""
    first = next(iter(organisations), None)
    if first is None:
        return []
    return [role for role in Role if may_grant(by, [role], organisation=first).allowed]


def new_user_problems(session: Session, *, by: Principal, new: NewUser) -> dict[str, str]:
    """What is wrong with a new user, by field; empty when it can be created."""
    problems: dict[str, str] = {}
    try:
        if find_user(session, username=valid_username(new.username)) is not None:
            problems["username"] = "That username is already taken; choose another"
    except UserManagementError as error:
        problems["username"] = str(error) if new.username else "Enter a username"
    if not new.display_name.strip() or len(new.display_name) > MAX_DISPLAY_NAME:
        problems["display_name"] = "Enter the user's name (at most 200 characters)"
    organisation = _organisation_within_reach(session, by=by, organisation_id=new.organisation_id)
    if organisation is None:
        problems["organisation_id"] = "Choose an organisation in your reach"
    elif not new.roles:
        problems["roles"] = "Choose at least one role"
    elif not may_grant(by, new.roles, organisation=organisation).allowed:
        problems["roles"] = "You cannot give one of those roles"
    return problems


def create_with_link(
    session: Session, *, by: Principal, new: NewUser, vetting: Vetting, now: dt.datetime
) -> tuple[UserAccount, IssuedLink]:
    """Create the user (checked by :func:`new_user_problems` first) and a first sign-in link."""
    organisation = session.get(Organisation, new.organisation_id)
    if organisation is None:
        raise UserManagementError("Choose an organisation in your reach.")
    user = create_user(
        session,
        by=by,
        username=new.username,
        display_name=new.display_name,
        organisation=organisation,
        roles=new.roles,
        now=now,
    )
    if vetting != Vetting():
        record_vetting(session, by=by, user=user, vetting=vetting, today=now.date())
    link = issue_one_time_link(
        session, by=by, user=user, purpose=LinkPurpose.FIRST_SIGN_IN, now=now
    )
    return user, link


def future_dates(vetting: Vetting, *, today: dt.date) -> dict[str, str]:
    return {
        name: _FUTURE
        for name, _label in VETTING_FIELDS
        if (day := getattr(vetting, name)) is not None and day > today
    }


def lapsed_conditions(user: UserAccount, *, today: dt.date) -> list[AccessCondition]:
    return [c.condition for c in access_conditions(user, user.organisation, today=today)]


def link_of(request: Request, issued: IssuedLink) -> str:
    return link_address(request.app.state.settings.public_url, issued.token)


def _organisation_within_reach(
    session: Session, *, by: Principal, organisation_id: int | None
) -> Organisation | None:
    organisation = None if organisation_id is None else session.get(Organisation, organisation_id)
    if organisation is None:
        return None
    decision = decide(by, Permission.ACCESS_USER_MANAGE, target=target_of(organisation))
    return organisation if decision.allowed else None


# --- Pages ---------------------------------------------------------------------------


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
    new = _new_user_from(form)
    vetting, problems = _vetting_from(form, today=now.date())
    problems = {**new_user_problems(session, by=by, new=new), **problems}
    if problems:
        return _new_user_form(request, session, by, problems=problems, form=form)
    try:
        user, issued = create_with_link(session, by=by, new=new, vetting=vetting, now=now)
    except (UserManagementError, AccessDeniedError) as error:
        session.rollback()
        problems = {"username": str(error)}
        return _new_user_form(request, session, by, problems=problems, form=form)
    session.commit()
    return _link_issued(request, user, issued, created=True)


@router.get(USERS_PATH + "/{user_id}")
def user_page(
    request: Request, user_id: int, managing: Managing, session: DatabaseSession, now: Now
) -> Response:
    user = managed_user(session, by=managing.principal, user_id=user_id)
    if user is None:
        return _not_found(request)
    return _user_details(request, user, now=now)


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
    user = managed_user(session, by=managing.principal, user_id=user_id)
    if user is None:
        return _not_found(request)
    reason = _suspension_reason(field(form, "reason"))
    if reason is None:
        problems = {"reason": "Choose why you are suspending the account"}
        return _user_details(request, user, now=now, problems=problems)
    label, by = reason.label, managing.principal

    def change() -> None:
        suspend_user(session, by=by, user=user, reason=label, now=now)

    return _change(request, session, user, change, now=now, problem_field="reason")


@router.post(USERS_PATH + "/{user_id}/reinstate")
def reinstate(
    request: Request, user_id: int, managing: Managing, session: DatabaseSession, now: Now
) -> Response:
    user = managed_user(session, by=managing.principal, user_id=user_id)
    if user is None:
        return _not_found(request)
    by = managing.principal

    def change() -> None:
        reinstate_user(session, by=by, user=user)

    return _change(request, session, user, change, now=now, problem_field="reinstate")


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
    user = managed_user(session, by=managing.principal, user_id=user_id)
    if user is None:
        return _not_found(request)
    vetting, problems = _vetting_from(form, today=now.date())
    if not problems and vetting == Vetting():
        problems = {VETTING_FIELDS[0][0]: "Enter at least one date"}
    if problems:
        return _user_details(request, user, now=now, problems=problems, form=form)
    by = managing.principal

    def change() -> None:
        record_vetting(session, by=by, user=user, vetting=vetting, today=now.date())

    return _change(request, session, user, change, now=now, problem_field=VETTING_FIELDS[0][0])


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
    try:
        issued = issue_one_time_link(
            session, by=managing.principal, user=user, purpose=purpose, now=now
        )
    except AccessDeniedError as error:
        session.rollback()
        return _user_details(request, user, now=now, problems={"reset": str(error)})
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
    user: UserAccount,
    change: Callable[[], None],
    *,
    now: dt.datetime,
    problem_field: str,
) -> Response:
    """Make the change and go back to the user's page; a refusal is shown on the page."""
    try:
        change()
    except (UserManagementError, AccessDeniedError) as error:
        session.rollback()
        return _user_details(request, user, now=now, problems={problem_field: str(error)})
    session.commit()
    return redirect(f"{USERS_PATH}/{user.id}")


def _user_details(
    request: Request,
    user: UserAccount,
    *,
    now: dt.datetime,
    problems: dict[str, str] | None = None,
    form: FormData | None = None,
) -> Response:
    problems = problems or {}
    context = {
        "user": user,
        "lapsed": access_conditions(user, user.organisation, today=now.date()),
        "reasons": list(SuspensionReason),
        "vetting_fields": VETTING_FIELDS,
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
        "roles": grantable_roles(by, organisations),
        "vetting_fields": VETTING_FIELDS,
        "problems": problems,
        "summary": _summary(problems),
        "posted": _posted(form),
        "chosen_roles": _posted_list(form, "roles"),
    }
    status = HTTPStatus.BAD_REQUEST if problems else HTTPStatus.OK
    return render(request, "users/new.html", context, status=status)


def _summary(problems: dict[str, str]) -> list[dict[str, str]]:
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


def _new_user_from(form: FormData | None) -> NewUser:
    organisation = field(form, "organisation_id")
    roles = {value for value in _posted_list(form, "roles") if value in set(Role)}
    return NewUser(
        username=field(form, "username"),
        display_name=field(form, "display_name"),
        organisation_id=int(organisation) if organisation.isdigit() else None,
        roles=frozenset(Role(value) for value in roles),
    )


def _vetting_from(form: FormData | None, *, today: dt.date) -> tuple[Vetting, dict[str, str]]:
    dates: dict[str, dt.date | None] = {}
    problems: dict[str, str] = {}
    for name, label in VETTING_FIELDS:
        parts = [field(form, f"{name}-{part}") for part in ("day", "month", "year")]
        dates[name] = _date_of(parts)
        if any(parts) and dates[name] is None:
            problems[name] = f"{label} must be a real date, like 27 3 2025"
    vetting = Vetting(**dates)
    return vetting, {**future_dates(vetting, today=today), **problems}


def _date_of(parts: list[str]) -> dt.date | None:
    day, month, year = parts
    if not all(part.isdigit() and len(part) <= 4 for part in parts) or len(year) != 4:  # noqa: PLR2004 - a year's digits
        return None
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def _suspension_reason(value: str) -> SuspensionReason | None:
    return SuspensionReason(value) if value in set(SuspensionReason) else None


def _not_found(request: Request) -> Response:
    return render(request, "errors/page-not-found.html", status=HTTPStatus.NOT_FOUND)
