"""`contactpoint linkage relink` decides with the model and thresholds loads are configured with."""

from __future__ import annotations

import csv
import os

import pytest
from typer.testing import CliRunner

from contactpoint.cli.linkage_commands import linkage_app
from contactpoint.linkage.decisions import Thresholds
from contactpoint.linkage.model import Model
from contactpoint.linkage.services import DirectoryLinker
from feeds.feed_files import child_csv
from feeds.loads import Loads

AMELIA = {"record_id": "A1", "given_name": "Amelia", "family_name": "Barton",
          "nhs_number": "9991027610", "date_of_birth": "2014-07-21",
          "postcode": "OX5V 9JP"}  # fmt: skip
NO_PAIR_LINKS = {
    "CONTACTPOINT_LINKAGE_LINK_THRESHOLD": "1000",
    "CONTACTPOINT_LINKAGE_REVIEW_THRESHOLD": "1000",
}


@pytest.fixture
def configured(fresh_database, tmp_path, monkeypatch):
    """The environment of a directory whose loads link no pair: thresholds none reaches."""
    for name in os.environ:
        if name.startswith("CONTACTPOINT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CONTACTPOINT_DATABASE_URL", fresh_database.url)
    monkeypatch.setenv("CONTACTPOINT_DATA_DIR", str(tmp_path))
    for name, value in NO_PAIR_LINKS.items():
        monkeypatch.setenv(name, value)
    return fresh_database


def test_relink_uses_the_configured_thresholds(configured, tmp_path, monkeypatch):
    """The same girl from two sources, kept apart by loads with these thresholds: the
    re-link with the same settings would decide the same, so it reports nothing."""
    loads = Loads.with_sources(configured.engine, tmp_path, "health", "school_census")
    strict = DirectoryLinker(Model.default(), Thresholds(link=1000.0, review=1000.0))
    monkeypatch.setattr("feeds.loads.linker", lambda: strict)
    loads.load("health", child_csv(AMELIA))
    loads.load("school_census", child_csv({**AMELIA, "record_id": "S1"}))
    output = tmp_path / "relink.csv"
    result = CliRunner().invoke(linkage_app, ["relink", "--output", str(output)])
    assert result.exit_code == 0, result.output
    with output.open(encoding="utf-8", newline="") as stream:
        assert list(csv.DictReader(stream)) == []
    assert "0 pairs it would merge" in result.output


@pytest.mark.parametrize("engine", ["splink", "python"])
def test_relink_scores_with_either_engine_and_says_which(configured, tmp_path, monkeypatch, engine):
    """The same girl kept apart by loads whose thresholds no pair reaches, re-linked with the
    default thresholds: either engine reports the pair the loader would now merge."""
    loads = Loads.with_sources(configured.engine, tmp_path, "health", "school_census")
    strict = DirectoryLinker(Model.default(), Thresholds(link=1000.0, review=1000.0))
    monkeypatch.setattr("feeds.loads.linker", lambda: strict)
    loads.load("health", child_csv(AMELIA))
    loads.load("school_census", child_csv({**AMELIA, "record_id": "S1"}))
    for name in NO_PAIR_LINKS:
        monkeypatch.delenv(name)
    output = tmp_path / "relink.csv"
    arguments = ["relink", "--output", str(output), "--engine", engine]
    result = CliRunner().invoke(linkage_app, arguments)
    assert result.exit_code == 0, result.output
    with output.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [(r["difference"], r["record_id_a"], r["record_id_b"]) for r in rows] == [
        ("would_merge", "A1", "S1")
    ]
    assert f"1 pairs scored ({engine})" in result.output
