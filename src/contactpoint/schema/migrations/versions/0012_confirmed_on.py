"""A source record keeps the date of a newer extract that carried it unchanged.

``source_record.confirmed_on``: a load that carries a live record unchanged, in an
extract newer than any that sent it, sets it, so that no older extract loaded later
overrides the record (the values keep the date they were set on). The load logs it
for undo as a ``carried`` change, with the date it replaces
(``feed_load_change.previous_confirmed_on``). Records carried unchanged before this
revision were not logged, so none gets a date.

Downgrading drops both columns and the ``carried`` entries of the change log (a
load's undo then leaves those dates, which no longer exist, as they are).

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

_CHECK = "ck_feed_load_change_record_change"


def _changes(*values: str) -> str:
    return "change IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def _allow(*values: str) -> None:
    """The change log's CHECK on ``change`` allows these values (the column is VARCHAR(8))."""
    if op.get_bind().dialect.name == "sqlite":
        # SQLite alters a CHECK only by copying the table, which batch mode does; nothing
        # refers to feed_load_change, so the copy may replace it with loads in place.
        with op.batch_alter_table("feed_load_change", recreate="always") as batch_op:
            batch_op.drop_constraint(op.f(_CHECK), type_="check")
            batch_op.create_check_constraint(op.f(_CHECK), sa.text(_changes(*values)))
        return
    op.drop_constraint(op.f(_CHECK), "feed_load_change", type_="check")
    op.create_check_constraint(op.f(_CHECK), "feed_load_change", sa.text(_changes(*values)))


def upgrade() -> None:
    with op.batch_alter_table("source_record") as batch_op:
        batch_op.add_column(sa.Column("confirmed_on", sa.Date(), nullable=True))
    with op.batch_alter_table("feed_load_change") as batch_op:
        batch_op.add_column(sa.Column("previous_confirmed_on", sa.Date(), nullable=True))
    _allow("inserted", "updated", "ended", "carried")


def downgrade() -> None:
    op.execute("DELETE FROM feed_load_change WHERE change = 'carried'")
    _allow("inserted", "updated", "ended")
    # Not batch mode for source_record: on SQLite it would copy the table, which the
    # foreign keys of the values, keys and changes that refer to it refuse. SQLite
    # (3.35 and later) drops a column in place, as PostgreSQL does.
    op.drop_column("feed_load_change", "previous_confirmed_on")
    op.drop_column("source_record", "confirmed_on")
