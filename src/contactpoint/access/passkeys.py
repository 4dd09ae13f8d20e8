"""Passkeys (WebAuthn): the alternative second factor, with the ``webauthn`` package.

Each ceremony starts with a random challenge kept server-side for 5 minutes and
usable once; a response is accepted only if it signs a challenge we issued to
that user for that ceremony, for our relying party and origin.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, cast
from urllib.parse import urlsplit

from sqlalchemy import select, update
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    generate_challenge,
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from contactpoint.access.models import (
    Ceremony,
    UserAccount,
    WebAuthnChallenge,
    WebAuthnCredential,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import CursorResult
    from sqlalchemy.orm import Session

    from contactpoint.settings import Settings

CHALLENGE_LIFETIME: Final = dt.timedelta(minutes=5)
_CEREMONY_TIMEOUT_MS: Final = 120_000


class PasskeyError(Exception):
    """A passkey response was refused; the message is fit to show the user."""


@dataclass(frozen=True, slots=True)
class RelyingParty:
    """Who the passkeys are for: ``id`` is the host name, ``origin`` the site's address."""

    id: str
    name: str
    origin: str


def relying_party_from(settings: Settings) -> RelyingParty:
    parts = urlsplit(settings.public_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    return RelyingParty(id=parts.hostname or "localhost", name="ContactPoint", origin=origin)


def begin_passkey_registration(
    session: Session, *, user: UserAccount, relying_party: RelyingParty, now: dt.datetime
) -> str:
    """Options (JSON) for ``navigator.credentials.create()``."""
    options = generate_registration_options(
        rp_id=relying_party.id,
        rp_name=relying_party.name,
        user_name=user.username,
        user_id=base64url_to_bytes(user.webauthn_user_handle),
        user_display_name=user.display_name,
        challenge=_issue_challenge(session, user=user, ceremony=Ceremony.REGISTRATION, now=now),
        timeout=_CEREMONY_TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(user),
    )
    return options_to_json(options)


def finish_passkey_registration(
    session: Session,
    *,
    user: UserAccount,
    credential_json: str,
    relying_party: RelyingParty,
    now: dt.datetime,
) -> WebAuthnCredential:
    """Keep the new passkey, if the response answers our challenge; else :class:`PasskeyError`."""
    try:
        credential = parse_registration_credential_json(credential_json)
        challenge = parse_client_data_json(credential.response.client_data_json).challenge
        _claim_challenge(
            session, user=user, ceremony=Ceremony.REGISTRATION, challenge=challenge, now=now
        )
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=relying_party.id,
            expected_origin=relying_party.origin,
        )
    except WebAuthnException as error:
        raise PasskeyError("The passkey could not be added. Try again.") from error
    passkey = WebAuthnCredential(
        user=user,
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=" ".join(t.value for t in credential.response.transports or []),
        created_at=now,
    )
    session.add(passkey)
    session.flush()
    return passkey


def begin_passkey_authentication(
    session: Session, *, user: UserAccount, relying_party: RelyingParty, now: dt.datetime
) -> str:
    """Options (JSON) for ``navigator.credentials.get()``, limited to the user's passkeys."""
    options = generate_authentication_options(
        rp_id=relying_party.id,
        challenge=_issue_challenge(session, user=user, ceremony=Ceremony.AUTHENTICATION, now=now),
        timeout=_CEREMONY_TIMEOUT_MS,
        allow_credentials=_descriptors(user),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json(options)


def verify_passkey_authentication(
    session: Session,
    *,
    user: UserAccount,
    credential_json: str,
    relying_party: RelyingParty,
    now: dt.datetime,
) -> bool:
    """Whether the response signs our challenge with one of ``user``'s passkeys."""
    try:
        credential = parse_authentication_credential_json(credential_json)
        passkey = _passkey_of(session, user=user, raw_id=credential.raw_id)
        challenge = parse_client_data_json(credential.response.client_data_json).challenge
        _claim_challenge(
            session, user=user, ceremony=Ceremony.AUTHENTICATION, challenge=challenge, now=now
        )
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=relying_party.id,
            expected_origin=relying_party.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
        )
    except (WebAuthnException, PasskeyError):
        return False
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = now
    session.flush()
    return True


def _issue_challenge(
    session: Session, *, user: UserAccount, ceremony: Ceremony, now: dt.datetime
) -> bytes:
    challenge = generate_challenge()
    session.add(
        WebAuthnChallenge(
            user_id=user.id,
            ceremony=ceremony,
            challenge=bytes_to_base64url(challenge),
            expires_at=now + CHALLENGE_LIFETIME,
        )
    )
    session.flush()
    return challenge


def _claim_challenge(
    session: Session, *, user: UserAccount, ceremony: Ceremony, challenge: bytes, now: dt.datetime
) -> None:
    """Use up the challenge, which must be ours, this user's, unexpired and unused."""
    result = cast(
        "CursorResult[tuple[()]]",
        session.execute(
            update(WebAuthnChallenge)
            .where(WebAuthnChallenge.challenge == bytes_to_base64url(challenge))
            .where(WebAuthnChallenge.user_id == user.id)
            .where(WebAuthnChallenge.ceremony == ceremony)
            .where(WebAuthnChallenge.used_at.is_(None))
            .where(WebAuthnChallenge.expires_at > now)
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != 1:
        raise PasskeyError("The passkey request has expired or was not ours. Try again.")


def _passkey_of(session: Session, *, user: UserAccount, raw_id: bytes) -> WebAuthnCredential:
    passkey = session.scalar(
        select(WebAuthnCredential)
        .where(WebAuthnCredential.user_id == user.id)
        .where(WebAuthnCredential.credential_id == bytes_to_base64url(raw_id))
    )
    if passkey is None:
        raise PasskeyError("That passkey is not registered to this account.")
    return passkey


def _descriptors(user: UserAccount) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(passkey.credential_id),
            transports=[AuthenticatorTransport(t) for t in passkey.transports.split()] or None,
        )
        for passkey in user.passkeys
    ]
