"""A source record keeps the date of a newer extract that carried it unchanged.

``source_record.confirmed_on``: a load that carries a live record unchanged, in an
extract newer than any that sent it, sets it, so that no older extract loaded later
overrides the record (the values keep the date they were set on). For undo, the
load keeps the dates it replaced in ``feed_load_confirmation``, in runs of
consecutive record ids; a change or an end empties the date, and the change log
keeps the one it replaced (``feed_load_change.previous_confirmed_on``). Records
carried unchanged before this revision were not noted, so none gets a date.

Downgrading drops the table and both columns.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("source_record") as batch_op:
        batch_op.add_column(sa.Column("confirmed_on", sa.Date(), nullable=True))
    with op.batch_alter_table("feed_load_change") as batch_op:
        batch_op.add_column(sa.Column("previous_confirmed_on", sa.Date(), nullable=True))
    op.create_table(
        "feed_load_confirmation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column("first_record_id", sa.Integer(), nullable=False),
        sa.Column("last_record_id", sa.Integer(), nullable=False),
        sa.Column("previous_confirmed_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["load_id"], ["feed_load.id"], name=op.f("fk_feed_load_confirmation_load_id_feed_load")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_load_confirmation")),
    )
    op.create_index(
        op.f("ix_feed_load_confirmation_load_id"), "feed_load_confirmation", ["load_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_feed_load_confirmation_load_id"), table_name="feed_load_confirmation")
    op.drop_table("feed_load_confirmation")
    # Not batch mode: on SQLite it would copy the tables, which the foreign keys that
    # refer to source_record refuse. SQLite (3.35 and later) drops a column in place,
    # as PostgreSQL does.
    op.drop_column("feed_load_change", "previous_confirmed_on")
    op.drop_column("source_record", "confirmed_on")
