"""Loads keep what they did to each source record, and what it was before, so they can be undone.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _enum(*values: str, name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True)


def upgrade() -> None:
    op.create_table(
        "feed_load_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column("source_record_id", sa.Integer(), nullable=False),
        sa.Column(
            "change", _enum("inserted", "updated", "ended", name="record_change"), nullable=False
        ),
        sa.Column("previous_payload", sa.Text(), nullable=True),
        sa.Column("previous_content_hash", sa.String(length=64), nullable=True),
        sa.Column("previous_extracted_on", sa.Date(), nullable=True),
        sa.Column(
            "previous_status", _enum("live", "ended", name="source_record_status"), nullable=True
        ),
        sa.Column("previous_child_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["load_id"], ["feed_load.id"], name=op.f("fk_feed_load_change_load_id_feed_load")
        ),
        sa.ForeignKeyConstraint(
            ["source_record_id"],
            ["source_record.id"],
            name=op.f("fk_feed_load_change_source_record_id_source_record"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_load_change")),
    )
    op.create_index(
        op.f("ix_feed_load_change_load_id"), "feed_load_change", ["load_id"], unique=False
    )
    op.create_index(
        op.f("ix_feed_load_change_source_record_id"),
        "feed_load_change",
        ["source_record_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_feed_load_change_source_record_id"), table_name="feed_load_change")
    op.drop_index(op.f("ix_feed_load_change_load_id"), table_name="feed_load_change")
    op.drop_table("feed_load_change")
