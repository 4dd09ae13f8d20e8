"""Migrations build the schema the models describe, forwards and backwards."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from contactpoint.schema.models import schema_metadata
from contactpoint.schema.services import (
    SchemaOutOfDateError,
    current_revision,
    downgrade,
    head_revision,
    require_up_to_date,
    upgrade,
)


def test_an_empty_database_is_not_up_to_date_and_the_error_names_the_command(empty_database):
    with pytest.raises(SchemaOutOfDateError, match="contactpoint db upgrade"):
        require_up_to_date(empty_database.engine)


def test_upgrading_an_empty_database_reaches_the_latest_revision(empty_database):
    upgrade(empty_database.engine)
    assert current_revision(empty_database.engine) == head_revision()
    require_up_to_date(empty_database.engine)


def test_the_migrated_schema_matches_the_models_exactly(fresh_database):
    with fresh_database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, schema_metadata())
    assert differences == []


def test_migrations_downgrade_to_nothing_and_upgrade_again(fresh_database):
    downgrade(fresh_database.engine, "base")
    tables = set(sa.inspect(fresh_database.engine).get_table_names())
    assert tables <= {"alembic_version"}
    upgrade(fresh_database.engine)
    assert "child" in sa.inspect(fresh_database.engine).get_table_names()


def test_upgrading_twice_changes_nothing(fresh_database):
    upgrade(fresh_database.engine)
    assert current_revision(fresh_database.engine) == head_revision()
