"""Access: users, roles, vetting, second factors, sessions, API tokens; accreditation.

Organisations gain an accreditation status. Existing organisations become
``pending``: nobody signs in for them until a national administrator accredits
them. The columns are added with plain ALTER TABLE (no batch copy), so the
organisation table and the tables referring to it are left in place.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_ROLES = ("practitioner", "council_team", "data_manager", "auditor", "national_administrator")


def _role(name: str) -> sa.Enum:
    return sa.Enum(*_ROLES, name=name, native_enum=False, create_constraint=True)


def _when(name: str, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


_ACCREDITATION = ("accredited", "pending", "suspended")


def upgrade() -> None:
    _add_accreditation()
    _create_user_account()
    _create_second_factor_tables()
    _create_session_tables()
    _create_token_and_link_tables()


def _add_accreditation() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Alembic's SQLite ALTER would silently leave out the CHECK constraint, and a
        # batch copy of the organisation table would trip the foreign keys that
        # point at it; SQLite accepts the constraint inline in ADD COLUMN.
        values = ", ".join(f"'{value}'" for value in _ACCREDITATION)
        op.execute(
            "ALTER TABLE organisation ADD COLUMN accreditation_status VARCHAR(10) "
            "DEFAULT 'pending' NOT NULL CONSTRAINT ck_organisation_accreditation_status "
            f"CHECK (accreditation_status IN ({values}))"
        )
    else:
        op.add_column(
            "organisation",
            sa.Column(
                "accreditation_status",
                sa.Enum(
                    *_ACCREDITATION,
                    name="accreditation_status",
                    native_enum=False,
                    create_constraint=True,
                ),
                server_default="pending",
                nullable=False,
            ),
        )
    op.add_column("organisation", sa.Column("accredited_on", sa.Date(), nullable=True))


def _create_user_account() -> None:
    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        _when("password_changed_at"),
        sa.Column("totp_secret_sealed", sa.String(length=200), nullable=True),
        _when("totp_confirmed_at"),
        sa.Column("totp_last_used_step", sa.BigInteger(), nullable=True),
        sa.Column("webauthn_user_handle", sa.String(length=64), nullable=False),
        sa.Column("is_child_protection_officer", sa.Boolean(), nullable=False),
        sa.Column("training_completed_on", sa.Date(), nullable=True),
        sa.Column("background_check_on", sa.Date(), nullable=True),
        sa.Column("agreement_signed_on", sa.Date(), nullable=True),
        sa.Column("employer_authorised_on", sa.Date(), nullable=True),
        _when("suspended_at"),
        sa.Column("suspended_reason", sa.String(length=500), nullable=True),
        _when("created_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_user_account_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("username", name=op.f("uq_user_account_username")),
        sa.UniqueConstraint(
            "webauthn_user_handle", name=op.f("uq_user_account_webauthn_user_handle")
        ),
    )
    op.create_index(op.f("ix_user_account_organisation_id"), "user_account", ["organisation_id"])
    op.create_table(
        "role_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", _role("role"), nullable=False),
        _when("granted_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_role_grant_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_grant")),
        sa.UniqueConstraint("user_id", "role", name="uq_role_grant_user_role"),
    )


def _create_second_factor_tables() -> None:
    op.create_table(
        "webauthn_credential",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.String(length=1400), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("transports", sa.String(length=200), nullable=False),
        _when("created_at", nullable=False),
        _when("last_used_at"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_webauthn_credential_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webauthn_credential")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_webauthn_credential_credential_id")),
    )
    op.create_index(op.f("ix_webauthn_credential_user_id"), "webauthn_credential", ["user_id"])
    op.create_table(
        "webauthn_challenge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "ceremony",
            sa.Enum(
                "registration",
                "authentication",
                name="ceremony",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("challenge", sa.String(length=200), nullable=False),
        _when("expires_at", nullable=False),
        _when("used_at"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_webauthn_challenge_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webauthn_challenge")),
        sa.UniqueConstraint("challenge", name=op.f("uq_webauthn_challenge_challenge")),
    )
    op.create_index(
        "ix_webauthn_challenge_user_ceremony", "webauthn_challenge", ["user_id", "ceremony"]
    )


def _create_session_tables() -> None:
    op.create_table(
        "pending_sign_in",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("may_set_up_second_factor", sa.Boolean(), nullable=False),
        _when("started_at", nullable=False),
        _when("expires_at", nullable=False),
        _when("second_factor_verified_at"),
        sa.Column("second_factor_method", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_pending_sign_in_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_sign_in")),
    )
    op.create_index(op.f("ix_pending_sign_in_user_id"), "pending_sign_in", ["user_id"])
    op.create_table(
        "user_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("acting_role", _role("acting_role"), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        _when("created_at", nullable=False),
        _when("last_seen_at", nullable=False),
        _when("reauthenticated_at"),
        _when("ended_at"),
        sa.Column(
            "ended_reason",
            sa.Enum(
                "signed_out",
                "idle_timeout",
                "absolute_timeout",
                "suspended",
                "condition_lapsed",
                "role_withdrawn",
                "credentials_changed",
                "rotated",
                name="session_end_reason",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_user_session_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
    )
    op.create_index(op.f("ix_user_session_user_id"), "user_session", ["user_id"])
    op.create_table(
        "sign_in_throttle",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        _when("first_failure_at", nullable=False),
        _when("last_failure_at", nullable=False),
        _when("locked_until"),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_throttle")),
    )


def _create_token_and_link_tables() -> None:
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("acting_role", _role("api_token_role"), nullable=True),
        sa.Column("service_account", sa.String(length=100), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("scopes", sa.String(length=2000), nullable=False),
        _when("created_at", nullable=False),
        _when("expires_at", nullable=False),
        _when("revoked_at"),
        _when("last_used_at"),
        sa.CheckConstraint(
            "(user_id IS NOT NULL AND acting_role IS NOT NULL AND service_account IS NULL AND organisation_id IS NULL) OR (user_id IS NULL AND acting_role IS NULL AND service_account IS NOT NULL AND organisation_id IS NOT NULL)",
            name=op.f("ck_api_token_user_or_service_account"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_api_token_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_api_token_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    op.create_index(op.f("ix_api_token_user_id"), "api_token", ["user_id"])
    op.create_table(
        "one_time_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum(
                "first_sign_in",
                "password_reset",
                "second_factor_reset",
                name="link_purpose",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        _when("created_at", nullable=False),
        _when("expires_at", nullable=False),
        _when("used_at"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_one_time_link_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_one_time_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_one_time_link_token_hash")),
    )
    op.create_index(op.f("ix_one_time_link_user_id"), "one_time_link", ["user_id"])


def downgrade() -> None:
    for table in (
        "one_time_link",
        "api_token",
        "sign_in_throttle",
        "user_session",
        "pending_sign_in",
        "webauthn_challenge",
        "webauthn_credential",
        "role_grant",
        "user_account",
    ):
        op.drop_table(table)
    # On SQLite this copies the organisation table (fine while nothing refers to
    # its rows; with data, PRAGMA foreign_keys must be off for the copy).
    with op.batch_alter_table("organisation") as batch_op:
        batch_op.drop_constraint(op.f("ck_organisation_accreditation_status"), type_="check")
        batch_op.drop_column("accredited_on")
        batch_op.drop_column("accreditation_status")
