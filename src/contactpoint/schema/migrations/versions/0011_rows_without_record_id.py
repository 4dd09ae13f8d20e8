"""A load counts the rows it rejected before their record_id could be read.

A full extract with any such row ends none of the records it does not carry (the
row may be any of them); the count is kept in ``feed_load`` so that a resumed
load, which does not read the file's keys again, knows it too. Loads made before
this revision count none, as they did.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feed_load") as batch_op:
        batch_op.add_column(
            sa.Column("rows_without_record_id", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    # Not batch mode: on SQLite it copies feed_load and drops the original, which the
    # foreign keys of its problems, keys and changes refuse once a load exists. SQLite
    # (3.35 and later) drops a column in place, as PostgreSQL does.
    op.drop_column("feed_load", "rows_without_record_id")
