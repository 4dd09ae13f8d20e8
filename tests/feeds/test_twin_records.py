"""A twin is never linked to his brother, whichever of the brother's records matches best."""

from __future__ import annotations

import pytest

from feed_files import child_csv
from loads import Loads

ALFIE = {
    "given_name": "Alfie", "middle_names": "", "family_name": "Ababei", "former_family_names": "",
    "gender": "M", "date_of_birth": "2016-03-02", "upn": "", "school_urn": "",
    "gp_practice_code": "",
}  # fmt: skip


@pytest.fixture
def loads(fresh_database, tmp_path) -> Loads:
    directory = Loads(fresh_database.engine, tmp_path)
    for source in ("health", "school_census", "child_benefit"):
        directory.add_source(source)
    return directory


def test_a_twin_matching_a_record_without_an_nhs_number_is_held_for_review(loads):
    """His brother's school record has no NHS number and looks like him; his health record
    names another NHS number: a person decides."""
    loads.load("health", child_csv({**ALFIE, "record_id": "H1", "nhs_number": "9994070622"}))
    school = loads.load("school_census", child_csv({**ALFIE, "record_id": "S1", "nhs_number": ""}))
    assert school.counts["linked_to_existing"] == 1  # the brother's two records, one child
    albie = {**ALFIE, "record_id": "B2", "given_name": "Albie", "nhs_number": "9995632055"}
    report = loads.load("child_benefit", child_csv(albie))
    assert report.counts["held_for_review"] == 1
    assert report.counts["linked_to_existing"] == 0
    children = {child for _, _, child in loads.links()}
    assert len(children) == 2  # the brother, and the provisional child held for review
