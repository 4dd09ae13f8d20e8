"""The blocking-key index holds 64-bit hashes of the keys (``linkage_block``), not their text.

The keys already held are carried over in batches, hashed as
``linkage.index.key_hash`` does (the first 8 bytes of the key's BLAKE2b digest,
signed, big-endian). Downgrading makes the old text-keyed table again, empty:
hashes cannot be turned back into keys, and the older release has no command
to rebuild its index, so a downgrade past this revision is for development
databases only.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_BATCH = 10_000


def _key_hash(key: str) -> int:
    # Frozen here: the migration must hash as this revision did, whatever the code does later.
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def upgrade() -> None:
    block = op.create_table(
        "linkage_block",
        sa.Column("key_hash", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("source_record_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_record_id"], ["source_record.id"],
            name=op.f("fk_linkage_block_source_record_id_source_record"),
        ),
        sa.PrimaryKeyConstraint("key_hash", "source_record_id", name=op.f("pk_linkage_block")),
        sqlite_with_rowid=False,
    )  # fmt: skip
    # The index first: each batch looks up what it already copied by source record.
    op.create_index(
        op.f("ix_linkage_block_source_record_id"), "linkage_block", ["source_record_id"]
    )
    connection = op.get_bind()
    old = sa.table("linkage_key", sa.column("id"), sa.column("key"), sa.column("source_record_id"))
    last = 0
    while True:
        batch = connection.execute(
            sa.select(old.c.id, old.c.key, old.c.source_record_id)
            .where(old.c.id > last)
            .order_by(old.c.id)
            .limit(_BATCH)
        ).all()
        if not batch:
            break
        rows = {(_key_hash(key), record) for _, key, record in batch}
        existing: set[tuple[int, int]] = set()
        if rows:
            existing = {
                (key, record)
                for key, record in connection.execute(
                    sa.select(block.c.key_hash, block.c.source_record_id).where(
                        block.c.source_record_id.in_({record for _, record in rows})
                    )
                )
            }
        fresh = [{"key_hash": key, "source_record_id": record} for key, record in rows - existing]
        if fresh:
            connection.execute(block.insert(), fresh)
        last = batch[-1][0]
    op.drop_index(op.f("ix_linkage_key_source_record_id"), table_name="linkage_key")
    op.drop_index("ix_linkage_key_key", table_name="linkage_key")
    op.drop_table("linkage_key")


def downgrade() -> None:
    op.create_table(
        "linkage_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("source_record_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_record_id"], ["source_record.id"],
            name=op.f("fk_linkage_key_source_record_id_source_record"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkage_key")),
    )  # fmt: skip
    op.create_index("ix_linkage_key_key", "linkage_key", ["key"], unique=False)
    op.create_index(
        op.f("ix_linkage_key_source_record_id"), "linkage_key", ["source_record_id"], unique=False
    )
    op.drop_index(op.f("ix_linkage_block_source_record_id"), table_name="linkage_block")
    op.drop_table("linkage_block")
