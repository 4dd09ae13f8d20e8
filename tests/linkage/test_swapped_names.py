"""Given and family names swapped: a level of its own, never a way to join twins."""

import dataclasses
import datetime as dt

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from contactpoint.linkage import Model, Outcome, blocking_keys, decide, linkage_record
from contactpoint.linkage.comparisons import COMPARISONS, names_swapped
from contactpoint.vocabulary import Gender

MODEL = Model.default()
GIVEN_NAMES = ["Oliver", "Amelia", "Jack", "Isla", "Noah", "Ava", "Muhammad", "Freya", "Leo",
               "Grace", "Arthur", "Evie", "Theo", "Ruby", "Zainab", "Kacper", "Chidi",
               "Wei"]  # fmt: skip
FAMILY_NAMES = ["Smith", "Jones", "Khan", "Nowak", "Okafor", "Chen", "Morgan", "Lewis", "Taylor",
                "O'Brien", "Barton-Singh", "Evans"]  # fmt: skip


def child(**changes):
    values = {
        "given_name": "Amelia",
        "family_name": "Okafor",
        "date_of_birth": dt.date(2017, 9, 14),
        "gender": Gender.FEMALE,
        "postcode": "LS6Q 2BT",
        "address_line_1": "14 Mill Street",
        "nhs_number": None,
        "carers": [("Grace", "Okafor")],
    }
    born = changes.pop("born", None)
    if born is not None:
        changes["date_of_birth"] = dt.date(*born)
    values.update(changes)
    return linkage_record(**values)


def _levels(incoming, held):
    return {e.comparison: e.level for e in MODEL.score(incoming, held).explanation}


def test_given_and_family_names_swapped_link_and_are_explained_as_a_swap():
    held = child()
    swapped = child(given_name="Okafor", family_name="Amelia")
    levels = _levels(swapped, held)
    assert levels["given_name"] == "swapped_with_family"
    assert levels["family_name"] == "swapped_with_given"
    assert decide(MODEL.score(swapped, held)) is Outcome.LINK
    assert decide(MODEL.score(held, swapped)) is Outcome.LINK


def test_a_swap_with_a_typo_in_either_name_is_still_a_swap():
    held = child()
    for given_name, family_name in [
        ("Okafr", "Amelia"),
        ("Okafor", "Amellia"),
        ("Okafor", "Emelia"),
    ]:
        levels = _levels(child(given_name=given_name, family_name=family_name), held)
        assert levels["given_name"] == "swapped_with_family", (given_name, family_name)


def test_the_swap_weighs_once_for_both_names():
    """The family name's swap level is neutral: the given name's carries the evidence."""
    family = [c.name for c in COMPARISONS].index("family_name")
    level = COMPARISONS[family].level_names.index("swapped_with_given")
    assert MODEL.weight(family, level) == 0.0
    given_index = [c.name for c in COMPARISONS].index("given_name")
    swap = COMPARISONS[given_index].level_names.index("swapped_with_family")
    exact_both = MODEL.weight(given_index, 1) + MODEL.weight(family, 1)
    assert 0 < MODEL.weight(given_index, swap) < exact_both


def test_an_initial_is_not_half_of_a_swap():
    held = child(given_name="A", family_name="Okafor")
    assert not names_swapped(child(given_name="Okafor", family_name="B").features, held.features)


def test_records_with_swapped_names_share_a_blocking_key():
    held = child()
    variants = [
        child(given_name="Okafor", family_name="Amelia"),
        child(given_name="Okafor", family_name="Amelia", postcode=None, carers=[]),
        child(given_name="Okafr", family_name="Amelia", postcode=None, born=(2017, 9, 15)),
        child(given_name="Okafor", family_name="Amelia", postcode=None, born=(2017, 6, 14)),
    ]
    # Neither date of birth known: the postcode district stands in.
    assert blocking_keys(child(date_of_birth=None)) & blocking_keys(
        child(given_name="Okafor", family_name="Amelia", date_of_birth=None)
    )
    for variant in variants:
        assert blocking_keys(held) & blocking_keys(variant), variant


twins = st.tuples(
    st.sampled_from(GIVEN_NAMES),
    st.sampled_from(GIVEN_NAMES),
    st.sampled_from(FAMILY_NAMES),
    st.sampled_from(list(Gender)),
    st.sampled_from(list(Gender)),
    st.booleans(),
)


@settings(max_examples=300)
@given(twins)
def test_twins_are_never_a_swap_and_never_linked(twin_names):
    """Twins share a family name, a birthday and a home; given names that differ keep them apart."""
    first_given, second_given, family, first_gender, second_gender, swap_one = twin_names
    first = child(given_name=first_given, family_name=family, gender=first_gender)
    second = child(given_name=second_given, family_name=family, gender=second_gender)
    assume(_levels(first, second)["given_name"] == "other")
    assert not names_swapped(first.features, second.features)
    assert decide(MODEL.score(second, first)) is Outcome.NEW_CHILD
    if swap_one:
        # One twin's record with its names swapped still does not join the other twin.
        swapped = child(given_name=family, family_name=first_given, gender=first_gender)
        assert decide(MODEL.score(swapped, second)) is Outcome.NEW_CHILD


@settings(max_examples=300)
@given(
    st.sampled_from(GIVEN_NAMES + FAMILY_NAMES),
    st.sampled_from(GIVEN_NAMES + FAMILY_NAMES),
    st.sampled_from(GIVEN_NAMES + FAMILY_NAMES),
)
def test_records_with_one_family_name_are_never_swapped(first_given, second_given, family):
    first = child(given_name=first_given, family_name=family)
    second = child(given_name=second_given, family_name=family)
    assert not names_swapped(first.features, second.features)


@settings(max_examples=200)
@given(st.sampled_from(GIVEN_NAMES), st.sampled_from(FAMILY_NAMES))
def test_a_swap_is_symmetric_and_adds_up(given_name, family_name):
    held = child(given_name=given_name, family_name=family_name)
    swapped = dataclasses.replace(held, given_name=family_name, family_name=given_name)
    assert names_swapped(held.features, swapped.features)
    assert names_swapped(swapped.features, held.features)
    scored = MODEL.score(swapped, held)
    assert sum(e.weight for e in scored.explanation) + scored.prior_weight == scored.match_weight
    assert scored.match_weight == MODEL.score(held, swapped).match_weight
