"""Revision 0012 goes down and up again on a directory whose loads confirmed records."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from contactpoint.schema.services import downgrade, upgrade

from feed_files import child_csv
from loads import Loads

AMELIA = {"record_id": "H1", "nhs_number": "", "upn": "", "given_name": "Amelia"}


def _count(engine: sa.Engine, sql: str) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(sa.text(sql)) or 0)


def test_0012_downgrades_and_upgrades_with_a_confirmation_in_place(fresh_database, tmp_path):
    loads = Loads.with_sources(fresh_database.engine, tmp_path, "health")
    loads.load("health", child_csv(AMELIA), extracted_on=dt.date(2026, 11, 20))
    loads.load("health", child_csv(AMELIA), extracted_on=dt.date(2026, 11, 25))
    engine = fresh_database.engine
    assert _count(engine, "SELECT count(*) FROM feed_load_confirmation") == 1

    downgrade(engine, "0011")
    columns = {column["name"] for column in sa.inspect(engine).get_columns("source_record")}
    assert "confirmed_on" not in columns
    assert "feed_load_confirmation" not in sa.inspect(engine).get_table_names()
    assert _count(engine, "SELECT count(*) FROM feed_load_change") == 1  # the insert stays
    upgrade(engine)
    assert _count(engine, "SELECT count(*) FROM source_record WHERE confirmed_on IS NULL") == 1
    loads.load("health", child_csv(AMELIA), extracted_on=dt.date(2026, 11, 26))
    assert _count(engine, "SELECT count(*) FROM feed_load_confirmation") == 1
