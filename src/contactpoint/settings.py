"""One typed settings object, read from the environment (prefix ``CONTACTPOINT_``).

Every default is safe to publish and safe in production; the only default that is
not fit for production (the secret key) is refused outside development mode by
:func:`Settings.require_secret`, which is called only by code that needs a secret.
Nothing is read at import time: call :func:`load_settings`.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Final

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET: Final = "development-only-secret-do-not-use"  # noqa: S105 - a marker, refused outside development


class Mode(enum.StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class SettingsError(Exception):
    """The configuration cannot be used as it is; the message says what to set."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONTACTPOINT_", extra="ignore", frozen=True)

    mode: Mode = Mode.PRODUCTION
    data_dir: Path = Path("var")
    database_url: str | None = Field(
        default=None,
        description="An SQLAlchemy URL; unset means an embedded SQLite file in the data directory.",
    )
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    assets_dir: Path | None = Field(
        default=None,
        description="Folder holding govuk-frontend's dist/govuk files; unset means node_modules.",
    )
    log_level: str = "INFO"
    public_url: str = Field(
        default="http://localhost:8000",
        description=(
            "The address users reach the service at (scheme, host and port); passkeys are "
            "bound to its host name and origin."
        ),
    )
    linkage_model_file: Path | None = Field(
        default=None,
        description=(
            "A linkage model trained on this directory's records by `contactpoint linkage "
            "train`; unset means the model shipped in the package. Loads never retrain."
        ),
    )
    linkage_link_threshold: float = Field(
        default=6.0,
        description="Match weight (log2 odds) at or above which a record links automatically.",
    )
    linkage_review_threshold: float = Field(
        default=0.0,
        description="Match weight below which a record makes a new child; between, a review.",
    )
    linkage_margin: float = Field(
        default=5.0,
        ge=0,
        description="A runner-up child within this much of the best one sends it to review.",
    )
    linkage_cached_records: int = Field(
        default=100_000,
        ge=0,
        description=(
            "How many built candidate records a load keeps in memory (about 2 KB each):"
            " a national-size load runs faster with one per live child record."
        ),
    )
    audit_signing_key_file: Path | None = Field(
        default=None,
        description=(
            "The Ed25519 private key (PEM, mode 0600) that signs audit checkpoints; "
            "only `contactpoint audit checkpoint` reads it."
        ),
    )

    @field_validator("database_url")
    @classmethod
    def _blank_means_unset(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="after")
    def _thresholds_in_order(self) -> Settings:
        if self.linkage_review_threshold > self.linkage_link_threshold:
            raise ValueError(
                "CONTACTPOINT_LINKAGE_REVIEW_THRESHOLD must not be above"
                " CONTACTPOINT_LINKAGE_LINK_THRESHOLD"
            )
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'contactpoint.sqlite3').resolve()}"

    @property
    def uses_default_secret(self) -> bool:
        return self.secret_key.get_secret_value() == DEFAULT_SECRET

    def require_secret(self) -> str:
        """The secret key, or an error outside development when it is still the default."""
        if self.uses_default_secret and self.mode is not Mode.DEVELOPMENT:
            raise SettingsError(
                "CONTACTPOINT_SECRET_KEY is not set: the built-in development secret is refused "
                f"in {self.mode.value} mode. Set CONTACTPOINT_SECRET_KEY to a long random value "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        return self.secret_key.get_secret_value()


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (used by tests and the demo)."""
    return Settings(**overrides)  # type: ignore[arg-type]
