"""`contactpoint linkage reindex` makes every live child record's blocking keys again."""

from __future__ import annotations

import sqlalchemy as sa

from cli_commands import run_command

CHILDREN_CSV = (
    "record_id,given_name,family_name,date_of_birth,nhs_number,postcode\n"
    "H1,Amelia,Barton,2014-07-21,9991027610,OX2 6NN\n"
    "H2,Oliver,Hughes,2016-03-02,,OX4 1AA\n"
    "H3,Priya,Patel,2012-11-30,,\n"
)


def _index(url: str) -> set[tuple[int, int]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT key_hash, source_record_id FROM linkage_block")
            )
            return {(key, record) for key, record in rows}
    finally:
        engine.dispose()


def test_reindex_restores_the_keys_a_load_made(fresh_database, tmp_path):
    url = fresh_database.url
    extract = tmp_path / "health.csv"
    extract.write_text(CHILDREN_CSV, encoding="utf-8")
    run_command("sources", "add", "health", "--kind", "national", database_url=url)
    loaded = run_command(
        "load", "--source", "health", "--extracted-on", "2026-11-20", str(extract),
        database_url=url,
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    made = _index(url)
    assert len({record for _, record in made}) == 3
    engine = sa.create_engine(url)
    with engine.begin() as connection:  # an index gone stale: half its keys lost
        lost = sorted(made)[: len(made) // 2]
        for key, record in lost:
            connection.execute(
                sa.text("DELETE FROM linkage_block WHERE key_hash = :k AND source_record_id = :r"),
                {"k": key, "r": record},
            )
    engine.dispose()
    assert _index(url) != made
    result = run_command("linkage", "reindex", database_url=url)
    assert result.returncode == 0, result.stderr
    assert f"Indexed 3 live child records under {len(made)} blocking keys." in result.stdout
    assert _index(url) == made


def test_reindex_is_refused_while_a_load_is_part_applied(fresh_database, tmp_path):
    url = fresh_database.url
    extract = tmp_path / "health.csv"
    extract.write_text(CHILDREN_CSV, encoding="utf-8")
    run_command("sources", "add", "health", "--kind", "national", database_url=url)
    loaded = run_command("load", "--source", "health", str(extract), database_url=url)
    assert loaded.returncode == 0, loaded.stderr
    made = _index(url)
    engine = sa.create_engine(url)
    with engine.begin() as connection:  # as a load killed part way leaves it
        connection.execute(sa.text("UPDATE feed_load SET status = 'applying'"))
        connection.execute(sa.text("DELETE FROM linkage_block"))
    engine.dispose()
    result = run_command("linkage", "reindex", database_url=url)
    assert result.returncode == 1
    assert "health.csv for health is part-applied" in result.stderr
    assert "run that load again" in result.stderr
    assert _index(url) == set()  # nothing was changed
    assert made
