"""Service accounts' API tokens: which ones a principal manages, and for which organisations.

A service account is a named system of an organisation (a council's case-management
system, a school's feed sender) that holds a token of its own rather than one acting
for a user. Tokens are issued and revoked only through :mod:`contactpoint.access.tokens`,
which asks the policy again and audits each change; this module answers the listings,
within the reach the policy gives the principal for ``access:api_token:manage``
(:func:`contactpoint.access.reach.organisations_within_reach`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from contactpoint.access.models import ApiToken
from contactpoint.access.permissions import Permission
from contactpoint.access.policy import decide, target_of
from contactpoint.access.reach import organisations_within_reach
from contactpoint.organisations.models import Organisation

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from contactpoint.access.policy import Principal

MANAGE = Permission.ACCESS_API_TOKEN_MANAGE


def organisations_for_service_tokens(session: Session, *, by: Principal) -> list[Organisation]:
    """The organisations whose service accounts ``by`` may issue tokens for, by name."""
    reach = organisations_within_reach(session, principal=by, permission=MANAGE)
    if reach is not None and not reach:
        return []
    query = select(Organisation).order_by(Organisation.name, Organisation.id)
    if reach is not None:
        query = query.where(Organisation.id.in_(reach))
    return list(session.scalars(query))


def organisation_for_service_tokens(
    session: Session, *, by: Principal, organisation_id: int
) -> Organisation | None:
    """The organisation, if ``by`` manages its tokens; ``None`` outside that reach, as for none.

    Answering the same for both says nothing about which organisations exist elsewhere.
    """
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or not decide(by, MANAGE, target=target_of(organisation)).allowed:
        return None
    return organisation


def service_account_tokens(
    session: Session, *, by: Principal, organisation_id: int | None = None
) -> list[ApiToken]:
    """Service accounts' tokens within ``by``'s reach (one organisation's if given), newest
    first, revoked and expired ones too."""
    reach = organisations_within_reach(session, principal=by, permission=MANAGE)
    if reach is not None and not reach:
        return []
    query = (
        select(ApiToken)
        .where(ApiToken.service_account.is_not(None))
        .options(selectinload(ApiToken.organisation))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    if reach is not None:
        query = query.where(ApiToken.organisation_id.in_(reach))
    if organisation_id is not None:
        query = query.where(ApiToken.organisation_id == organisation_id)
    return list(session.scalars(query))


def service_account_token(session: Session, *, by: Principal, token_id: int) -> ApiToken | None:
    """A service account's token, if ``by`` manages its organisation's tokens; else ``None``."""
    api_token = session.get(ApiToken, token_id)
    if api_token is None or api_token.organisation_id is None or api_token.user_id is not None:
        return None
    organisation_id = api_token.organisation_id
    if organisation_for_service_tokens(session, by=by, organisation_id=organisation_id) is None:
        return None
    return api_token
