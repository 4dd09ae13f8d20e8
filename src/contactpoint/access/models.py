"""Users, their roles and second factors, sessions, API tokens, one-time links, throttles.

Secrets are never stored as given: passwords as argon2id hashes, session and
API tokens and one-time links as SHA-256 digests (they are high-entropy), TOTP
secrets sealed with a key derived from the service's secret key.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contactpoint.access.policy import Role
from contactpoint.organisations.models import Organisation
from contactpoint.storage.models import Base, UtcDateTime, utcnow
from contactpoint.storage.types import enum_column_type

DIGEST_LENGTH = 64  # a SHA-256 digest in hexadecimal


class SessionEndReason(enum.StrEnum):
    SIGNED_OUT = "signed_out"
    IDLE_TIMEOUT = "idle_timeout"
    ABSOLUTE_TIMEOUT = "absolute_timeout"
    SUSPENDED = "suspended"
    CONDITION_LAPSED = "condition_lapsed"
    ROLE_WITHDRAWN = "role_withdrawn"
    CREDENTIALS_CHANGED = "credentials_changed"
    ROTATED = "rotated"  # replaced by a session with a new token (after re-authentication)


class LinkPurpose(enum.StrEnum):
    FIRST_SIGN_IN = "first_sign_in"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose, not a password
    SECOND_FACTOR_RESET = "second_factor_reset"


class Ceremony(enum.StrEnum):
    """The two WebAuthn ceremonies a challenge can belong to."""

    REGISTRATION = "registration"
    AUTHENTICATION = "authentication"


class UserAccount(Base):
    """A member of staff of an organisation. ``username`` is stored lower-case."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    totp_secret_sealed: Mapped[str | None] = mapped_column(String(200))
    totp_confirmed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    totp_last_used_step: Mapped[int | None] = mapped_column(BigInteger)
    webauthn_user_handle: Mapped[str] = mapped_column(String(64), unique=True)
    is_child_protection_officer: Mapped[bool] = mapped_column(Boolean, default=False)
    training_completed_on: Mapped[dt.date | None] = mapped_column(Date)
    background_check_on: Mapped[dt.date | None] = mapped_column(Date)
    agreement_signed_on: Mapped[dt.date | None] = mapped_column(Date)
    employer_authorised_on: Mapped[dt.date | None] = mapped_column(Date)
    suspended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    suspended_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    role_grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="RoleGrant.role"
    )
    passkeys: Mapped[list[WebAuthnCredential]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(grant.role for grant in self.role_grants)

    @property
    def has_totp(self) -> bool:
        return self.totp_secret_sealed is not None and self.totp_confirmed_at is not None

    @property
    def has_second_factor(self) -> bool:
        return self.has_totp or bool(self.passkeys)


class RoleGrant(Base):
    __tablename__ = "role_grant"
    __table_args__ = (UniqueConstraint("user_id", "role", name="uq_role_grant_user_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    role: Mapped[Role] = mapped_column(enum_column_type(Role, name="role"))
    granted_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)

    user: Mapped[UserAccount] = relationship(back_populates="role_grants")


class WebAuthnCredential(Base):
    """A passkey: the public half of a key pair held by the user's authenticator."""

    __tablename__ = "webauthn_credential"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    transports: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())

    user: Mapped[UserAccount] = relationship(back_populates="passkeys")


class WebAuthnChallenge(Base):
    """A challenge sent to the browser; usable once, and only until it expires."""

    __tablename__ = "webauthn_challenge"
    __table_args__ = (Index("ix_webauthn_challenge_user_ceremony", "user_id", "ceremony"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    ceremony: Mapped[Ceremony] = mapped_column(enum_column_type(Ceremony, name="ceremony"))
    challenge: Mapped[str] = mapped_column(String(200), unique=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())


class PendingSignIn(Base):
    """A sign-in between the password (or a one-time link) and the second factor.

    Its token lives only in a short-lived pre-authentication cookie; the session
    proper gets a brand-new token when the sign-in completes.
    """

    __tablename__ = "pending_sign_in"

    id: Mapped[str] = mapped_column(String(DIGEST_LENGTH), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    may_set_up_second_factor: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    second_factor_verified_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    second_factor_method: Mapped[str | None] = mapped_column(String(16))  # totp, passkey

    user: Mapped[UserAccount] = relationship()


class UserSession(Base):
    """A signed-in session. ``id`` is the SHA-256 of the token kept in the user's cookie."""

    __tablename__ = "user_session"

    id: Mapped[str] = mapped_column(String(DIGEST_LENGTH), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    acting_role: Mapped[Role] = mapped_column(enum_column_type(Role, name="acting_role"))
    csrf_token: Mapped[str] = mapped_column(String(DIGEST_LENGTH))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    reauthenticated_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    ended_reason: Mapped[SessionEndReason | None] = mapped_column(
        enum_column_type(SessionEndReason, name="session_end_reason")
    )

    user: Mapped[UserAccount] = relationship()


class ApiToken(Base):
    """A bearer token for a case-management system or feed sender, held as a digest.

    Tied either to a user (acting in one of their roles) or to a named service
    account of an organisation; always scoped and always expiring.
    """

    __tablename__ = "api_token"
    __table_args__ = (
        CheckConstraint(
            "(user_id IS NOT NULL AND acting_role IS NOT NULL AND service_account IS NULL"
            " AND organisation_id IS NULL) OR (user_id IS NULL AND acting_role IS NULL"
            " AND service_account IS NOT NULL AND organisation_id IS NOT NULL)",
            name="user_or_service_account",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(DIGEST_LENGTH), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    acting_role: Mapped[Role | None] = mapped_column(enum_column_type(Role, name="api_token_role"))
    service_account: Mapped[str | None] = mapped_column(String(100))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    scopes: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())

    user: Mapped[UserAccount | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()


class OneTimeLink(Base):
    """A link for a first sign-in or a reset, given to the user once; usable once."""

    __tablename__ = "one_time_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(DIGEST_LENGTH), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    purpose: Mapped[LinkPurpose] = mapped_column(enum_column_type(LinkPurpose, name="link_purpose"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())

    user: Mapped[UserAccount] = relationship()


class SignInThrottle(Base):
    """Recent failed sign-ins for one account name or one client, by digest of the key.

    Kept for names that match no account too, so that throttling behaves the
    same whether or not a username exists.
    """

    __tablename__ = "sign_in_throttle"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    last_failure_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    locked_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
