"""`contactpoint sources add`, `load` and `export links`, run as real commands."""

from __future__ import annotations

import csv
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from contactpoint.linkage.model import Model
from contactpoint.synth.bundle import write_synthetic_extracts

from cli_commands import run_command

CHILDREN_CSV = (
    "record_id,given_name,family_name,date_of_birth,nhs_number\n"
    "H1,Amelia,Barton,2014-07-21,9991027610\n"
    "H2,Oliver,Hughes,2016-03-02,\n"
    "H3,,Patel,2012-11-30,\n"
)


def partition(export: Path) -> set[frozenset[str]]:
    """Which records share a child: the link export without the (random) ContactPoint IDs."""
    children: dict[str, set[str]] = {}
    with export.open(encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            children.setdefault(row["child_id"], set()).add(f"{row['source']}/{row['record_id']}")
    return {frozenset(records) for records in children.values()}


def test_adding_a_source_twice_is_a_no_op_and_another_kind_is_an_error(fresh_database):
    url = fresh_database.url
    first = run_command("sources", "add", "health", "--kind", "national", database_url=url)
    assert first.returncode == 0, first.stderr
    again = run_command("sources", "add", "health", "--kind", "national", database_url=url)
    assert (again.returncode, "already registered; nothing changed" in again.stdout) == (0, True)
    other = run_command("sources", "add", "health", "--kind", "local", database_url=url)
    assert other.returncode == 1
    assert "already registered as national, not local" in other.stderr


def test_a_load_for_an_unknown_source_names_the_command_that_registers_it(fresh_database, tmp_path):
    extract = tmp_path / "health.csv"
    extract.write_text(CHILDREN_CSV, encoding="utf-8")
    result = run_command(
        "load", "--source", "health", str(extract), database_url=fresh_database.url
    )
    assert result.returncode == 1
    assert "contactpoint sources add health" in result.stderr
    assert "Traceback" not in result.stderr


def test_load_before_db_upgrade_names_the_command_to_run(empty_database, tmp_path):
    extract = tmp_path / "health.csv"
    extract.write_text(CHILDREN_CSV, encoding="utf-8")
    result = run_command(
        "load", "--source", "health", str(extract), database_url=empty_database.url
    )
    assert result.returncode == 1
    assert "contactpoint db upgrade" in result.stderr


def test_a_load_with_rejected_rows_exits_0_and_the_export_lists_every_accepted_record(
    fresh_database, tmp_path
):
    url = fresh_database.url
    extract = tmp_path / "health.csv"
    extract.write_text(CHILDREN_CSV, encoding="utf-8")
    run_command("sources", "add", "health", "--kind", "national", database_url=url)
    result = run_command(
        "load", "--source", "health", "--extracted-on", "2026-11-20", str(extract),
        database_url=url,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "line 4, column given_name: given_name is empty" in result.stdout
    export = tmp_path / "links.csv"
    exported = run_command("export", "links", "--output", str(export), database_url=url)
    assert exported.returncode == 0, exported.stderr
    with export.open(encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == ["source", "record_id", "child_id"]
    assert sorted(row[1] for row in rows[1:]) == ["H1", "H2"]


def test_a_refused_file_exits_non_zero_and_says_why(fresh_database, tmp_path):
    url = fresh_database.url
    extract = tmp_path / "health.csv"
    extract.write_text("record_id,given_name,family_nme,date_of_birth\n", encoding="utf-8")
    run_command("sources", "add", "health", "--kind", "national", database_url=url)
    result = run_command("load", "--source", "health", str(extract), database_url=url)
    assert result.returncode == 1
    assert "family_nme" in result.stderr + result.stdout


def _load_command(url: str, extract: Path) -> subprocess.Popen[str]:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CONTACTPOINT_")},
        "CONTACTPOINT_DATABASE_URL": url,
        "CONTACTPOINT_MODE": "production",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "contactpoint", "load", "--source", "health",
         "--extracted-on", "2026-11-20", str(extract)],
        env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip


def _reading(pid: int, extract: Path) -> bool:
    """The process has the extract open: it has begun the load (its digest, or pass one)."""
    folder = Path(f"/proc/{pid}/fd")
    try:
        return any(fd.readlink() == extract.resolve() for fd in folder.iterdir())
    except (FileNotFoundError, ProcessLookupError):  # it ended, or closed that descriptor
        return False


def _applied_through(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return int(
                connection.scalar(sa.text("SELECT max(applied_through_line) FROM feed_load")) or 0
            )
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("kill_when", ["checking", "applying"])
def test_a_load_killed_with_sigkill_ends_where_an_uninterrupted_load_would(
    fresh_database, database_templates, backend, tmp_path, kill_when
):
    write_synthetic_extracts(
        children=2500, seed=3, output=tmp_path / "synth", as_of=dt.date(2026, 11, 20)
    )
    extract = tmp_path / "synth" / "health.csv"
    other = database_templates.for_backend(backend).clone()
    try:
        for url in (fresh_database.url, other.url):
            run_command("sources", "add", "health", "--kind", "national", database_url=url)
        process = _load_command(fresh_database.url, extract)
        deadline = time.monotonic() + 240
        # Killed as soon as it reads the extract, or once a chunk has been committed.
        # (A fixed pause before the kill once let a fast machine finish the load first.)
        checking = kill_when == "checking"
        while time.monotonic() < deadline and process.poll() is None:
            if checking and _reading(process.pid, extract):
                break
            if not checking and _applied_through(fresh_database.url) > 0:
                break
            time.sleep(0.002 if checking else 0.05)
        assert process.poll() is None, "the load ended before it could be killed"
        process.kill()
        process.wait()
        rerun = run_command(
            "load", "--source", "health", "--extracted-on", "2026-11-20", str(extract),
            database_url=fresh_database.url,
        )  # fmt: skip
        assert rerun.returncode == 0, rerun.stderr
        uninterrupted = run_command(
            "load", "--source", "health", "--extracted-on", "2026-11-20", str(extract),
            database_url=other.url,
        )  # fmt: skip
        assert uninterrupted.returncode == 0, uninterrupted.stderr
        exports = []
        for url, name in ((fresh_database.url, "killed.csv"), (other.url, "whole.csv")):
            run_command("export", "links", "--output", str(tmp_path / name), database_url=url)
            exports.append(partition(tmp_path / name))
        assert exports[0] == exports[1]
        assert len(exports[0]) > 1000
    finally:
        database_templates.for_backend(backend).drop(other)


def test_linkage_train_refuses_a_directory_too_small_to_learn_from(fresh_database, tmp_path):
    result = run_command(
        "linkage",
        "train",
        "--output",
        str(tmp_path / "model.json"),
        database_url=fresh_database.url,
    )
    assert result.returncode == 1
    assert "training needs at least 1,000" in result.stderr
    assert not (tmp_path / "model.json").exists()


@pytest.mark.slow
def test_linkage_train_writes_a_model_that_loads_can_use(fresh_database, tmp_path):
    url = fresh_database.url
    write_synthetic_extracts(
        children=1200, seed=5, output=tmp_path / "synth", as_of=dt.date(2026, 11, 20)
    )
    run_command("sources", "add", "health", "--kind", "national", database_url=url)
    loaded = run_command(
        "load", "--source", "health", str(tmp_path / "synth" / "health.csv"), database_url=url
    )
    assert loaded.returncode == 0, loaded.stderr
    model_file = tmp_path / "model.json"
    trained = run_command("linkage", "train", "--output", str(model_file), database_url=url)
    assert trained.returncode == 0, trained.stderr
    model = Model.load(model_file)
    assert "-directory-" in model.version
    assert model.version != Model.default().version
    relinked = run_command(
        "linkage", "relink", "--output", str(tmp_path / "relink.csv"), database_url=url
    )
    assert relinked.returncode == 0, relinked.stderr
    with (tmp_path / "relink.csv").open(encoding="utf-8") as stream:
        assert next(csv.reader(stream))[0] == "difference"


@pytest.mark.parametrize("given", ["20261120", "2026-W47-5", "2026-11-31", "2999-01-01"])
def test_an_extract_date_not_in_the_form_yyyy_mm_dd_is_refused(fresh_database, tmp_path, given):
    extract = tmp_path / "health.csv"
    extract.write_text(CHILDREN_CSV, encoding="utf-8")
    result = run_command(
        "load", "--source", "health", "--extracted-on", given, str(extract),
        database_url=fresh_database.url,
    )  # fmt: skip
    assert result.returncode == 2  # a usage error
    assert given in result.stderr
    assert any(says in result.stderr for says in ("YYYY-MM-DD", "not a real date", "after today"))
