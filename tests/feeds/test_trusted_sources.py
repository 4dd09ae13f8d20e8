"""Survivorship's first rule: a source trusted for a field beats a newer untrusted one."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from contactpoint.directory.models import Child
from contactpoint.feeds.models import LoadMode
from contactpoint.feeds.sources import add_source
from contactpoint.provenance.models import SourceKind
from contactpoint.vocabulary import Gender

from feed_files import child_csv
from loads import EXTRACTED_ON, OPERATOR, Loads

AMELIA = {"record_id": "H1", "nhs_number": "9991027610", "upn": "", "date_of_birth": "2014-07-21",
          "gender": "F"}  # fmt: skip
LATER = EXTRACTED_ON + dt.timedelta(days=7)


@pytest.fixture
def loads(fresh_database, tmp_path) -> Loads:
    directory = Loads(fresh_database.engine, tmp_path)
    with directory.sessions() as session:
        add_source(session, by=OPERATOR, name="health", kind=SourceKind.NATIONAL,
                   trusted_for=["date_of_birth"])  # fmt: skip
        session.commit()
    directory.add_source("school_census")
    return directory


def _shown(loads: Loads) -> tuple[dt.date | None, Gender]:
    with loads.sessions() as session:
        [child] = session.scalars(select(Child))
        return child.date_of_birth, child.gender


def test_a_trusted_value_stays_shown_against_a_newer_untrusted_one(loads):
    loads.load("health", child_csv(AMELIA))
    school = {**AMELIA, "record_id": "S1", "date_of_birth": "2014-07-12", "gender": "M"}

    report = loads.load("school_census", child_csv(school), extracted_on=LATER)

    assert report.counts["linked_to_existing"] == 1
    # Health is trusted for the date of birth only: its older date stays; the newer
    # gender, for which no source is trusted, is shown by recency.
    assert _shown(loads) == (dt.date(2014, 7, 21), Gender.MALE)


def test_the_untrusted_value_is_shown_once_the_trusted_record_ends(loads):
    loads.load("health", child_csv(AMELIA))
    school = {**AMELIA, "record_id": "S1", "date_of_birth": "2014-07-12"}
    loads.load("school_census", child_csv(school), extracted_on=LATER)

    loads.load("health", child_csv({**AMELIA, "action": "delete"}), mode=LoadMode.DELTA,
               extracted_on=LATER)  # fmt: skip

    assert _shown(loads)[0] == dt.date(2014, 7, 12)
