"""Which release's blocking keys the index holds (``linkage_index_state``, one row).

A directory that already holds source records gets an unknown version: its
index may have been made with older keys (before the swapped-names key, say),
so loads wait for one ``contactpoint linkage reindex``. An empty directory
starts with the keys of this revision.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Frozen here: the keys this revision's code makes (linkage.records.KEYS_VERSION then).
_KEYS_AT_THIS_REVISION = "2026.12-k2"


def upgrade() -> None:
    state = op.create_table(
        "linkage_index_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("keys_version", sa.String(length=40), nullable=True),
        sa.Column("rebuilt_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkage_index_state")),
    )
    connection = op.get_bind()
    held = connection.execute(sa.text("SELECT count(*) FROM source_record")).scalar_one()
    version = None if held else _KEYS_AT_THIS_REVISION
    connection.execute(state.insert(), [{"id": 1, "keys_version": version, "rebuilt_at": None}])


def downgrade() -> None:
    op.drop_table("linkage_index_state")
