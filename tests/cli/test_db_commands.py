"""`contactpoint db upgrade` and `contactpoint stats`, run as real commands."""

from __future__ import annotations

from sqlalchemy.orm import Session

import factories
from cli_commands import run_command


def test_db_upgrade_creates_the_schema_and_says_so(empty_database):
    result = run_command("db", "upgrade", database_url=empty_database.url)
    assert result.returncode == 0, result.stderr
    assert "from empty to revision" in result.stdout


def test_db_upgrade_on_an_up_to_date_database_says_nothing_changed(fresh_database):
    result = run_command("db", "upgrade", database_url=fresh_database.url)
    assert result.returncode == 0, result.stderr
    assert "already up to date" in result.stdout


def test_stats_before_db_upgrade_fails_naming_the_command_to_run(empty_database):
    result = run_command("stats", database_url=empty_database.url)
    assert result.returncode == 1
    assert "contactpoint db upgrade" in result.stderr
    assert "Traceback" not in result.stderr


def test_stats_counts_what_the_directory_holds(fresh_database):
    with Session(fresh_database.engine) as session:
        factories.child(session)
        factories.child(session, shielded=True)
        session.commit()
    result = run_command("stats", database_url=fresh_database.url)
    assert result.returncode == 0, result.stderr
    assert "Children (active)" in result.stdout
    assert "Children shielded" in result.stdout
    lines = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in result.stdout.splitlines()
        if line.count("│") == 3
    }
    assert lines["Children (active)"] == "2"
    assert lines["Children shielded"] == "1"


def test_an_unreachable_database_gives_one_clear_error_and_no_traceback(tmp_path):
    result = run_command("stats", database_url="postgresql+psycopg://postgres@127.0.0.1:1/absent")
    assert result.returncode == 1
    assert "cannot use the database" in result.stderr
    assert "CONTACTPOINT_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unset_database_url_means_an_sqlite_file_in_the_data_directory(tmp_path):
    result = run_command("db", "upgrade", database_url="", data_dir=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "contactpoint.sqlite3").exists()


def test_commands_that_use_no_secret_run_in_production_without_one(empty_database):
    result = run_command("db", "upgrade", database_url=empty_database.url, mode="production")
    assert result.returncode == 0, result.stderr
    assert "SECRET" not in result.stderr


def test_serve_refuses_production_mode_with_the_default_secret(fresh_database):
    result = run_command("serve", "--port", "1", database_url=fresh_database.url, mode="production")
    assert result.returncode == 1
    assert "CONTACTPOINT_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr
