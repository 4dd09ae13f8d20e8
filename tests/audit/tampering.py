"""Helpers for the audit tests: committed events, and an attacker with the database
owner's rights (who can drop triggers and rewrite rows, recomputing hashes)."""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from contactpoint.audit.events import Actor, record_view_event, search_event
from contactpoint.audit.rules import GENESIS_HASH, chain_hash
from contactpoint.audit.services import record
from contactpoint.identifiers.contactpoint_id import generate_contactpoint_id

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

PRACTITIONER = Actor.user(41, role="practitioner", organisation_id=7, session_ref="s" * 64)
TRIGGERS = {
    "audit_event_refuse_update": "audit_event",
    "audit_event_refuse_delete": "audit_event",
    "audit_event_details_refuse_update": "audit_event_details",
}


def contactpoint_id(seed: int) -> str:
    return generate_contactpoint_id(random.Random(seed))


def write_events(engine: Engine, count: int) -> None:
    """``count`` committed events, alternating searches and record views."""
    with Session(engine) as session:
        for number in range(count):
            child = contactpoint_id(number)
            if number % 2:
                event = record_view_event(PRACTITIONER, contactpoint_id=child, reason="visit")
            else:
                event = search_event(PRACTITIONER, terms={"family_name": "Ng"}, results=[child])
            record(session, event)
        session.commit()


def drop_triggers(engine: Engine) -> None:
    """What an attacker with the owner's rights does first."""
    suffix = {"postgresql": " ON {table}", "sqlite": ""}[engine.dialect.name]
    with engine.begin() as connection:
        for trigger, table in TRIGGERS.items():
            connection.exec_driver_sql(f"DROP TRIGGER {trigger}{suffix.format(table=table)}")


def execute(engine: Engine, statement: str, **parameters: object) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text(statement), parameters)


def rewrite_from(engine: Engine, sequence: int, *, alone: bool = False, **changes: object) -> None:
    """Change event ``sequence`` and recompute its hash and every later one (or, ``alone``,
    only its own)."""
    drop_triggers(engine)
    with engine.begin() as connection:
        if changes:
            assignments = ", ".join(f"{name} = :{name}" for name in changes)
            connection.execute(
                sa.text(f"UPDATE audit_event SET {assignments} WHERE sequence = :target"),  # noqa: S608 - our own column names
                {**changes, "target": sequence},
            )
        rows = list(connection.execute(sa.text("SELECT * FROM audit_event ORDER BY sequence")))
        previous = GENESIS_HASH
        for row in rows:
            columns = row._asdict()
            if columns["sequence"] == sequence or (columns["sequence"] > sequence and not alone):
                columns["previous_hash"] = previous
                columns["occurred_at"] = _aware(columns["occurred_at"])
                columns["hash"] = chain_hash(columns)
                connection.execute(
                    sa.text(
                        "UPDATE audit_event SET previous_hash = :previous_hash, hash = :hash "
                        "WHERE sequence = :sequence"
                    ),
                    columns,
                )
            previous = columns["hash"]


def _aware(value: object) -> object:
    """Raw SQL returns SQLite timestamps as text and PostgreSQL ones as aware datetimes."""
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)
    return value


def swap_events(engine: Engine, first: int, second: int) -> None:
    """Move two events (and their details) into each other's places."""
    drop_triggers(engine)
    moves = {first: second, second: first}
    aside = 10**9
    with engine.begin() as connection:
        details = [
            row._asdict()
            for row in connection.execute(
                sa.text("SELECT * FROM audit_event_details WHERE sequence IN (:a, :b)"),
                {"a": first, "b": second},
            )
        ]
        connection.execute(
            sa.text("DELETE FROM audit_event_details WHERE sequence IN (:a, :b)"),
            {"a": first, "b": second},
        )
        move = sa.text("UPDATE audit_event SET sequence = :to WHERE sequence = :at")
        connection.execute(move, {"at": first, "to": aside})
        connection.execute(move, {"at": second, "to": first})
        connection.execute(move, {"at": aside, "to": second})
        for row in details:
            connection.execute(
                sa.text("INSERT INTO audit_event_details VALUES (:sequence, :salt, :details)"),
                row | {"sequence": moves[row["sequence"]]},
            )
