"""The loader and the re-link report beside shielded children: a new identity's shield wins,
and the report names the child the loader would hold a record beside."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from test_review_support import AMELIA as UNNUMBERED
from test_review_support import AMELIA_AT_SCHOOL as UNNUMBERED_ELSEWHERE

from contactpoint.directory.models import Child, Shield
from contactpoint.linkage.decisions import Thresholds
from contactpoint.linkage.model import Model
from contactpoint.linkage.models import ReviewItem
from contactpoint.linkage.services import DirectoryLinker
from contactpoint.provenance.models import SourceRecord
from contactpoint.vocabulary import ShieldReason
from feeds.feed_files import child_csv
from feeds.loads import Loads

import factories

AMELIA = {"record_id": "A1", "given_name": "Amelia", "family_name": "Barton",
          "nhs_number": "9991027610", "date_of_birth": "2014-07-21",
          "postcode": "OX5V 9JP"}  # fmt: skip
# Another child's record that carries Amelia's NHS number (a mistyped number).
STRANGER = {"record_id": "A3", "given_name": "Oliver", "family_name": "Hughes",
            "date_of_birth": "2016-03-02", "nhs_number": AMELIA["nhs_number"],
            "postcode": "OX2 6GG"}  # fmt: skip


@pytest.fixture
def loads(fresh_database, tmp_path) -> Loads:
    return Loads.with_sources(fresh_database.engine, tmp_path, "health", "school_census")


def kept_apart(loads: Loads, monkeypatch, source: str, *records: dict[str, str]) -> None:
    """Each record a child of its own (or held for review), as thresholds no pair reaches."""
    strict = DirectoryLinker(Model.default(), Thresholds(link=1000.0, review=1000.0))
    monkeypatch.setattr("feeds.loads.linker", lambda: strict)
    loads.load(source, child_csv(*records))
    monkeypatch.undo()


def child_of(loads: Loads, record_id: str) -> int:
    with loads.sessions() as session:
        return session.scalars(
            select(SourceRecord.child_id).where(SourceRecord.record_key == record_id)
        ).one()


def shield(loads: Loads, child_id: int, reason: ShieldReason) -> None:
    with loads.sessions() as session:
        factories.shield(session, of=child_id, reason=reason)
        session.commit()


def test_a_record_held_beside_children_shielded_for_harm_and_for_a_new_identity_is_a_new_identity(
    loads, monkeypatch
):
    """Amelia's school record may belong to her own child (shielded for harm, the first) and to
    the child holding her number (shielded for an adoption): its provisional child is shielded
    for the adoption, so that no record of the old identity links to it unseen."""
    kept_apart(loads, monkeypatch, "health", AMELIA, STRANGER)
    amelia, stranger = child_of(loads, "A1"), child_of(loads, "A3")
    assert amelia < stranger
    shield(loads, amelia, ShieldReason.RISK_OF_SIGNIFICANT_HARM)
    shield(loads, stranger, ShieldReason.ADOPTION_PLACEMENT)

    loaded = loads.load("school_census", child_csv({**AMELIA, "record_id": "S1"}))

    assert loaded.counts["held_for_review"] == 1, loaded.counts
    with loads.sessions() as session:
        reasons = session.scalars(
            select(Shield.reason).where(Shield.child_id == child_of(loads, "S1"))
        ).all()
    assert reasons == [ShieldReason.ADOPTION_PLACEMENT]


def test_the_report_treats_a_survivor_as_the_new_identity_merged_into_it(loads, monkeypatch):
    """A child merged away under an adoption shield, into a survivor shielded only for harm
    (as merges made before the new identity's shield was carried over left them): no pair
    with the survivor is reported."""
    kept_apart(loads, monkeypatch, "health", AMELIA)
    kept_apart(loads, monkeypatch, "school_census", {**AMELIA, "record_id": "S1"})
    assert [row["difference"] for row in loads.relink_rows()] == ["would_merge"]
    survivor = child_of(loads, "A1")
    with loads.sessions() as session:
        merged = factories.child(session)
        merged.merged_into_id = survivor
        session.commit()
        merged_id = merged.id
    shield(loads, merged_id, ShieldReason.ADOPTION_IDENTITY_LINK)
    shield(loads, survivor, ShieldReason.RISK_OF_SIGNIFICANT_HARM)  # looked up after the other

    assert loads.relink_rows() == []


def test_the_report_names_the_shielded_child_the_loader_would_hold_a_record_beside(
    loads, monkeypatch
):
    """Amelia's school record (S1) fits her health record (A1) best, and a third record of
    hers, with another birth date and address (A3), in the review band: each a child of its
    own, and A3's shielded. The loader would hold S1 beside A3's child, not A1's, and so
    does the report."""
    amelia = {**UNNUMBERED, "record_id": "A1"}
    elsewhere = {**UNNUMBERED_ELSEWHERE, "record_id": "A3"}
    kept_apart(loads, monkeypatch, "health", amelia, elsewhere)
    kept_apart(loads, monkeypatch, "school_census", {**amelia, "record_id": "S1"})
    shield(loads, child_of(loads, "A3"), ShieldReason.RISK_OF_SIGNIFICANT_HARM)
    with loads.sessions() as session:
        shielded = session.get(Child, child_of(loads, "A3"))
        assert shielded is not None
        beside_a3 = shielded.contactpoint_id

    rows = loads.relink_rows()

    held = [row for row in rows if "S1" in (row["record_id_a"], row["record_id_b"])]
    assert [(row["difference"], row["record_id_a"], row["record_id_b"]) for row in held] == [
        ("would_review", "A3", "S1")
    ]
    assert beside_a3 in (held[0]["child_id_a"], held[0]["child_id_b"])
    # The loader, given the same record again, holds it beside that very child.
    loads.add_source("child_benefit")
    loaded = loads.load("child_benefit", child_csv({**amelia, "record_id": "B1"}))
    assert loaded.counts["held_for_review"] == 1, loaded.counts
    with loads.sessions() as session:
        item = session.scalars(select(ReviewItem)).one()
    assert item.candidate_child_id == child_of(loads, "A3")
