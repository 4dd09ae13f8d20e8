"""One-time links: a first sign-in, a password reset, a second-factor reset.

A council's team issues a link for one of its users; the token is shown once
(the team passes it on), the database keeps its digest, and it works once,
until it expires. Issuing a new link of the same kind voids the older ones.

- A first sign-in or password reset link sets a new password. If the account
  has no second factor yet, the user goes straight on to set one up.
- A second-factor reset link, with the account's password, removes the
  authenticator app and passkeys and lets the user set up new ones.

Either way every open session of the account ends.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, cast

from sqlalchemy import select, update

from contactpoint.access import audit_trail, second_factor, throttling
from contactpoint.access.credentials import digest, new_token
from contactpoint.access.models import LinkPurpose, OneTimeLink, SessionEndReason, UserAccount
from contactpoint.access.passwords import check_password, require_acceptable_password
from contactpoint.access.policy import may_manage_user, require
from contactpoint.access.sessions import end_all_sessions
from contactpoint.access.sign_in import (
    WRONG_PASSWORD,
    SecondFactorNeeded,
    SignInRefused,
    begin_pending_sign_in,
    record_failed_attempt,
    throttle_check,
)
from contactpoint.access.users import set_password

if TYPE_CHECKING:
    from sqlalchemy.engine import CursorResult
    from sqlalchemy.orm import Session

    from contactpoint.access.policy import Principal

LIFETIMES: Final = {
    LinkPurpose.FIRST_SIGN_IN: dt.timedelta(days=3),
    LinkPurpose.PASSWORD_RESET: dt.timedelta(hours=24),
    LinkPurpose.SECOND_FACTOR_RESET: dt.timedelta(hours=24),
}
# Where the web layer serves a link's page; the page asks the link its purpose.
LINK_PATH: Final = "/account/links/{token}"
LINK_UNUSABLE: Final = (
    "This link has expired or has already been used. "
    "Ask your council's ContactPoint team for a new one."
)


@dataclass(frozen=True, slots=True)
class IssuedLink:
    """``token`` is shown once, to the person issuing it; only its digest is kept."""

    token: str
    link: OneTimeLink


@dataclass(frozen=True, slots=True)
class PasswordSet:
    """The password is set and the account has a second factor: sign in as usual."""

    user: UserAccount


def issue_one_time_link(
    session: Session,
    *,
    by: Principal,
    user: UserAccount,
    purpose: LinkPurpose,
    now: dt.datetime,
    lifetime: dt.timedelta | None = None,
) -> IssuedLink:
    require(may_manage_user(by, organisation=user.organisation, user_id=user.id))
    _void_older_links(session, user=user, purpose=purpose, now=now)
    token = new_token()
    link = OneTimeLink(
        token_hash=digest(token),
        user_id=user.id,
        purpose=purpose,
        created_at=now,
        expires_at=now + (lifetime or LIFETIMES[purpose]),
    )
    session.add(link)
    session.flush()
    audit_trail.user_changed(session, by=by, user=user, action=f"issue_{purpose.value}_link")
    return IssuedLink(token=token, link=link)


def link_address(public_url: str, token: str) -> str:
    """The full address to give the user, e.g. https://contactpoint.example/account/links/..."""
    return public_url.rstrip("/") + LINK_PATH.format(token=token)


def usable_link(session: Session, *, token: str, now: dt.datetime) -> OneTimeLink | None:
    """The link for ``token`` if it can still be used (for showing its page); not used up."""
    query = select(OneTimeLink).where(OneTimeLink.token_hash == digest(token))
    link = session.scalar(query) if token else None
    if link is None or link.used_at is not None or now >= link.expires_at:
        return None
    return link


def set_password_with_link(
    session: Session, *, token: str, new_password: str, now: dt.datetime
) -> PasswordSet | SecondFactorNeeded | SignInRefused:
    """A first sign-in or password reset. Policy problems raise ``PasswordPolicyError``
    before the link is used up, so the user can try another password."""
    link = usable_link(session, token=token, now=now)
    if link is None or link.purpose is LinkPurpose.SECOND_FACTOR_RESET:
        return SignInRefused(LINK_UNUSABLE)
    user = link.user
    require_acceptable_password(new_password, username=user.username)
    if not _use_up(session, link=link, now=now):
        return SignInRefused(LINK_UNUSABLE)
    set_password(user, new_password, now=now)
    end_all_sessions(session, user_id=user.id, reason=SessionEndReason.CREDENTIALS_CHANGED, now=now)
    throttling.forget_failures(session, key=throttling.account_key(user.username))
    audit_trail.own_account_changed(session, user=user, action=f"use_{link.purpose.value}_link")
    if user.has_second_factor:
        return PasswordSet(user=user)
    return begin_pending_sign_in(session, user=user, may_set_up=True, now=now)


def reset_second_factor_with_link(
    session: Session, *, token: str, password: str, client_key: str, now: dt.datetime
) -> SecondFactorNeeded | SignInRefused:
    """Remove the account's second factors (with its password) and set up new ones."""
    link = usable_link(session, token=token, now=now)
    if link is None or link.purpose is not LinkPurpose.SECOND_FACTOR_RESET:
        return SignInRefused(LINK_UNUSABLE)
    user = link.user
    refused = throttle_check(session, username=user.username, client_key=client_key, now=now)
    if refused is not None:
        return refused
    if not check_password(password, user.password_hash).hash_matches:
        record_failed_attempt(
            session,
            username=user.username,
            user=user,
            client_key=client_key,
            method="link",
            failure="wrong_password",
            now=now,
        )
        return SignInRefused(WRONG_PASSWORD)
    if not _use_up(session, link=link, now=now):
        return SignInRefused(LINK_UNUSABLE)
    second_factor.clear_totp(user)
    user.passkeys.clear()
    end_all_sessions(session, user_id=user.id, reason=SessionEndReason.CREDENTIALS_CHANGED, now=now)
    audit_trail.own_account_changed(session, user=user, action=f"use_{link.purpose.value}_link")
    return begin_pending_sign_in(session, user=user, may_set_up=True, now=now)


def _use_up(session: Session, *, link: OneTimeLink, now: dt.datetime) -> bool:
    """Claim the link with one conditional UPDATE, so two requests cannot both use it."""
    session.flush()
    result = cast(
        "CursorResult[tuple[()]]",
        session.execute(
            update(OneTimeLink)
            .where(OneTimeLink.id == link.id, OneTimeLink.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session="fetch")
        ),
    )
    return result.rowcount == 1


def _void_older_links(
    session: Session, *, user: UserAccount, purpose: LinkPurpose, now: dt.datetime
) -> None:
    session.execute(
        update(OneTimeLink)
        .where(
            OneTimeLink.user_id == user.id,
            OneTimeLink.purpose == purpose,
            OneTimeLink.used_at.is_(None),
            OneTimeLink.expires_at > now,
        )
        .values(expires_at=now)
        .execution_options(synchronize_session="fetch")
    )
