"""Linkage: the blocking-key index, every link decision with its evidence, the review queue.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_OUTCOMES = ("linked", "new_child", "held_for_review", "merged", "kept_separate", "split")


def _enum(*values: str, name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True)


def _when(name: str, *, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _source_record(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["source_record_id"], ["source_record.id"],
        name=op.f(f"fk_{table}_source_record_id_source_record"),
    )  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "link_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_record_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("outcome", _enum(*_OUTCOMES, name="link_outcome"), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=True),
        sa.Column("model_version", sa.String(length=40), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=True),
        _when("decided_at", nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["child.id"], name=op.f("fk_link_decision_child_id_child")
        ),
        _source_record("link_decision"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_decision")),
    )
    op.create_index(op.f("ix_link_decision_child_id"), "link_decision", ["child_id"], unique=False)
    op.create_index(
        op.f("ix_link_decision_source_record_id"),
        "link_decision",
        ["source_record_id"],
        unique=False,
    )
    op.create_table(
        "linkage_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("source_record_id", sa.Integer(), nullable=False),
        _source_record("linkage_key"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkage_key")),
    )
    op.create_index("ix_linkage_key_key", "linkage_key", ["key"], unique=False)
    op.create_index(
        op.f("ix_linkage_key_source_record_id"), "linkage_key", ["source_record_id"], unique=False
    )
    op.create_table(
        "review_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_record_id", sa.Integer(), nullable=False),
        sa.Column("provisional_child_id", sa.Integer(), nullable=False),
        sa.Column("candidate_child_id", sa.Integer(), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=True),
        sa.Column(
            "status", _enum("open", "merged", "kept_separate", name="review_status"), nullable=False
        ),
        _when("created_at", nullable=False),
        _when("decided_at", nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["candidate_child_id"],
            ["child.id"],
            name=op.f("fk_review_item_candidate_child_id_child"),
        ),
        sa.ForeignKeyConstraint(
            ["council_id"], ["organisation.id"], name=op.f("fk_review_item_council_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["provisional_child_id"],
            ["child.id"],
            name=op.f("fk_review_item_provisional_child_id_child"),
        ),
        _source_record("review_item"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_item")),
    )
    op.create_index(
        op.f("ix_review_item_source_record_id"), "review_item", ["source_record_id"], unique=False
    )
    op.create_index(
        "ix_review_item_status_council", "review_item", ["status", "council_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_review_item_status_council", table_name="review_item")
    op.drop_index(op.f("ix_review_item_source_record_id"), table_name="review_item")
    op.drop_table("review_item")
    op.drop_index(op.f("ix_linkage_key_source_record_id"), table_name="linkage_key")
    op.drop_index("ix_linkage_key_key", table_name="linkage_key")
    op.drop_table("linkage_key")
    op.drop_index(op.f("ix_link_decision_source_record_id"), table_name="link_decision")
    op.drop_index(op.f("ix_link_decision_child_id"), table_name="link_decision")
    op.drop_table("link_decision")
