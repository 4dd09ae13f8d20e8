"""The batch re-link report and retraining on the directory's own records."""

from __future__ import annotations

import csv
import io

import pytest

from contactpoint.linkage.batch import relink_report
from contactpoint.linkage.decisions import Thresholds
from contactpoint.linkage.model import Model
from contactpoint.linkage.services import DirectoryLinker

from feed_files import child_csv
from loads import Loads

AMELIA = {
    "record_id": "A1",
    "given_name": "Amelia",
    "family_name": "Barton",
    "nhs_number": "9991027610",
    "date_of_birth": "2014-07-21",
    "postcode": "OX5V 9JP",
}
OLIVER = {"record_id": "A2", "given_name": "Oliver", "family_name": "Hughes",
          "date_of_birth": "2016-03-02", "nhs_number": "", "postcode": "OX2 6GG"}  # fmt: skip


@pytest.fixture
def loads(fresh_database, tmp_path) -> Loads:
    directory = Loads(fresh_database.engine, tmp_path)
    directory.add_source("health")
    directory.add_source("school_census")
    return directory


def report(loads: Loads) -> list[dict[str, str]]:
    stream = io.StringIO()
    with loads.sessions() as session:
        relink_report(session, stream, model=Model.default())
    return list(csv.DictReader(io.StringIO(stream.getvalue())))


def test_records_kept_apart_that_the_model_would_link_are_reported_as_would_merge(
    loads, monkeypatch
):
    strict = DirectoryLinker(Model.default(), Thresholds(link=1000.0, review=1000.0))
    monkeypatch.setattr("loads.linker", lambda: strict)
    loads.load("health", child_csv(AMELIA, OLIVER))
    loads.load("school_census", child_csv({**AMELIA, "record_id": "S1"}))
    rows = report(loads)
    assert [(r["difference"], r["record_id_a"], r["record_id_b"]) for r in rows] == [
        ("would_merge", "A1", "S1")
    ]
    assert rows[0]["child_id_a"] != rows[0]["child_id_b"]
    assert float(rows[0]["match_weight"]) >= Thresholds().link


def test_records_of_one_child_the_model_would_not_join_are_reported_as_would_split(
    loads, monkeypatch
):
    lax = DirectoryLinker(Model.default(), Thresholds(link=-1000.0, review=-1000.0, margin=0))
    monkeypatch.setattr("loads.linker", lambda: lax)
    loads.load("health", child_csv(AMELIA))
    loads.load("school_census", child_csv({**OLIVER, "record_id": "S2", "postcode": "OX5V 9JP"}))
    rows = report(loads)
    assert [(r["difference"], r["record_id_a"], r["record_id_b"]) for r in rows] == [
        ("would_split", "A1", "S2")
    ]


def test_a_directory_linked_by_the_same_model_reports_nothing_for_distinct_children(loads):
    loads.load("health", child_csv(AMELIA, OLIVER))
    loads.load("school_census", child_csv({**AMELIA, "record_id": "S1"}))
    assert report(loads) == []
