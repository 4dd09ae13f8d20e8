"""Feeds: loads of source extracts, the record_ids each carried, their problems.

Sources gain the fields they are trusted for; source records keep the normalised
row they were last accepted as, from which the child's values are made.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _enum(*values: str, name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True)


def _when(name: str, *, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


_COUNTS = (
    "rows_read", "inserted", "updated", "unchanged", "ended", "rejected",
    "linked_to_existing", "new_children", "held_for_review",
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "feed_load",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("feed", _enum("children", "involvements", name="feed"), nullable=False),
        sa.Column("mode", _enum("full", "delta", name="load_mode"), nullable=False),
        sa.Column(
            "status",
            _enum("checking", "applying", "completed", "refused", "undone", name="load_status"),
            nullable=False,
        ),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_digest", sa.String(length=64), nullable=False),
        sa.Column("extracted_on", sa.Date(), nullable=False),
        sa.Column("allow_mass_end", sa.Boolean(), nullable=False),
        sa.Column("loaded_by", sa.String(length=200), nullable=False),
        sa.Column("applied_through_line", sa.Integer(), nullable=False),
        _when("started_at", nullable=False),
        _when("finished_at", nullable=True),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _COUNTS),
        sa.Column("refusal", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_feed_load_source_id_source")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_load")),
    )
    op.create_index(
        "ix_feed_load_source_status", "feed_load", ["source_id", "status"], unique=False
    )
    op.create_table(
        "feed_load_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column("record_key", sa.String(length=64), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["load_id"], ["feed_load.id"], name=op.f("fk_feed_load_key_load_id_feed_load")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_load_key")),
    )
    op.create_index(
        "ix_feed_load_key_load_key", "feed_load_key", ["load_id", "record_key"], unique=False
    )
    op.create_table(
        "feed_load_problem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column(
            "level", _enum("file", "row", "field", "note", name="problem_level"), nullable=False
        ),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("column", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["load_id"], ["feed_load.id"], name=op.f("fk_feed_load_problem_load_id_feed_load")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_load_problem")),
    )
    op.create_index(
        op.f("ix_feed_load_problem_load_id"), "feed_load_problem", ["load_id"], unique=False
    )
    # Plain ADD COLUMN: a batch copy of these tables would trip the foreign keys to them.
    op.add_column(
        "source", sa.Column("trusted_for", sa.String(length=500), server_default="", nullable=False)
    )
    op.add_column("source_record", sa.Column("payload", sa.Text(), nullable=True))


def downgrade() -> None:
    # SQLite (3.35 and later) and PostgreSQL both drop a column in place.
    op.execute("ALTER TABLE source_record DROP COLUMN payload")
    op.execute("ALTER TABLE source DROP COLUMN trusted_for")
    op.drop_index(op.f("ix_feed_load_problem_load_id"), table_name="feed_load_problem")
    op.drop_table("feed_load_problem")
    op.drop_index("ix_feed_load_key_load_key", table_name="feed_load_key")
    op.drop_table("feed_load_key")
    op.drop_index("ix_feed_load_source_status", table_name="feed_load")
    op.drop_table("feed_load")
