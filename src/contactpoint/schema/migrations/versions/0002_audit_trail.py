"""The audit trail: append-only, hash-chained events, and their redactable details.

The database itself refuses UPDATE and DELETE on ``audit_event`` (and TRUNCATE on
PostgreSQL), and UPDATE on ``audit_event_details`` (whose rows a recorded
redaction may delete). Triggers are not part of the models, so the schema test
cannot see them: ``tests/audit/test_append_only.py`` proves them on both databases.

A later migration that alters these tables in SQLite's batch mode (copy and
move) drops their triggers; it must create them again.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_REFUSED = {
    "audit_event": ("UPDATE", "DELETE"),
    "audit_event_details": ("UPDATE",),
}
_POSTGRES_FUNCTION = """
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$
"""


def _trigger_name(table: str, operation: str) -> str:
    return f"{table}_refuse_{operation.lower()}"


def _create_sqlite_triggers() -> None:
    for table, operations in _REFUSED.items():
        for operation in operations:
            op.execute(
                f"CREATE TRIGGER {_trigger_name(table, operation)} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} refused'); END"
            )


def _create_postgres_triggers() -> None:
    op.execute(_POSTGRES_FUNCTION)
    for table, operations in _REFUSED.items():
        for operation in (*operations, "TRUNCATE"):
            level = "STATEMENT" if operation == "TRUNCATE" else "ROW"
            op.execute(
                f"CREATE TRIGGER {_trigger_name(table, operation)} BEFORE {operation} ON {table} "
                f"FOR EACH {level} EXECUTE FUNCTION audit_refuse_change()"
            )


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("sequence", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "event_type",
            sa.Enum(
                "access_denied",
                "admin_action",
                "checkpoint_signed",
                "details_redacted",
                "export",
                "record_change",
                "record_view",
                "search",
                "second_factor_set_up",
                "shield_override",
                "sign_in",
                "sign_out",
                "trail_verified",
                name="audit_event_type",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "outcome",
            sa.Enum(
                "success",
                "failure",
                "denied",
                name="audit_outcome",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "actor_kind",
            sa.Enum(
                "user",
                "operator",
                "service",
                "anonymous",
                name="audit_actor_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=100), nullable=True),
        sa.Column("actor_role", sa.String(length=64), nullable=True),
        sa.Column("actor_organisation_id", sa.Integer(), nullable=True),
        sa.Column("actor_address", sa.String(length=45), nullable=True),
        sa.Column("session_ref", sa.String(length=64), nullable=True),
        sa.Column(
            "subject_kind",
            sa.Enum(
                "child",
                "user",
                "organisation",
                "audit_trail",
                name="audit_subject_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("subject_ref", sa.String(length=64), nullable=True),
        sa.Column("details_digest", sa.String(length=64), nullable=False),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("sequence >= 1", name=op.f("ck_audit_event_sequence_positive")),
        sa.PrimaryKeyConstraint("sequence", name=op.f("pk_audit_event")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_event_hash")),
        sa.UniqueConstraint("previous_hash", name=op.f("uq_audit_event_previous_hash")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_actor_user_id", ["actor_user_id"], unique=False)
        batch_op.create_index(
            "ix_audit_event_event_type_occurred_at", ["event_type", "occurred_at"], unique=False
        )
        batch_op.create_index("ix_audit_event_occurred_at", ["occurred_at"], unique=False)
        batch_op.create_index(
            "ix_audit_event_subject", ["subject_kind", "subject_ref"], unique=False
        )

    op.create_table(
        "audit_event_details",
        sa.Column("sequence", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sequence"],
            ["audit_event.sequence"],
            name=op.f("fk_audit_event_details_sequence_audit_event"),
        ),
        sa.PrimaryKeyConstraint("sequence", name=op.f("pk_audit_event_details")),
    )
    if op.get_bind().dialect.name == "postgresql":
        _create_postgres_triggers()
    else:
        _create_sqlite_triggers()


def downgrade() -> None:
    # Dropping the tables drops their triggers on both databases; then the function.
    op.drop_table("audit_event_details")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_subject")
        batch_op.drop_index("ix_audit_event_occurred_at")
        batch_op.drop_index("ix_audit_event_event_type_occurred_at")
        batch_op.drop_index("ix_audit_event_actor_user_id")

    op.drop_table("audit_event")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_refuse_change()")
