"""The directory's size as last counted, for the linkage model's prior (``linkage_index_state``).

Counting the live child records reads every source record: about half a second
at a million children. A small load uses the count kept here when it is recent
(see ``linkage.index.directory_size``); a new column, empty until the next load.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("linkage_index_state") as batch_op:
        batch_op.add_column(sa.Column("live_records", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("counted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("linkage_index_state") as batch_op:
        batch_op.drop_column("counted_at")
        batch_op.drop_column("live_records")
