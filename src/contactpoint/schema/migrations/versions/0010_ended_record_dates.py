"""An ended source record keeps the date of the extract that ended it (``extracted_on``).

Loads now set it when they end a record, so that no older extract brings the
record back. Records ended before take that date from the loads' change log
(``feed_load_change``): the newest extract that ended them, where it is newer
than the version they hold. No schema changes; a downgrade leaves the dates, as
nothing before this revision reads an ended record's date to decide anything.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_ENDED_ON = (
    "SELECT max(feed_load.extracted_on) FROM feed_load_change"
    " JOIN feed_load ON feed_load.id = feed_load_change.load_id"
    " WHERE feed_load_change.source_record_id = source_record.id"
    " AND feed_load_change.change = 'ended'"
)


def upgrade() -> None:
    op.execute(
        sa.text(
            f"UPDATE source_record SET extracted_on = ({_ENDED_ON})"  # noqa: S608 - constant text
            f" WHERE status = 'ended' AND extracted_on < ({_ENDED_ON})"
        )
    )


def downgrade() -> None:
    pass
