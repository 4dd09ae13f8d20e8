"""Revision 0007 carries the text blocking keys over as the hashes the linker looks up."""

from __future__ import annotations

import sqlalchemy as sa

from contactpoint.linkage.index import key_hash
from contactpoint.schema.services import downgrade, upgrade


def test_keys_held_before_are_found_by_their_hash_after_the_upgrade(empty_database):
    engine = empty_database.engine
    upgrade(engine, "0006")
    keys = ["n:9990000018", "dbf:20150301:O260", "pg:OX2R 0JD:A300"]
    with engine.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO source (id, name, kind, trusted_for, created_at)"
                    " VALUES (1, 'health', 'national', '', CURRENT_TIMESTAMP)")
        )  # fmt: skip
        for record in (1, 2):
            connection.execute(
                sa.text("INSERT INTO source_record (id, source_id, feed, record_key, status,"
                        " extracted_on, first_loaded_at, updated_at) VALUES (:id, 1, 'children',"
                        " :key, 'live', '2026-11-30', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                {"id": record, "key": f"R{record}"},
            )  # fmt: skip
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
