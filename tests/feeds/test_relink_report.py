"""The batch re-link report and retraining on the directory's own records."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contactpoint.directory.models import Child
from contactpoint.linkage.decisions import Thresholds
from contactpoint.linkage.model import Model
from contactpoint.linkage.models import ReviewItem
from contactpoint.linkage.review import accept_match, reject_match, split_child
from contactpoint.linkage.services import DirectoryLinker
from contactpoint.provenance.models import SourceRecord
from contactpoint.vocabulary import ShieldReason

import factories
from feed_files import child_csv
from loads import OPERATOR, Loads

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


def test_records_kept_apart_that_the_model_would_link_are_reported_as_would_merge(
    loads, monkeypatch
):
    strict = DirectoryLinker(Model.default(), Thresholds(link=1000.0, review=1000.0))
    monkeypatch.setattr("loads.linker", lambda: strict)
    loads.load("health", child_csv(AMELIA, OLIVER))
    loads.load("school_census", child_csv({**AMELIA, "record_id": "S1"}))
    rows = loads.relink_rows()
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
    # A candidate (her birth date and postcode) that shares no number: the loader would not
    # hold it for review, but make it a new child.
    oliver = {**OLIVER, "record_id": "S2", "postcode": "OX5V 9JP", "date_of_birth": "2014-07-21",
              "upn": ""}  # fmt: skip
    loads.load("school_census", child_csv(oliver))
    rows = loads.relink_rows()
    assert [(r["difference"], r["record_id_a"], r["record_id_b"]) for r in rows] == [
        ("would_split", "A1", "S2")
    ]


def test_a_directory_linked_by_the_same_model_reports_nothing_for_distinct_children(loads):
    loads.load("health", child_csv(AMELIA, OLIVER))
    loads.load("school_census", child_csv({**AMELIA, "record_id": "S1"}))
    assert loads.relink_rows() == []


def kept_apart(loads: Loads, monkeypatch, *records: tuple[str, dict[str, str]]) -> None:
    """Each record a child of its own, as a load with thresholds no pair reaches makes them."""
    strict = DirectoryLinker(Model.default(), Thresholds(link=1000.0, review=1000.0))
    monkeypatch.setattr("loads.linker", lambda: strict)
    for source, record in records:
        loads.load(source, child_csv(record))
    monkeypatch.undo()


def differences(rows: list[dict[str, str]]) -> list[tuple[str, str, str]]:
    return [(r["difference"], r["record_id_a"], r["record_id_b"]) for r in rows]


ALI = {"record_id": "A1", "given_name": "Ali", "middle_names": "", "family_name": "Ababei",
       "former_family_names": "", "gender": "M", "date_of_birth": "2019-11-13",
       "nhs_number": "", "upn": "", "postcode": "OX3 7BX",
       "address_line_1": "7 Cherwell Road"}  # fmt: skip


def test_twins_are_reported_as_would_review_never_as_would_merge(loads, monkeypatch):
    """Ali and Albie score above the link threshold, but the loader holds possible twins."""
    kept_apart(loads, monkeypatch, ("health", ALI),
               ("school_census", {**ALI, "record_id": "S1", "given_name": "Albie"}))  # fmt: skip
    rows = loads.relink_rows()
    assert differences(rows) == [("would_review", "A1", "S1")]
    assert float(rows[0]["match_weight"]) >= Thresholds().link


def test_a_record_as_like_two_other_children_is_reported_as_would_review(loads, monkeypatch):
    """Three records of one girl, each a child: the loader would not choose between two
    children that fit equally well (the margin), so none is a merge it would make."""
    loads.add_source("child_benefit")
    amelia = {**AMELIA, "nhs_number": "", "upn": ""}  # a shared number would queue them
    kept_apart(loads, monkeypatch, ("health", amelia),
               ("school_census", {**amelia, "record_id": "S1"}),
               ("child_benefit", {**amelia, "record_id": "B1"}))  # fmt: skip
    # Each record is reported beside the child the loader would show it with (the first
    # of two equal ones): A1 and S1 each beside the other, B1 beside A1.
    assert differences(loads.relink_rows()) == [
        ("would_review", "A1", "S1"), ("would_review", "A1", "B1"),
    ]  # fmt: skip


def test_records_a_person_kept_separate_are_not_reported(loads, monkeypatch):
    held = DirectoryLinker(Model.default(), Thresholds(link=1000.0, review=0.0))
    monkeypatch.setattr("loads.linker", lambda: held)
    loads.load("health", child_csv(AMELIA))
    loads.load("school_census", child_csv({**AMELIA, "record_id": "S1"}))
    # Waiting in the queue, the pair is one the current model would link.
    assert differences(loads.relink_rows()) == [("would_merge", "A1", "S1")]
    with loads.sessions() as session:
        item = session.scalars(select(ReviewItem.id)).one()
        reject_match(session, by=OPERATOR, item_id=item)
        session.commit()
    assert loads.relink_rows() == []


def test_records_a_person_split_apart_are_not_reported(loads):
    loads.load("health", child_csv(AMELIA))
    loads.load("school_census", child_csv({**AMELIA, "record_id": "S1"}))
    assert loads.relink_rows() == []
    with loads.sessions() as session:
        school = session.scalars(select(SourceRecord).where(SourceRecord.record_key == "S1")).one()
        child = session.get(Child, school.child_id)
        assert child is not None
        split_child(session, by=OPERATOR, contactpoint_id=child.contactpoint_id,
                    source_record_ids=[school.id])  # fmt: skip
        session.commit()
    assert loads.relink_rows() == []


def test_records_a_person_merged_or_has_yet_to_decide_are_not_reported(loads):
    """The same girl with a mistyped date of birth and another address scores in the review
    band: held for review, the pair is with a person; merged by one, it stays merged."""
    amelia = {**AMELIA, "nhs_number": "", "upn": "", "middle_names": "", "former_family_names": "",
              "carer_1_given_name": "", "carer_1_family_name": "", "school_urn": "",
              "gp_practice_code": "", "address_line_1": "100 School Grove"}  # fmt: skip
    loads.load("health", child_csv(amelia))
    loads.load("school_census", child_csv({**amelia, "record_id": "S1", "postcode": "OX2 6GG",
               "date_of_birth": "2014-07-24", "address_line_1": "3 Other Road"}))  # fmt: skip
    assert loads.relink_rows() == []
    with loads.sessions() as session:
        item = session.scalars(select(ReviewItem)).one()
        assert Thresholds().review <= item.match_weight < Thresholds().link
        accept_match(session, by=OPERATOR, item_id=item.id)
        session.commit()
    assert loads.relink_rows() == []


def _shield(loads: Loads, record_id: str, reason: ShieldReason) -> None:
    """Shield the child of this record, as the council team would."""
    with loads.sessions() as session:
        child_id = session.scalar(
            select(SourceRecord.child_id).where(SourceRecord.record_key == record_id)
        )
        factories.shield(session, of=child_id, reason=reason)
        session.commit()


def test_a_pair_with_a_child_shielded_for_a_new_identity_is_never_reported(loads, monkeypatch):
    strict = DirectoryLinker(Model.default(), Thresholds(link=1000.0, review=1000.0))
    monkeypatch.setattr("loads.linker", lambda: strict)
    loads.load("health", child_csv(AMELIA, OLIVER))
    loads.load("school_census", child_csv({**AMELIA, "record_id": "S1"}))
    assert [r["difference"] for r in loads.relink_rows()] == ["would_merge"]

    _shield(loads, "A1", ShieldReason.ADOPTION_IDENTITY_LINK)

    assert loads.relink_rows() == []


def test_a_link_beside_another_shielded_child_it_may_belong_to_is_not_would_merge(
    loads, monkeypatch
):
    """As the loader: the record may belong to a shielded child other than its best, so a
    person decides (here the same NHS number is on a third, shielded child), not a link."""
    strict = DirectoryLinker(Model.default(), Thresholds(link=1000.0, review=1000.0))
    monkeypatch.setattr("loads.linker", lambda: strict)
    stranger = {**OLIVER, "record_id": "A3", "nhs_number": AMELIA["nhs_number"]}
    loads.load("health", child_csv(AMELIA, stranger))
    loads.load("school_census", child_csv({**AMELIA, "record_id": "S1"}))
    before = {(r["difference"], r["record_id_a"], r["record_id_b"]) for r in loads.relink_rows()}
    assert ("would_merge", "A1", "S1") in before

    _shield(loads, "A3", ShieldReason.RISK_OF_SIGNIFICANT_HARM)

    # Held for a person instead, beside the shielded child, as the loader holds it (S1
    # waits in the queue beside Amelia's child, loaded before the shield).
    after = {(r["difference"], r["record_id_a"], r["record_id_b"]) for r in loads.relink_rows()}
    assert after == {("would_review", "A3", "S1")}
