"""Random tokens, their digests, and the sealing of TOTP secrets at rest.

Every token (session, pre-sign-in, API, one-time link, CSRF) comes from
:mod:`secrets` with at least 256 bits of entropy, so a plain SHA-256 digest is
enough to store it: nobody can guess a token from its digest. Passwords are the
exception; they are low-entropy and get argon2id (:mod:`.passwords`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Final

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

TOKEN_BYTES: Final = 32
_SEALING_CONTEXT: Final = b"contactpoint access: TOTP secrets at rest"


def new_token(prefix: str = "") -> str:
    """A fresh random token, URL-safe; ``prefix`` says what it is (``cpt_`` for API tokens)."""
    return prefix + secrets.token_urlsafe(TOKEN_BYTES)


def digest(token: str) -> str:
    """The SHA-256 of a token in hexadecimal: what the database keeps instead of the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def same(given: str, expected: str) -> bool:
    """Compare secrets in constant time."""
    return hmac.compare_digest(given.encode(), expected.encode())


class UnsealError(Exception):
    """A sealed secret cannot be opened: the secret key changed, or the value was altered."""


class Sealer:
    """Seals short secrets (TOTP seeds) with a key derived from the service's secret key.

    Changing ``CONTACTPOINT_SECRET_KEY`` makes sealed secrets unreadable: every
    user then needs a second-factor reset.
    """

    def __init__(self, secret_key: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SEALING_CONTEXT).derive(
            secret_key.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def unseal(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as error:
            raise UnsealError(
                "cannot open a sealed secret: was CONTACTPOINT_SECRET_KEY changed?"
            ) from error
