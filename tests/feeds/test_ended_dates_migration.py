"""Revision 0010: records ended before it keep the date of the extract that ended them.

Since then a load that ends a record sets its ``extracted_on`` to the ending
extract's date, so that no older extract brings it back; the upgrade gives the
records ended before it that date from the loads' change log.
"""

from __future__ import annotations

import sqlalchemy as sa

from contactpoint.schema.services import downgrade, upgrade

LOADS = {1: "2026-11-20", 2: "2026-11-25", 3: "2026-11-10"}  # load id: its extract's date
RECORDS = {  # record id: (status, extracted_on, the loads that ended it)
    1: ("ended", "2026-11-20", (2,)),  # ended by a newer extract: takes its date
    2: ("ended", "2026-11-20", (3,)),  # ended by an older one (before 0010 could): kept
    3: ("ended", "2026-11-20", (3, 2)),  # ended twice: the newest ending extract's date
    4: ("live", "2026-11-20", (2,)),  # ended, then sent again: live, untouched
    5: ("ended", "2026-11-20", ()),  # no log (an undone load's went): untouched
}


def _directory_before_0010(connection: sa.Connection) -> None:
    connection.execute(
        sa.text("INSERT INTO source (id, name, kind, trusted_for, created_at)"
                " VALUES (1, 'health', 'national', '', CURRENT_TIMESTAMP)")
    )  # fmt: skip
    for load, extracted_on in LOADS.items():
        connection.execute(
            sa.text("INSERT INTO feed_load (id, source_id, feed, mode, status, file_name,"
                    " file_digest, extracted_on, allow_mass_end, loaded_by, applied_through_line,"
                    " started_at, rows_read, inserted, updated, unchanged, ended, rejected,"
                    " linked_to_existing, new_children, held_for_review) VALUES (:id, 1,"
                    " 'children', 'full', 'completed', 'x.csv', 'd', :on, false, 'tester', 0,"
                    " CURRENT_TIMESTAMP, 0, 0, 0, 0, 0, 0, 0, 0, 0)"),
            {"id": load, "on": extracted_on},
        )  # fmt: skip
    for record, (status, extracted_on, ended_by) in RECORDS.items():
        connection.execute(
            sa.text("INSERT INTO source_record (id, source_id, feed, record_key, status,"
                    " extracted_on, first_loaded_at, updated_at) VALUES (:id, 1, 'children',"
                    " :key, :status, :on, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
            {"id": record, "key": f"R{record}", "status": status, "on": extracted_on},
        )  # fmt: skip
        for load in ended_by:
            connection.execute(
                sa.text("INSERT INTO feed_load_change (load_id, source_record_id, change,"
                        " previous_extracted_on, previous_status)"
                        " VALUES (:load, :record, 'ended', :on, 'live')"),
                {"load": load, "record": record, "on": extracted_on},
            )  # fmt: skip


def _dates(engine: sa.Engine) -> dict[int, str]:
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT id, extracted_on FROM source_record"))
        return {record: str(extracted_on) for record, extracted_on in rows}


def test_records_ended_before_the_upgrade_take_the_date_of_the_extract_that_ended_them(
    empty_database,
):
    engine = empty_database.engine
    upgrade(engine, "0009")
    with engine.begin() as connection:
        _directory_before_0010(connection)
    upgrade(engine, "0010")
    assert _dates(engine) == {
        1: "2026-11-25", 2: "2026-11-20", 3: "2026-11-25", 4: "2026-11-20", 5: "2026-11-20",
    }  # fmt: skip
    downgrade(engine, "0009")  # the dates stay: no earlier code reads an ended record's date
    assert _dates(engine)[1] == "2026-11-25"
