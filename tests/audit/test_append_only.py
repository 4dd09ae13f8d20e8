"""The database itself refuses to change or remove audit events (raw SQL, both backends)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contactpoint.audit.services import verify

from tampering import execute, write_events


@pytest.fixture
def trail(fresh_database):
    write_events(fresh_database.engine, 3)
    return fresh_database.engine


def _count(engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608 - a table name from the test


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET actor_user_id = 1 WHERE sequence = 2",
        "UPDATE audit_event SET sequence = sequence + 100",
        "DELETE FROM audit_event WHERE sequence = 3",
        "DELETE FROM audit_event",
        "UPDATE audit_event_details SET details = '{}' WHERE sequence = 1",
    ],
)
def test_the_database_refuses_to_change_or_remove_an_audit_event(trail, statement):
    with pytest.raises(IntegrityError, match="append-only"):
        execute(trail, statement)
    assert _count(trail, "audit_event") == 3
    assert verify_intact(trail)


@pytest.mark.parametrize(
    "backend", [pytest.param("postgresql", marks=pytest.mark.postgresql)], indirect=True
)
@pytest.mark.parametrize(
    "statement",
    ["TRUNCATE audit_event CASCADE", "TRUNCATE audit_event_details"],
)
def test_postgresql_refuses_to_truncate_the_audit_tables(trail, statement):
    with pytest.raises(IntegrityError, match="append-only"):
        execute(trail, statement)
    assert _count(trail, "audit_event_details") == 3


def test_deleting_details_is_possible_but_verify_fails_unless_a_redaction_says_so(trail):
    execute(trail, "DELETE FROM audit_event_details WHERE sequence = 2")
    with Session(trail) as session:
        result = verify(session)
    assert not result.intact
    assert result.problem is not None
    assert result.problem.sequence == 2
    assert "no redaction event" in result.problem.reason


def verify_intact(engine) -> bool:
    with Session(engine) as session:
        return verify(session).intact
