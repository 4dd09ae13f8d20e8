"""API tokens for organisations' systems (service accounts): pages and API.

A service account is a named system of an organisation (a council's case-management
system, a school's feed sender) with a token of its own. Council teams manage those of
the organisations in their council's area, national administrators any organisation's
(``access:api_token:manage``, with the reach the policy gives). Pages are under
``/service-tokens``; the JSON API is ``/api/v1/service-tokens``, and a token is revoked
through the API by its prefix (``/api/v1/tokens/{prefix}/revoke``, shared with users'
tokens). An organisation outside the caller's reach is answered as one that does not
exist. Which organisations and tokens are within reach is asked of
:mod:`contactpoint.access.service_accounts`; tokens are issued and revoked only through
:mod:`contactpoint.access.tokens`, which asks the policy again and audits each change.
A token is shown once, in the answer that issues it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated, Any, Final

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from contactpoint.access.permissions import Permission
from contactpoint.access.service_accounts import (
    organisation_for_service_tokens,
    organisations_for_service_tokens,
    service_account_token,
    service_account_tokens,
)
from contactpoint.access.tokens import (
    SERVICE_ACCOUNT_NAME_LENGTH,
    TokenError,
    issue_token_for_service_account,
    revoke_token,
    scopes_a_service_account_may_carry,
    service_account_name_problem,
    token_scopes,
)
from contactpoint.web.authorisation import Caller, problem
from contactpoint.web.dependencies import DatabaseSession, Now
from contactpoint.web.forms import PostedForm, field
from contactpoint.web.pages import render
from contactpoint.web.sign_in_views import redirect
from contactpoint.web.token_views import (
    LONGEST_DAYS,
    MANAGING,
    Managing,
    days_from,
    invalid,
    is_number,
    issue_form,
    page_not_found,
    scope_and_lifetime_problems,
    scopes_from,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from starlette.datastructures import FormData
    from starlette.responses import Response

    from contactpoint.access.models import ApiToken
    from contactpoint.access.policy import Principal
    from contactpoint.access.tokens import IssuedToken
    from contactpoint.organisations.models import Organisation

router = APIRouter(tags=["service tokens"])

SERVICE_TOKENS_PAGE: Final = "/service-tokens"
API_SERVICE_TOKENS: Final = "/api/v1/service-tokens"
LARGEST_ID: Final = 2**31 - 1
_ID_DIGITS: Final = len(str(LARGEST_ID))
_NO_ORGANISATION: Final = "Choose an organisation whose tokens you manage"
_NO_SUCH_ORGANISATION: Final = "There is no organisation with that id whose tokens you manage."

OrganisationId = Annotated[int, Field(ge=1, le=LARGEST_ID)]


# --- Shared by the pages and the API -------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServiceTokenRequest:
    """What a new token should be: whose system, its name, its scopes, its lifetime in days.

    ``organisation`` is ``None`` when none was chosen, or one outside the caller's reach.
    """

    organisation: Organisation | None
    name: str
    scopes: frozenset[Permission]
    days: int | None
    unknown_scopes: bool = False


def service_token_problems(wanted: ServiceTokenRequest) -> dict[str, str]:
    """What is wrong with a new service account's token, by field; empty when it can be issued."""
    problems: dict[str, str] = {}
    if wanted.organisation is None:
        problems["organisation"] = _NO_ORGANISATION
    name_problem = service_account_name_problem(wanted.name)
    if name_problem is not None:
        problems["name"] = name_problem
    return problems | scope_and_lifetime_problems(
        wanted.scopes,
        unknown=wanted.unknown_scopes,
        days=wanted.days,
        may_carry=scopes_a_service_account_may_carry(),
        beyond="A system's token cannot carry",
    )


def issue(
    session: Session, *, by: Principal, wanted: ServiceTokenRequest, now: dt.datetime
) -> IssuedToken:
    """Issue the token (checked by :func:`service_token_problems` first)."""
    if wanted.organisation is None or wanted.days is None:
        raise TokenError("Choose an organisation and how many days the token lasts.")
    return issue_token_for_service_account(
        session,
        by=by,
        name=wanted.name,
        organisation=wanted.organisation,
        scopes=wanted.scopes,
        now=now,
        lifetime=dt.timedelta(days=wanted.days),
    )


# --- Pages ---------------------------------------------------------------------------


@router.get(SERVICE_TOKENS_PAGE, include_in_schema=False)
def service_tokens_page(request: Request, managing: Managing, session: DatabaseSession) -> Response:
    return _service_tokens_page(request, session, managing.principal, problems={}, form=None)


@router.post(SERVICE_TOKENS_PAGE, include_in_schema=False)
def issue_from_form(
    request: Request, managing: Managing, form: PostedForm, session: DatabaseSession, now: Now
) -> Response:
    by = managing.principal
    wanted = _request_from(session, by, form)
    problems = service_token_problems(wanted)
    if problems:
        return _service_tokens_page(request, session, by, problems=problems, form=form)
    try:
        issued = issue(session, by=by, wanted=wanted, now=now)
    except TokenError as error:
        session.rollback()
        problems = {"scopes": str(error)}
        return _service_tokens_page(request, session, by, problems=problems, form=form)
    session.commit()
    context = {"issued": issued, "scopes": sorted(token_scopes(issued.api_token))}
    return render(request, "tokens/service-issued.html", context)


@router.post(SERVICE_TOKENS_PAGE + "/{token_id}/revoke", include_in_schema=False)
def revoke_from_page(
    request: Request, token_id: int, managing: Managing, session: DatabaseSession, now: Now
) -> Response:
    by = managing.principal
    api_token = service_account_token(session, by=by, token_id=token_id)
    if api_token is None:
        return page_not_found(request)
    revoke_token(session, by=by, api_token=api_token, now=now)
    session.commit()
    return redirect(SERVICE_TOKENS_PAGE)


def _service_tokens_page(
    request: Request,
    session: Session,
    by: Principal,
    *,
    problems: dict[str, str],
    form: FormData | None,
) -> Response:
    tokens = service_account_tokens(session, by=by)
    context = {
        "tokens": [(token, sorted(token_scopes(token))) for token in tokens],
        "organisations": organisations_for_service_tokens(session, by=by),
        "offered": sorted(scopes_a_service_account_may_carry()),
        "name_length": SERVICE_ACCOUNT_NAME_LENGTH,
        **issue_form(problems, form),
    }
    status = HTTPStatus.BAD_REQUEST if problems else HTTPStatus.OK
    return render(request, "tokens/service-list.html", context, status=status)


def _request_from(session: Session, by: Principal, form: FormData | None) -> ServiceTokenRequest:
    scopes, unknown = scopes_from(form)
    return ServiceTokenRequest(
        organisation=_organisation_from(session, by, field(form, "organisation")),
        name=field(form, "name"),
        scopes=scopes,
        days=days_from(form),
        unknown_scopes=unknown,
    )


def _organisation_from(session: Session, by: Principal, chosen: str) -> Organisation | None:
    if not is_number(chosen, digits=_ID_DIGITS) or not 1 <= int(chosen) <= LARGEST_ID:
        return None
    return organisation_for_service_tokens(session, by=by, organisation_id=int(chosen))


# --- API -----------------------------------------------------------------------------


class NewServiceTokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    organisation_id: OrganisationId
    name: str = Field(min_length=1, max_length=SERVICE_ACCOUNT_NAME_LENGTH)
    scopes: list[Permission] = Field(min_length=1, max_length=len(Permission))
    days: int = Field(ge=1, le=LONGEST_DAYS)


class ServiceTokenOut(BaseModel):
    prefix: str
    organisation_id: int
    name: str
    scopes: list[Permission]
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class IssuedServiceTokenOut(BaseModel):
    token: str = Field(description="Shown this once only; ContactPoint keeps only its digest.")
    details: ServiceTokenOut


@router.get(API_SERVICE_TOKENS, dependencies=MANAGING, response_model=list[ServiceTokenOut])
def list_service_tokens(
    request: Request,
    caller: Caller,
    session: DatabaseSession,
    organisation_id: Annotated[int | None, Query(ge=1, le=LARGEST_ID)] = None,
) -> Any:
    """Service accounts' tokens you manage, newest first; one organisation's if given."""
    if organisation_id is not None and (
        organisation_for_service_tokens(session, by=caller, organisation_id=organisation_id) is None
    ):
        return _organisation_not_found(request)
    tokens = service_account_tokens(session, by=caller, organisation_id=organisation_id)
    return [_token_out(token) for token in tokens]


@router.post(
    API_SERVICE_TOKENS,
    dependencies=MANAGING,
    status_code=HTTPStatus.CREATED,
    response_model=IssuedServiceTokenOut,
)
def issue_service_token(
    request: Request,
    new_token: NewServiceTokenIn,
    caller: Caller,
    session: DatabaseSession,
    now: Now,
) -> Any:
    """Issue a token for an organisation's system; the token is in this answer only."""
    organisation = organisation_for_service_tokens(
        session, by=caller, organisation_id=new_token.organisation_id
    )
    wanted = ServiceTokenRequest(
        organisation=organisation,
        name=new_token.name,
        scopes=frozenset(new_token.scopes),
        days=new_token.days,
    )
    problems = service_token_problems(wanted)
    if problems:
        return invalid(request, _api_fields(problems))
    try:
        issued = issue(session, by=caller, wanted=wanted, now=now)
    except TokenError as error:
        session.rollback()
        return invalid(request, {"scopes": str(error)})
    session.commit()
    return IssuedServiceTokenOut(token=issued.token, details=_token_out(issued.api_token))


def _api_fields(problems: dict[str, str]) -> dict[str, str]:
    """The body's field names: the form's ``organisation`` is the API's ``organisation_id``."""
    fields = dict(problems)
    if fields.pop("organisation", None) is not None:
        fields = {"organisation_id": _NO_SUCH_ORGANISATION, **fields}
    return fields


def _token_out(api_token: ApiToken) -> ServiceTokenOut:
    return ServiceTokenOut(
        prefix=api_token.prefix,
        organisation_id=api_token.organisation_id or 0,
        name=api_token.service_account or "",
        scopes=sorted(token_scopes(api_token)),
        created_at=api_token.created_at,
        expires_at=api_token.expires_at,
        last_used_at=api_token.last_used_at,
        revoked_at=api_token.revoked_at,
    )


def _organisation_not_found(request: Request) -> Response:
    return problem(request, HTTPStatus.NOT_FOUND, _NO_SUCH_ORGANISATION)
