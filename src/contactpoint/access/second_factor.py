"""One-time codes from an authenticator app (TOTP, RFC 6238: 6 digits, 30-second steps).

A code is accepted one step either side of now (clocks drift), and each code is
usable once: the account remembers the last step used and refuses that step and
every earlier one. The step is claimed with one conditional UPDATE, so two
requests racing with the same code cannot both succeed.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, cast

import pyotp
import segno
from sqlalchemy import or_, update

from contactpoint.access.credentials import same
from contactpoint.access.models import UserAccount

if TYPE_CHECKING:
    from sqlalchemy.engine import CursorResult
    from sqlalchemy.orm import Session

    from contactpoint.access.credentials import Sealer

TOTP_STEP_SECONDS: Final = 30
TOTP_DIGITS: Final = 6
TOTP_ISSUER: Final = "ContactPoint"
DRIFT_STEPS: Final = 1
_SECRET_BYTES: Final = 20  # 160 bits, as RFC 4226 recommends


class SecondFactorSetUpError(Exception):
    """A second factor cannot be set up now; the message says why."""


@dataclass(frozen=True, slots=True)
class TotpSetUp:
    """What the set-up page shows: a QR code, and the key for typing in by hand."""

    secret: str
    provisioning_uri: str
    qr_code_svg: str


def new_totp_secret() -> str:
    return base64.b32encode(secrets.token_bytes(_SECRET_BYTES)).decode()


def step_at(moment: dt.datetime) -> int:
    return int(moment.timestamp()) // TOTP_STEP_SECONDS


def code_at(secret: str, moment: dt.datetime) -> str:
    """The code an authenticator app shows at ``moment`` (for the operator's command)."""
    return _totp(secret).generate_otp(step_at(moment))


def current_code(user: UserAccount, *, sealer: Sealer, now: dt.datetime) -> str:
    if user.totp_secret_sealed is None:
        raise SecondFactorSetUpError(f"{user.username} has no authenticator app set up.")
    return code_at(sealer.unseal(user.totp_secret_sealed), now)


def begin_totp_set_up(user: UserAccount, *, sealer: Sealer) -> TotpSetUp:
    """The unconfirmed secret of ``user``, made now if there is none; it works once confirmed.

    Showing the set-up page again shows the same secret, so a QR code already
    scanned stays good; each sign-in from a one-time link starts with a fresh one
    (:func:`forget_unconfirmed_totp`).
    """
    if user.has_totp:
        raise SecondFactorSetUpError(
            "An authenticator app is already set up; it must be reset before another is added."
        )
    if user.totp_secret_sealed is None:
        user.totp_secret_sealed = sealer.seal(new_totp_secret())
        user.totp_last_used_step = None
    secret = sealer.unseal(user.totp_secret_sealed)
    uri = provisioning_uri(username=user.username, secret=secret)
    return TotpSetUp(secret=secret, provisioning_uri=uri, qr_code_svg=qr_code_svg(uri))


def set_up_known_totp(user: UserAccount, *, secret: str, sealer: Sealer, now: dt.datetime) -> None:
    """Give ``user`` a confirmed secret chosen elsewhere (the operator's bootstrap, the demo)."""
    user.totp_secret_sealed = sealer.seal(secret)
    user.totp_confirmed_at = now
    user.totp_last_used_step = None


def confirm_totp_set_up(
    session: Session, *, user: UserAccount, code: str, sealer: Sealer, now: dt.datetime
) -> bool:
    """Confirm the secret from :func:`begin_totp_set_up` with a code from the app."""
    if user.totp_secret_sealed is None or user.totp_confirmed_at is not None:
        return False
    if not _claim_matching_step(session, user=user, code=code, sealer=sealer, now=now):
        return False
    user.totp_confirmed_at = now
    session.flush()
    return True


def verify_totp(
    session: Session, *, user: UserAccount, code: str, sealer: Sealer, now: dt.datetime
) -> bool:
    """Whether ``code`` is right for ``user`` now and has not been used before."""
    if not user.has_totp:
        return False
    return _claim_matching_step(session, user=user, code=code, sealer=sealer, now=now)


def provisioning_uri(*, username: str, secret: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return _totp(secret).provisioning_uri(name=username, issuer_name=TOTP_ISSUER)


def qr_code_svg(uri: str) -> str:
    """The QR code as inline SVG markup, titled for screen readers."""
    qr_code = segno.make(uri, error="m")
    return str(qr_code.svg_inline(scale=4, title="QR code for your authenticator app"))


def forget_unconfirmed_totp(user: UserAccount) -> None:
    """Drop a secret that was shown but never confirmed (someone may have seen it)."""
    if user.totp_confirmed_at is None:
        clear_totp(user)


def clear_totp(user: UserAccount) -> None:
    user.totp_secret_sealed = None
    user.totp_confirmed_at = None
    user.totp_last_used_step = None


def _claim_matching_step(
    session: Session, *, user: UserAccount, code: str, sealer: Sealer, now: dt.datetime
) -> bool:
    step = _matching_step(user, code=code.strip().replace(" ", ""), sealer=sealer, now=now)
    if step is None:
        return False
    session.flush()
    result = cast(
        "CursorResult[tuple[()]]",
        session.execute(
            update(UserAccount)
            .where(UserAccount.id == user.id)
            .where(
                or_(
                    UserAccount.totp_last_used_step.is_(None),
                    UserAccount.totp_last_used_step < step,
                )
            )
            .values(totp_last_used_step=step)
            .execution_options(synchronize_session=False)
        ),
    )
    session.refresh(user, ["totp_last_used_step"])
    return result.rowcount == 1


def _matching_step(user: UserAccount, *, code: str, sealer: Sealer, now: dt.datetime) -> int | None:
    if user.totp_secret_sealed is None or len(code) != TOTP_DIGITS or not code.isdigit():
        return None
    totp = _totp(sealer.unseal(user.totp_secret_sealed))
    current = step_at(now)
    last_used = user.totp_last_used_step if user.totp_last_used_step is not None else -1
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if step > last_used and same(code, totp.generate_otp(step)):
            return step
    return None


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP_SECONDS)
