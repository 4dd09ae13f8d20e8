"""API tokens for users' case-management systems (``access:api_token:manage``): pages and API.

A user's tokens are managed from ``/users/{id}/tokens`` and through the JSON API under
``/api/v1``. As with the user pages, a user outside the caller's reach (the policy's
reach for ``access:api_token:manage``) is "not found", so nothing says who exists in
another council. Tokens are issued and revoked only through
:mod:`contactpoint.access.tokens`, which asks the policy again and audits each change.
A token is shown once, in the answer that issues it, and never again: the database
keeps its digest and a short prefix.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated, Any, Final

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from contactpoint.access.models import ApiToken, UserAccount
from contactpoint.access.permissions import Permission
from contactpoint.access.policy import (
    Principal,
    Role,
    decide,
    target_of,
)
from contactpoint.access.sessions import ActiveSession
from contactpoint.access.tokens import (
    LONGEST_LIFETIME,
    PREFIX_SHOWN,
    TokenError,
    issue_token_for_user,
    revoke_token,
    scopes_a_token_may_carry,
    token_scopes,
    tokens_with_prefix,
)
from contactpoint.web.authorisation import Caller, problem, requires
from contactpoint.web.dependencies import DatabaseSession, Now
from contactpoint.web.errors import error_response
from contactpoint.web.forms import PostedForm, field
from contactpoint.web.pages import error_summary, render
from contactpoint.web.sign_in_views import redirect

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from starlette.datastructures import FormData
    from starlette.responses import Response

    from contactpoint.access.tokens import IssuedToken
    from contactpoint.organisations.models import Organisation

router = APIRouter(tags=["tokens"])

Managing = Annotated[ActiveSession, requires(Permission.ACCESS_API_TOKEN_MANAGE)]
MANAGING: Final = [requires(Permission.ACCESS_API_TOKEN_MANAGE)]

TOKENS_PAGE: Final = "/users/{user_id}/tokens"
API_USER_TOKENS: Final = "/api/v1/users/{user_id}/tokens"
API_REVOKE: Final = "/api/v1/tokens/{prefix}/revoke"
LONGEST_DAYS: Final = LONGEST_LIFETIME.days
_MAX_DAYS_DIGITS: Final = 3
DAYS_PROBLEM: Final = f"Enter a whole number of days from 1 to {LONGEST_DAYS}"

UserId = Annotated[int, Field(ge=1, le=2**31 - 1)]
Prefix = Annotated[str, Field(min_length=1, max_length=PREFIX_SHOWN)]


# --- Shared by the pages and the API -------------------------------------------------


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """What a new token should be: its holder's role, its scopes, its lifetime in days."""

    role: Role | None
    scopes: frozenset[Permission]
    days: int | None
    unknown_scopes: bool = False


def token_holder(session: Session, *, by: Principal, user_id: int) -> UserAccount | None:
    """The user, if ``by`` may manage their tokens; ``None`` outside that reach, as for no one."""
    user = session.get(UserAccount, user_id)
    if user is None or not _within_reach(by, user.organisation):
        return None
    return user


def tokens_of(session: Session, user: UserAccount) -> list[ApiToken]:
    """The user's tokens, newest first (revoked and expired ones too)."""
    query = (
        select(ApiToken)
        .where(ApiToken.user_id == user.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return list(session.scalars(query))


def scopes_offered(user: UserAccount, role: Role) -> list[Permission]:
    """What a token for ``user`` acting as ``role`` may carry, as the policy says, in order."""
    return sorted(scopes_a_token_may_carry(user, role))


def token_problems(user: UserAccount, wanted: TokenRequest) -> dict[str, str]:
    """What is wrong with a new token, by field; empty when it can be issued."""
    role = wanted.role if wanted.role in user.roles else None
    problems = {} if role else {"role": "Choose one of the user's roles for the token to act in"}
    return problems | scope_and_lifetime_problems(
        wanted.scopes,
        unknown=wanted.unknown_scopes,
        days=wanted.days,
        may_carry=frozenset(scopes_offered(user, role)) if role else None,
        beyond=f"Acting as {role.label}, a token cannot carry" if role else "",
    )


def scope_and_lifetime_problems(
    scopes: frozenset[Permission],
    *,
    unknown: bool,
    days: int | None,
    may_carry: frozenset[Permission] | None,
    beyond: str,
) -> dict[str, str]:
    """What is wrong with a new token's scopes and lifetime, by field.

    ``may_carry`` is all the token may carry (``None`` while that is unknown, as when no
    role is chosen); ``beyond`` begins the message naming the scopes outside it.
    """
    problems: dict[str, str] = {}
    if unknown:
        problems["scopes"] = "Choose only from the list of what the token may do"
    elif not scopes:
        problems["scopes"] = "Choose at least one thing the token may do"
    elif may_carry is not None and (outside := sorted(scopes - may_carry)):
        problems["scopes"] = f"{beyond}: {', '.join(outside)}"
    if days is None or not 1 <= days <= LONGEST_DAYS:
        problems["days"] = DAYS_PROBLEM
    return problems


def issue(
    session: Session, *, by: Principal, user: UserAccount, wanted: TokenRequest, now: dt.datetime
) -> IssuedToken:
    """Issue the token (checked by :func:`token_problems` first)."""
    if wanted.role is None or wanted.days is None:
        raise TokenError("Choose a role and how many days the token lasts.")
    return issue_token_for_user(
        session,
        by=by,
        user=user,
        acting_role=wanted.role,
        scopes=wanted.scopes,
        now=now,
        lifetime=dt.timedelta(days=wanted.days),
    )


def _within_reach(by: Principal, organisation: Organisation | None) -> bool:
    if organisation is None:
        return False
    target = target_of(organisation)
    return decide(by, Permission.ACCESS_API_TOKEN_MANAGE, target=target).allowed


def _owner_of(api_token: ApiToken) -> Organisation | None:
    return api_token.user.organisation if api_token.user is not None else api_token.organisation


# --- Pages ---------------------------------------------------------------------------


@router.get(TOKENS_PAGE, include_in_schema=False)
def tokens_page(
    request: Request, user_id: int, managing: Managing, session: DatabaseSession
) -> Response:
    user = token_holder(session, by=managing.principal, user_id=user_id)
    if user is None:
        return page_not_found(request)
    return _tokens_page(request, session, user, problems={}, form=None)


@router.post(TOKENS_PAGE, include_in_schema=False)
def issue_from_form(
    request: Request,
    *,
    user_id: int,
    managing: Managing,
    form: PostedForm,
    session: DatabaseSession,
    now: Now,
) -> Response:
    by = managing.principal
    user = token_holder(session, by=by, user_id=user_id)
    if user is None:
        return page_not_found(request)
    wanted = _request_from(form)
    problems = token_problems(user, wanted)
    if problems:
        return _tokens_page(request, session, user, problems=problems, form=form)
    try:
        issued = issue(session, by=by, user=user, wanted=wanted, now=now)
    except TokenError as error:
        session.rollback()
        return _tokens_page(request, session, user, problems={"scopes": str(error)}, form=form)
    session.commit()
    context = {"user": user, "issued": issued, "scopes": sorted(token_scopes(issued.api_token))}
    return render(request, "tokens/issued.html", context)


@router.post(TOKENS_PAGE + "/{token_id}/revoke", include_in_schema=False)
def revoke_from_page(
    request: Request,
    *,
    user_id: int,
    token_id: int,
    managing: Managing,
    session: DatabaseSession,
    now: Now,
) -> Response:
    by = managing.principal
    user = token_holder(session, by=by, user_id=user_id)
    api_token = None if user is None else session.get(ApiToken, token_id)
    if user is None or api_token is None or api_token.user_id != user.id:
        return page_not_found(request)
    revoke_token(session, by=by, api_token=api_token, now=now)
    session.commit()
    return redirect(TOKENS_PAGE.format(user_id=user.id))


def _tokens_page(
    request: Request,
    session: Session,
    user: UserAccount,
    *,
    problems: dict[str, str],
    form: FormData | None,
) -> Response:
    offered = sorted({p for role in user.roles for p in scopes_offered(user, role)})
    context = {
        "user": user,
        "tokens": [(token, sorted(token_scopes(token))) for token in tokens_of(session, user)],
        "roles": sorted(user.roles),
        "offered": offered,
        **issue_form(problems, form),
    }
    status = HTTPStatus.BAD_REQUEST if problems else HTTPStatus.OK
    return render(request, "tokens/list.html", context, status=status)


def issue_form(problems: dict[str, str], form: FormData | None) -> dict[str, object]:
    """The issue form's part of a tokens page: its problems, and what was posted to show again."""
    return {
        "problems": problems,
        "summary": error_summary(problems),
        "posted": echoed(form),
        "chosen_scopes": [] if form is None else form.getlist("scopes"),
        "longest_days": LONGEST_DAYS,
    }


def _request_from(form: FormData | None) -> TokenRequest:
    role = field(form, "role")
    scopes, unknown = scopes_from(form)
    return TokenRequest(
        role=Role(role) if role in set(Role) else None,
        scopes=scopes,
        days=days_from(form),
        unknown_scopes=unknown,
    )


def echoed(form: FormData | None) -> dict[str, str]:
    """The form's text fields to show again, without control characters (HTML forbids them)."""
    if form is None:
        return {}
    return {
        name: "".join(character for character in value if character.isprintable())
        for name, value in form.items()
        if isinstance(value, str)
    }


def scopes_from(form: FormData | None) -> tuple[frozenset[Permission], bool]:
    """The permissions ticked in the form's ``scopes``, and whether any name was unknown."""
    names = [] if form is None else [v for v in form.getlist("scopes") if isinstance(v, str)]
    known = {p.value: p for p in Permission}
    chosen = frozenset(known[name] for name in names if name in known)
    return chosen, any(name not in known for name in names)


def days_from(form: FormData | None) -> int | None:
    """The form's ``days`` as a number, or ``None`` if it is not a plain whole number."""
    days = field(form, "days")
    return int(days) if is_number(days, digits=_MAX_DAYS_DIGITS) else None


def is_number(text: str, *, digits: int) -> bool:
    """Plain ASCII digits only: ``str.isdigit`` also accepts "²", which ``int`` refuses."""
    return text.isascii() and text.isdigit() and len(text) <= digits


def page_not_found(request: Request) -> Response:
    return render(request, "errors/page-not-found.html", status=HTTPStatus.NOT_FOUND)


# --- API -----------------------------------------------------------------------------


class NewTokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    role: Role
    scopes: list[Permission] = Field(min_length=1, max_length=len(Permission))
    days: int = Field(ge=1, le=LONGEST_DAYS)


class TokenOut(BaseModel):
    prefix: str
    role: Role | None
    scopes: list[Permission]
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class IssuedTokenOut(BaseModel):
    token: str = Field(description="Shown this once only; ContactPoint keeps only its digest.")
    details: TokenOut


@router.get(API_USER_TOKENS, dependencies=MANAGING, response_model=list[TokenOut])
def user_tokens(request: Request, user_id: UserId, caller: Caller, session: DatabaseSession) -> Any:
    user = token_holder(session, by=caller, user_id=user_id)
    if user is None:
        return _user_not_found(request)
    return [_token_out(token) for token in tokens_of(session, user)]


@router.post(
    API_USER_TOKENS,
    dependencies=MANAGING,
    status_code=HTTPStatus.CREATED,
    response_model=IssuedTokenOut,
)
def issue_token(
    request: Request,
    *,
    user_id: UserId,
    new_token: NewTokenIn,
    caller: Caller,
    session: DatabaseSession,
    now: Now,
) -> Any:
    user = token_holder(session, by=caller, user_id=user_id)
    if user is None:
        return _user_not_found(request)
    wanted = TokenRequest(
        role=new_token.role, scopes=frozenset(new_token.scopes), days=new_token.days
    )
    problems = token_problems(user, wanted)
    if problems:
        return invalid(request, problems)
    try:
        issued = issue(session, by=caller, user=user, wanted=wanted, now=now)
    except TokenError as error:
        session.rollback()
        return invalid(request, {"scopes": str(error)})
    session.commit()
    return IssuedTokenOut(token=issued.token, details=_token_out(issued.api_token))


@router.post(API_REVOKE, dependencies=MANAGING, response_model=TokenOut)
def revoke(
    request: Request, prefix: Prefix, caller: Caller, session: DatabaseSession, now: Now
) -> Any:
    found = [t for t in tokens_with_prefix(session, prefix) if _within_reach(caller, _owner_of(t))]
    if not found:
        detail = "There is no token with that prefix that you manage."
        return problem(request, HTTPStatus.NOT_FOUND, detail)
    if len(found) > 1:
        detail = "More than one token has that prefix: revoke it from its tokens page."
        return problem(request, HTTPStatus.CONFLICT, detail)
    [api_token] = found
    revoke_token(session, by=caller, api_token=api_token, now=now)
    session.commit()
    return _token_out(api_token)


def _token_out(api_token: ApiToken) -> TokenOut:
    return TokenOut(
        prefix=api_token.prefix,
        role=api_token.acting_role,
        scopes=sorted(token_scopes(api_token)),
        created_at=api_token.created_at,
        expires_at=api_token.expires_at,
        last_used_at=api_token.last_used_at,
        revoked_at=api_token.revoked_at,
    )


def invalid(request: Request, problems: dict[str, str]) -> Response:
    """422 problem details naming each field of the body that is wrong."""
    errors = [
        {"location": ["body", name], "message": message, "type": "value_error"}
        for name, message in problems.items()
    ]
    return error_response(request, HTTPStatus.UNPROCESSABLE_ENTITY, problems=errors)


def _user_not_found(request: Request) -> Response:
    detail = "There is no user with that id whose tokens you manage."
    return problem(request, HTTPStatus.NOT_FOUND, detail)
