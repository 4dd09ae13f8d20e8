"""Near given names are not enough to link when twins cannot be ruled out."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from contactpoint.linkage import Model, Outcome, decide, linkage_record
from contactpoint.linkage.decisions import may_be_twins
from contactpoint.vocabulary import Gender

MODEL = Model.default()


def child(**changes):
    values = {
        "given_name": "Ali",
        "family_name": "Ababei",
        "date_of_birth": dt.date(2019, 11, 13),
        "gender": Gender.MALE,
        "postcode": "OX3 7BX",
        "address_line_1": "7 Cherwell Road",
        "carers": [("Elena", "Ababei")],
    }
    values.update(changes)
    return linkage_record(**values)


def _given_level(incoming, held):
    return MODEL.score(incoming, held).explanation[0].level


def test_twins_with_weakly_similar_names_and_no_identifiers_are_held_for_review():
    ali, albie = child(), child(given_name="Albie")
    assert _given_level(albie, ali) == "similar"
    assert MODEL.score(albie, ali).match_weight >= 6.0  # the score alone would link them
    assert may_be_twins(MODEL.score(albie, ali))
    assert decide(MODEL.score(albie, ali)) is Outcome.REVIEW


def test_near_names_and_two_different_nhs_numbers_are_held_for_review():
    joshua = child(given_name="Joshua", middle_names="Jacob", nhs_number="9994070622")
    jacob = child(given_name="Jacob", nhs_number="9995632055")
    assert _given_level(jacob, joshua) == "swapped_with_middle"
    assert decide(MODEL.score(jacob, joshua)) is Outcome.REVIEW


def test_a_weakly_similar_name_with_the_same_nhs_number_links():
    ali = child(nhs_number="9994070622")
    assert decide(MODEL.score(child(given_name="Albie", nhs_number="9994070622"), ali)) is (
        Outcome.LINK
    )


def test_a_typo_or_a_nickname_without_identifiers_still_links():
    held = child(given_name="Isabelle", gender=Gender.FEMALE)
    for name in ("Isabele", "Izzy"):
        incoming = child(given_name=name, gender=Gender.FEMALE)
        assert not may_be_twins(MODEL.score(incoming, held))
        assert decide(MODEL.score(incoming, held)) is Outcome.LINK


def test_the_same_given_name_is_never_taken_for_twins():
    assert not may_be_twins(MODEL.score(child(nhs_number="9994070622"), child()))


NAMES = ["Ali", "Albie", "Alfie", "Olivia", "Olive", "Jacob", "Joshua", "Ella", "Bella",
         "Ellie", "Harry", "Harvey", "Lily", "Lila", "Millie", "Mollie", "J", "Jack"]  # fmt: skip


@settings(max_examples=300)
@given(
    st.sampled_from(NAMES),
    st.sampled_from(NAMES),
    st.sampled_from([None, "Jacob", "Rose"]),
    st.sampled_from([None, "9994070622"]),
    st.sampled_from([None, "9995632055"]),
)
def test_twins_with_two_nhs_numbers_are_never_linked(first, second, middle, nhs_a, nhs_b):
    """Different NHS numbers and given names that differ: twins, never linked automatically."""
    if first == second or nhs_a is None or nhs_b is None:
        return
    one = child(given_name=first, middle_names=middle, nhs_number=nhs_a)
    other = child(given_name=second, nhs_number=nhs_b)
    assert decide(MODEL.score(other, one)) is not Outcome.LINK
    assert decide(MODEL.score(one, other)) is not Outcome.LINK


def test_a_shared_number_below_the_review_threshold_is_held_for_review():
    """Two children never hold one number: a person decides which was mistyped."""
    ali = child(nhs_number="9994070622")
    zara = child(given_name="Zara", gender=Gender.FEMALE, nhs_number="9994070622")
    scored = MODEL.score(zara, ali)
    assert scored.match_weight < 0.0  # a new child, on the score alone
    assert decide(scored) is Outcome.NEW_CHILD
    assert decide(scored, shares_number=True) is Outcome.REVIEW
    assert decide(None, shares_number=False) is Outcome.NEW_CHILD
