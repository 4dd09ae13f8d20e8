"""Revision 0011 goes down and up again on a directory that holds loads."""

from __future__ import annotations

import sqlalchemy as sa

from contactpoint.schema.services import downgrade, upgrade

from feed_files import child_csv
from loads import Loads


def test_0011_downgrades_and_upgrades_with_loads_and_their_problems_in_place(
    fresh_database, tmp_path
):
    loads = Loads.with_sources(fresh_database.engine, tmp_path, "health")
    amelia = {"record_id": "H1", "nhs_number": "1234567890"}  # a field problem is kept
    report = loads.load("health", child_csv(amelia))
    assert report.problems
    engine = fresh_database.engine

    downgrade(engine, "0010")
    columns = {column["name"] for column in sa.inspect(engine).get_columns("feed_load")}
    assert "rows_without_record_id" not in columns
    with engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM feed_load_problem")) >= 1
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT rows_without_record_id FROM feed_load")) == 0
