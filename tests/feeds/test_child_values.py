"""A child's date of birth and gender follow its live records as loads add, change and end them."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from contactpoint.directory.models import Child
from contactpoint.feeds.models import LoadMode
from contactpoint.vocabulary import Gender

from feed_files import CHILD_HEADER, child_csv
from loads import EXTRACTED_ON, Loads

AMELIA = {"record_id": "H1", "nhs_number": "9991027610", "upn": "", "date_of_birth": "2014-07-21"}


@pytest.fixture
def loads(fresh_database, tmp_path) -> Loads:
    return Loads.with_sources(fresh_database.engine, tmp_path, "health", "school_census")


def _shown(loads: Loads) -> list[tuple[dt.date | None, Gender, dt.date | None]]:
    with loads.sessions() as session:
        children = session.scalars(select(Child).order_by(Child.id))
        return [(child.date_of_birth, child.gender, child.date_of_death) for child in children]


def _child(loads: Loads) -> tuple[dt.date | None, Gender]:
    [(born, gender, _)] = _shown(loads)
    return born, gender


def test_the_newest_report_is_shown_and_the_older_one_returns_when_it_ends(loads):
    loads.load("health", child_csv(AMELIA))
    assert _child(loads) == (dt.date(2014, 7, 21), Gender.FEMALE)
    later = EXTRACTED_ON + dt.timedelta(days=7)
    school = {**AMELIA, "record_id": "S1", "date_of_birth": "2014-07-12", "gender": "U"}
    report = loads.load("school_census", child_csv(school), extracted_on=later)
    assert report.counts["linked_to_existing"] == 1
    # The newer date of birth is shown; a gender "not known" never replaces a known one.
    assert _child(loads) == (dt.date(2014, 7, 12), Gender.FEMALE)
    loads.load(
        "school_census",
        child_csv({**school, "action": "delete"}),
        mode=LoadMode.DELTA,
        extracted_on=later,
    )
    assert _child(loads) == (dt.date(2014, 7, 21), Gender.FEMALE)


def test_a_changed_record_changes_what_is_shown(loads):
    loads.load("health", child_csv(AMELIA))
    later = EXTRACTED_ON + dt.timedelta(days=1)
    loads.load("health", child_csv({**AMELIA, "gender": "M"}), extracted_on=later)
    assert _child(loads) == (dt.date(2014, 7, 21), Gender.MALE)


def test_a_child_made_for_one_record_shows_its_date_of_birth_gender_and_date_of_death(loads):
    """The child is made holding its record's values (no choice to make between records)."""
    died = {**AMELIA, "date_of_death": "2020-03-02"}
    report = loads.load("health", child_csv(died, header=(*CHILD_HEADER, "date_of_death")))
    assert report.counts["new_children"] == 1
    assert _shown(loads) == [(dt.date(2014, 7, 21), Gender.FEMALE, dt.date(2020, 3, 2))]


def test_a_child_made_in_a_chunk_that_links_a_second_record_chooses_between_them(loads):
    """Two records of one child in one extract: the second links to the child the first made,
    and the child's values are chosen from both (a known gender beats "not known")."""
    first = {**AMELIA, "gender": "U"}
    second = {**AMELIA, "record_id": "H2", "gender": "F"}
    report = loads.load("health", child_csv(first, second))
    assert (report.counts["new_children"], report.counts["linked_to_existing"]) == (1, 1)
    assert _shown(loads) == [(dt.date(2014, 7, 21), Gender.FEMALE, None)]


def test_a_newer_record_linked_to_a_child_changes_its_date_of_death_and_gender(loads):
    """A new record that reports a value the child does not show is chosen between (here the
    newer extract wins); one that reports what the child shows changes nothing."""
    loads.load("health", child_csv(AMELIA))
    header = (*CHILD_HEADER, "date_of_death")
    shown = [(dt.date(2014, 7, 21), Gender.FEMALE, None)]
    for days, change, now_shown in (
        (0, {}, shown[0]),
        (7, {"date_of_death": "2021-05-06"}, (*shown[0][:2], dt.date(2021, 5, 6))),
        (8, {"gender": "M"}, (shown[0][0], Gender.MALE, dt.date(2021, 5, 6))),
    ):
        row = {**AMELIA, "record_id": f"S{days}", **change}
        report = loads.load(
            "school_census", child_csv(row, header=header),
            extracted_on=EXTRACTED_ON + dt.timedelta(days=days), mode=LoadMode.DELTA,
        )  # fmt: skip
        assert report.counts["linked_to_existing"] == 1
        assert _shown(loads) == [now_shown]
