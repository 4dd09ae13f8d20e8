"""Revision 0007 carries the text blocking keys over as hashes; 0008 records which keys."""

from __future__ import annotations

import sqlalchemy as sa

from contactpoint.linkage.index import key_hash
from contactpoint.schema.services import downgrade, upgrade


def _source_with_records(connection: sa.Connection, ids: tuple[int, ...]) -> None:
    """A source (id 1) and live child records R1, R2... of it, as raw rows."""
    connection.execute(
        sa.text("INSERT INTO source (id, name, kind, trusted_for, created_at)"
                " VALUES (1, 'health', 'national', '', CURRENT_TIMESTAMP)")
    )  # fmt: skip
    for record in ids:
        connection.execute(
            sa.text("INSERT INTO source_record (id, source_id, feed, record_key, status,"
                    " extracted_on, first_loaded_at, updated_at) VALUES (:id, 1, 'children',"
                    " :key, 'live', '2026-11-30', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
            {"id": record, "key": f"R{record}"},
        )  # fmt: skip


def test_keys_held_before_are_found_by_their_hash_after_the_upgrade(empty_database):
    engine = empty_database.engine
    upgrade(engine, "0006")
    keys = ["n:9990000018", "dbf:20150301:O260", "pg:OX2R 0JD:A300"]
    with engine.begin() as connection:
        _source_with_records(connection, (1, 2))
        connection.execute(
            sa.text("INSERT INTO linkage_key (key, source_record_id) VALUES (:key, :record)"),
            [{"key": key, "record": record} for record in (1, 2) for key in keys]
            + [{"key": keys[0], "record": 1}],  # a repeated row is carried over once
        )
    upgrade(engine)
    with engine.connect() as connection:
        held = {
            (key, record)
            for key, record in connection.execute(
                sa.text("SELECT key_hash, source_record_id FROM linkage_block")
            )
        }
        tables = set(sa.inspect(connection).get_table_names())
    assert held == {(key_hash(key), record) for record in (1, 2) for key in keys}
    assert "linkage_key" not in tables
    downgrade(engine, "0006")
    assert "linkage_key" in set(sa.inspect(engine).get_table_names())


def _index_state(engine) -> list[tuple[int, str | None]]:
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT id, keys_version FROM linkage_index_state"))
        return [tuple(row) for row in rows]


def test_an_empty_directory_starts_with_this_revisions_keys(empty_database):
    engine = empty_database.engine
    upgrade(engine, "0008")
    assert _index_state(engine) == [(1, "2026.12-k2")]
    downgrade(engine, "0007")
    assert "linkage_index_state" not in set(sa.inspect(engine).get_table_names())


def test_a_directory_holding_records_must_be_reindexed_after_the_upgrade(empty_database):
    engine = empty_database.engine
    upgrade(engine, "0007")
    with engine.begin() as connection:
        _source_with_records(connection, (1,))
    upgrade(engine, "0008")
    assert _index_state(engine) == [(1, None)]  # unknown: loads wait for `linkage reindex`
