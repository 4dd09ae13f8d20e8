"""API tokens for councils' case-management systems and feed senders.

A token is tied to a user (acting in one of their roles) or to a named service
account of an organisation. It is shown once when issued; the database keeps
its SHA-256 digest and a short prefix to recognise it by. Every token is scoped
(a list of permissions), expires, and can be revoked. Each use re-checks the
user's conditions of access, or the service account's organisation's
accreditation, so a suspended user's tokens stop working at once. A token that is
known but refused (revoked, expired, or its holder's access lapsed) is recorded in
the audit trail, by identifier; an unknown one cannot be tied to anyone and is not.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from sqlalchemy import select

from contactpoint.access import audit_trail
from contactpoint.access.credentials import digest, new_token
from contactpoint.access.models import ApiToken, UserAccount
from contactpoint.access.permissions import Permission, permission_named
from contactpoint.access.policy import (
    NEEDS_REAUTHENTICATION,
    SERVICE_ACCOUNT_GRANTS,
    Principal,
    Role,
    access_conditions,
    decide,
    may_issue_token,
    permissions_for,
    principal_for_service_account,
    principal_for_user,
    require,
    target_of,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlalchemy.orm import Session

    from contactpoint.organisations.models import Organisation

TOKEN_PREFIX: Final = "cpt_"  # noqa: S105 - marks a ContactPoint token, not a secret
PREFIX_SHOWN: Final = 12  # characters kept to recognise a token by, e.g. in a list
DEFAULT_LIFETIME: Final = dt.timedelta(days=90)
LONGEST_LIFETIME: Final = dt.timedelta(days=365)
SERVICE_ACCOUNT_NAME_LENGTH: Final = 100  # the column's length, and the audit label's


class TokenError(ValueError):
    """A token cannot be issued as asked; the message says why."""


class TokenRefusal(enum.StrEnum):
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    EXPIRED = "expired"
    ACCESS_LAPSED = "access_lapsed"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """``token`` is shown once, to the person issuing it."""

    token: str
    api_token: ApiToken


@dataclass(frozen=True, slots=True)
class TokenAccepted:
    principal: Principal
    api_token: ApiToken


@dataclass(frozen=True, slots=True)
class TokenRefused:
    refusal: TokenRefusal
    message: str


def issue_token_for_user(
    session: Session,
    *,
    by: Principal,
    user: UserAccount,
    acting_role: Role,
    scopes: Iterable[Permission],
    now: dt.datetime,
    lifetime: dt.timedelta = DEFAULT_LIFETIME,
) -> IssuedToken:
    require(may_issue_token(by, organisation=user.organisation, user_id=user.id))
    wanted = _scopes(scopes, allowed=scopes_a_token_may_carry(user, acting_role))
    api_token = ApiToken(user=user, acting_role=acting_role)
    return _issue(session, by=by, api_token=api_token, scopes=wanted, now=now, lifetime=lifetime)


def issue_token_for_service_account(
    session: Session,
    *,
    by: Principal,
    name: str,
    organisation: Organisation,
    scopes: Iterable[Permission],
    now: dt.datetime,
    lifetime: dt.timedelta = DEFAULT_LIFETIME,
) -> IssuedToken:
    require(decide(by, Permission.ACCESS_API_TOKEN_MANAGE, target=target_of(organisation)))
    problem = service_account_name_problem(name)
    if problem is not None:
        raise TokenError(problem + ".")
    wanted = _scopes(scopes, allowed=scopes_a_service_account_may_carry())
    api_token = ApiToken(service_account=name.strip(), organisation=organisation)
    return _issue(session, by=by, api_token=api_token, scopes=wanted, now=now, lifetime=lifetime)


def authenticate_token(
    session: Session, *, token: str, now: dt.datetime
) -> TokenAccepted | TokenRefused:
    """Who is calling, if the token is known, unrevoked, unexpired and its owner may still."""
    api_token = _find(session, token=token)
    if api_token is None:
        return TokenRefused(TokenRefusal.UNKNOWN, "The API token is not recognised.")
    accepted = _still_good(api_token, now=now)
    if isinstance(accepted, TokenRefused):
        audit_trail.api_token_refused(
            session,
            api_token=api_token,
            organisation_id=_owner(api_token).id,
            failure=accepted.refusal.value,
        )
        return accepted
    api_token.last_used_at = now
    session.flush()
    return TokenAccepted(principal=accepted, api_token=api_token)


def revoke_token(session: Session, *, by: Principal, api_token: ApiToken, now: dt.datetime) -> None:
    require(decide(by, Permission.ACCESS_API_TOKEN_MANAGE, target=target_of(_owner(api_token))))
    if api_token.revoked_at is None:
        api_token.revoked_at = now
        session.flush()
        _audit(session, by=by, api_token=api_token, action="revoke_api_token")


def scopes_a_token_may_carry(user: UserAccount, acting_role: Role) -> frozenset[Permission]:
    """What a token for ``user`` acting as ``acting_role`` may do: never the high-risk ones."""
    return frozenset(permissions_for(user, acting_role)) - NEEDS_REAUTHENTICATION


def scopes_a_service_account_may_carry() -> frozenset[Permission]:
    """What a service account's token may do: the policy's grants, never the high-risk ones."""
    return frozenset(SERVICE_ACCOUNT_GRANTS) - NEEDS_REAUTHENTICATION


def service_account_name_problem(name: str) -> str | None:
    """What is wrong with ``name`` as a service account's name, if anything (as a sentence
    without its full stop, to show beside the field)."""
    stripped = name.strip()
    if not stripped:
        return "Enter the name of the system that will use the token"
    if len(stripped) > SERVICE_ACCOUNT_NAME_LENGTH:
        return f"The name must be {SERVICE_ACCOUNT_NAME_LENGTH} characters or fewer"
    if any(not character.isprintable() for character in stripped):
        return "The name must be plain text on one line"
    return None


def tokens_with_prefix(session: Session, prefix: str) -> list[ApiToken]:
    """The tokens whose shown prefix is ``prefix`` (how people name a token they hold)."""
    return list(session.scalars(select(ApiToken).where(ApiToken.prefix == prefix.strip())))


def token_scopes(api_token: ApiToken) -> frozenset[Permission]:
    return frozenset(permission_named(scope) for scope in api_token.scopes.split())


def _issue(
    session: Session,
    *,
    by: Principal,
    api_token: ApiToken,
    scopes: frozenset[Permission],
    now: dt.datetime,
    lifetime: dt.timedelta,
) -> IssuedToken:
    if not dt.timedelta(0) < lifetime <= LONGEST_LIFETIME:
        raise TokenError("A token must expire, within a year at most.")
    token = new_token(TOKEN_PREFIX)
    api_token.token_hash = digest(token)
    api_token.prefix = token[:PREFIX_SHOWN]
    api_token.scopes = " ".join(sorted(scopes))
    api_token.created_at = now
    api_token.expires_at = now + lifetime
    session.add(api_token)
    session.flush()
    _audit(session, by=by, api_token=api_token, action="issue_api_token")
    return IssuedToken(token=token, api_token=api_token)


def _audit(session: Session, *, by: Principal, api_token: ApiToken, action: str) -> None:
    changes = {"api_token_id": (None, api_token.id), "scopes": (None, api_token.scopes)}
    if api_token.user is not None:
        audit_trail.user_changed(
            session, by=by, user=api_token.user, action=action, changes=changes
        )
    else:
        organisation_id = _owner(api_token).id
        audit_trail.organisation_changed(
            session, by=by, organisation_id=organisation_id, action=action, changes=changes
        )


def _scopes(
    scopes: Iterable[Permission], *, allowed: frozenset[Permission]
) -> frozenset[Permission]:
    wanted = frozenset(scopes)
    if not wanted:
        raise TokenError("Choose at least one thing the token may do.")
    beyond = sorted(wanted - (allowed - NEEDS_REAUTHENTICATION))
    if beyond:
        raise TokenError("A token cannot be scoped to: " + ", ".join(beyond) + ".")
    return wanted


def _find(session: Session, *, token: str) -> ApiToken | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    return session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(token)))


def _still_good(api_token: ApiToken, *, now: dt.datetime) -> Principal | TokenRefused:
    if api_token.revoked_at is not None:
        return TokenRefused(TokenRefusal.REVOKED, "The API token has been revoked.")
    if now >= api_token.expires_at:
        return TokenRefused(TokenRefusal.EXPIRED, "The API token has expired.")
    return _principal(api_token, now=now)


def _principal(api_token: ApiToken, *, now: dt.datetime) -> Principal | TokenRefused:
    scopes = token_scopes(api_token)
    organisation = _owner(api_token)
    if api_token.user is not None and api_token.acting_role is not None:
        lapsed = access_conditions(api_token.user, organisation, today=now.date())
        if lapsed or api_token.acting_role not in api_token.user.roles:
            message = " ".join(c.message for c in lapsed) or "The token's role was withdrawn."
            return TokenRefused(TokenRefusal.ACCESS_LAPSED, message)
        return principal_for_user(
            api_token.user,
            acting_role=api_token.acting_role,
            scopes=scopes,
            session_ref=audit_trail.token_ref(api_token),
        )
    if not organisation.is_accredited:
        message = f"{organisation.name} is not accredited to use ContactPoint."
        return TokenRefused(TokenRefusal.ACCESS_LAPSED, message)
    name = api_token.service_account or api_token.prefix
    return principal_for_service_account(
        name, organisation=organisation, scopes=scopes, session_ref=audit_trail.token_ref(api_token)
    )


def _owner(api_token: ApiToken) -> Organisation:
    if api_token.user is not None:
        return api_token.user.organisation
    if api_token.organisation is None:
        raise TokenError("The token belongs to neither a user nor an organisation.")
    return api_token.organisation
