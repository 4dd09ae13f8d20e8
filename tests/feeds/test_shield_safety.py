"""A record that may belong to a shielded child never shows that child's hidden details."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contactpoint.directory.models import Child, Shield
from contactpoint.linkage.models import ReviewItem
from contactpoint.organisations.models import Organisation, OrganisationKind
from contactpoint.vocabulary import ShieldReason

import factories
from feed_files import child_csv
from loads import Loads

AMELIA = {
    "record_id": "H1",
    "given_name": "Amelia",
    "family_name": "Barton",
    "date_of_birth": "2014-07-21",
    "nhs_number": "9991027610",
    "postcode": "OX5V 9JP",
}


# Left empty so that only name, date of birth and postcode speak (the defaults share a lot).
BARE_COLUMNS = (
    "nhs_number", "upn", "middle_names", "former_family_names", "address_line_1", "town",
    "carer_1_given_name", "carer_1_family_name", "carer_1_relationship", "carer_1_phone",
    "carer_1_email", "school_urn", "school_start_date", "gp_practice_code",
)  # fmt: skip


@pytest.fixture
def loads(fresh_database, tmp_path) -> Loads:
    directory = Loads(fresh_database.engine, tmp_path)
    directory.add_source("health")
    directory.add_source("school_census")
    return directory


def shield_the_child_of(loads: Loads, record_id: str, reason: ShieldReason) -> int:
    links = {key: child for _, key, child in loads.links()}
    with loads.sessions() as session:
        child = session.scalar(select(Child).where(Child.contactpoint_id == links[record_id]))
        assert child is not None
        factories.shield(session, of=child, reason=reason)
        session.commit()
        return child.id


def new_children_and_shields(loads: Loads, shielded_id: int) -> tuple[list[int], set[int]]:
    with loads.sessions() as session:
        others = list(session.scalars(select(Child.id).where(Child.id != shielded_id)))
        shields = set(session.scalars(select(Shield.child_id)))
        return others, shields


def test_a_record_sharing_a_shielded_childs_nhs_number_is_held_on_a_shielded_child(loads):
    loads.load("health", child_csv(AMELIA))
    shielded = shield_the_child_of(loads, "H1", ShieldReason.RISK_OF_SIGNIFICANT_HARM)
    stranger = {**AMELIA, "record_id": "S1", "given_name": "Zed", "family_name": "Quill",
                "date_of_birth": "2010-01-01", "postcode": "OX1 1AA"}  # fmt: skip
    report = loads.load("school_census", child_csv(stranger))
    assert report.counts["held_for_review"] == 1
    (provisional,), shields = new_children_and_shields(loads, shielded)
    assert provisional in shields
    with loads.sessions() as session:
        item = session.scalar(select(ReviewItem))
        assert item is not None
        assert (item.provisional_child_id, item.candidate_child_id) == (provisional, shielded)


def test_a_record_of_a_child_with_a_new_identity_is_never_linked_automatically(loads):
    loads.load("health", child_csv(AMELIA))
    shielded = shield_the_child_of(loads, "H1", ShieldReason.ADOPTION_IDENTITY_LINK)
    report = loads.load("school_census", child_csv({**AMELIA, "record_id": "S1"}))
    assert (report.counts["linked_to_existing"], report.counts["held_for_review"]) == (0, 1)
    (provisional,), shields = new_children_and_shields(loads, shielded)
    assert provisional in shields


def test_a_record_of_a_child_shielded_for_harm_links_to_that_child(loads):
    loads.load("health", child_csv(AMELIA))
    shielded = shield_the_child_of(loads, "H1", ShieldReason.RISK_OF_SIGNIFICANT_HARM)
    report = loads.load("school_census", child_csv({**AMELIA, "record_id": "S1"}))
    assert report.counts["linked_to_existing"] == 1
    others, _ = new_children_and_shields(loads, shielded)
    assert others == []


def test_a_national_sources_review_item_goes_to_the_council_of_the_childs_school(loads):
    with loads.sessions() as session:
        council = Organisation(kind=OrganisationKind.COUNCIL, code="931", name="A council")
        session.add(council)
        session.flush()
        session.add(Organisation(kind=OrganisationKind.SCHOOL, code="107566", name="A school",
                                 council_id=council.id))  # fmt: skip
        session.commit()
        council_id = council.id
    bare = {**AMELIA, **dict.fromkeys(BARE_COLUMNS, "")}
    loads.load("health", child_csv({**bare, "school_urn": "107566"}))
    nearly = {**bare, "record_id": "S1", "date_of_birth": "2014-07-22", "postcode": "OX1 1AA"}
    report = loads.load("school_census", child_csv(nearly))
    assert report.counts["held_for_review"] == 1, report.counts
    with loads.sessions() as session:
        item = session.scalar(select(ReviewItem))
        assert item is not None
        assert item.council_id == council_id
