"""A record sharing an NHS number or UPN with a child is never silently a second child."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contactpoint.linkage.models import ReviewItem
from contactpoint.provenance.models import SourceRecord

from feed_files import child_csv
from loads import Loads

ALFIE = {
    "record_id": "H1", "given_name": "Alfie", "middle_names": "", "family_name": "Ababei",
    "former_family_names": "", "gender": "M", "date_of_birth": "2016-03-02",
    "nhs_number": "9994070622", "upn": "", "school_urn": "", "gp_practice_code": "",
}  # fmt: skip
# Another child entirely: another name, birthday and home.
ZARA = {
    "record_id": "S1", "given_name": "Zara", "middle_names": "", "family_name": "Okafor",
    "former_family_names": "", "gender": "F", "date_of_birth": "2018-09-30",
    "address_line_1": "4 Mill Lane", "town": "Witney", "postcode": "OX28 6AB",
    "nhs_number": "", "upn": "", "school_urn": "", "gp_practice_code": "", "carer_1_given_name": "",
    "carer_1_family_name": "", "carer_1_relationship": "", "carer_1_phone": "", "carer_1_email": "",
}  # fmt: skip


@pytest.fixture
def loads(fresh_database, tmp_path) -> Loads:
    return Loads.with_sources(fresh_database.engine, tmp_path, "health", "school_census")


def _child_of(loads: Loads, record_key: str) -> int | None:
    with loads.sessions() as session:
        return session.scalar(
            select(SourceRecord.child_id).where(SourceRecord.record_key == record_key)
        )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"nhs_number": "9994070622"}, {"nhs_number": "9994070622"}),
        ({"upn": "W100400018000"}, {"upn": "W100400018000"}),
    ],
    ids=["nhs_number", "upn"],
)
def test_another_child_with_the_same_number_is_held_for_review(loads, first, second):
    """Zara's record carries Alfie's number: a mistyped number or a mistyped record. She is
    held for review beside him, not made a second child holding his number unseen."""
    loads.load("health", child_csv({**ALFIE, "nhs_number": "", **first}))
    report = loads.load("school_census", child_csv({**ZARA, **second}))
    assert report.counts["held_for_review"] == 1
    assert report.counts["new_children"] == report.counts["linked_to_existing"] == 0
    with loads.sessions() as session:
        item = session.scalars(select(ReviewItem)).one()
    assert item.candidate_child_id == _child_of(loads, "H1")
    assert item.provisional_child_id == _child_of(loads, "S1")


def test_another_child_with_another_number_is_a_new_child_not_held(loads):
    loads.load("health", child_csv(ALFIE))
    report = loads.load("school_census", child_csv({**ZARA, "nhs_number": "9995632055"}))
    assert report.counts["held_for_review"] == 0
    assert report.counts["new_children"] == 1
