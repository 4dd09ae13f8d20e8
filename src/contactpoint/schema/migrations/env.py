"""Alembic's environment: always run through contactpoint.schema.services with a connection."""

from __future__ import annotations

from alembic import context

from contactpoint.schema.models import schema_metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "Run migrations with `contactpoint db upgrade`, which supplies the database connection."
    )
context.configure(
    connection=connection,
    target_metadata=schema_metadata(),
    render_as_batch=True,  # SQLite can only alter tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
