"""Name normalisation for matching."""

import re
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contactpoint.identifiers import names
from contactpoint.identifiers.names import compact_name, name_tokens, normalise_name

NORMALISED = re.compile(r"([a-z]+( [a-z]+)*)?")
APOSTROPHES = "'\u2018\u2019\u201b`\u00b4\u02b9\u02bb\u02bc\u2032\uff07"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("O'Brien", "obrien"),
        ("O\u2019Brien", "obrien"),
        ("O\u00b4Brien", "obrien"),
        ("\uff2f\uff07\uff22\uff52\uff49\uff45\uff4e", "obrien"),
        ("Barton-Singh", "barton singh"),
        ("Barton\u2013Singh", "barton singh"),
        ("Barton\u2014Singh", "barton singh"),
        ("Zo\u00eb", "zoe"),
        ("Zoe\u0308", "zoe"),
        ("ZOE", "zoe"),
        ("Nu\u00f1ez", "nunez"),
        ("  mary   ann ", "mary ann"),
        ("Smith-Jones ", "smith jones"),
        ("J. R. R.", "j r r"),
        ("Smith, John", "smith john"),
        ("Stra\u00dfe", "strasse"),
        ("S\u00f8rensen", "sorensen"),
        ("\u00c6lfric", "aelfric"),
        ("\u0141ukasz", "lukasz"),
        ("\u00deorn", "thorn"),
        ("\u0130lker", "ilker"),
        ("Y\u0131lmaz", "yilmaz"),
        ("Mary2", "mary"),
        ("", ""),
        ("- ' .", ""),
    ],
)
def test_a_name_normalises_to_lower_case_ascii_words(value, expected):
    assert normalise_name(value) == expected


def test_a_name_wholly_in_another_script_normalises_to_nothing():
    # Callers must therefore never treat two empty results as a match.
    assert normalise_name("\u0418\u0432\u0430\u043d") == ""
    assert normalise_name("Ivan \u0418\u0432\u0430\u043d") == "ivan"


def test_a_name_splits_into_its_normalised_words():
    assert name_tokens("Barton-Singh") == ("barton", "singh")
    assert name_tokens("  Mary   Ann O'Brien ") == ("mary", "ann", "obrien")
    assert name_tokens("") == ()


def test_spellings_of_a_double_barrelled_name_compact_alike():
    assert compact_name("Barton Singh") == "bartonsingh"
    assert compact_name("Barton-Singh") == "bartonsingh"
    assert compact_name("BartonSingh") == "bartonsingh"


@given(st.text())
def test_normalising_a_name_is_idempotent(value):
    normalised = normalise_name(value)
    assert normalise_name(normalised) == normalised


@given(st.text())
def test_a_normalised_name_is_lower_case_ascii_letters_and_single_spaces(value):
    assert NORMALISED.fullmatch(normalise_name(value))


@given(st.text())
def test_tokens_and_compact_form_agree_with_the_normalised_name(value):
    assert " ".join(name_tokens(value)) == normalise_name(value)
    assert compact_name(value) == "".join(name_tokens(value))


@given(st.text())
def test_a_name_normalises_the_same_in_upper_lower_and_its_own_case(value):
    # This holds for all text, not only letters, special cases included: sharp
    # s upper-cases to SS and case-folds to ss; capital I with a dot
    # lower-cases to i and a combining dot, which is dropped; and the dotless
    # i, whose upper case is the ASCII I, is mapped to i.
    expected = normalise_name(value)
    assert normalise_name(value.upper()) == expected
    assert normalise_name(value.lower()) == expected


def test_every_cased_character_normalises_the_same_in_upper_and_lower_case():
    cased = (
        chr(code)
        for code in range(sys.maxunicode + 1)
        if not 0xD800 <= code <= 0xDFFF and chr(code).upper() != chr(code).lower()
    )
    mismatched = [
        char for char in cased if normalise_name(char.upper()) != normalise_name(char.lower())
    ]
    assert mismatched == []


@given(st.text(), st.integers(0, 100), st.sampled_from(APOSTROPHES))
def test_inserting_an_apostrophe_anywhere_does_not_change_a_name(value, position, apostrophe):
    with_apostrophe = value[:position] + apostrophe + value[position:]
    assert normalise_name(with_apostrophe) == normalise_name(value)


@given(st.text(alphabet=st.characters(categories=["L"])), st.integers(0, 100))
def test_a_hyphen_between_letters_separates_words_like_a_space(value, position):
    hyphenated = value[:position] + "-" + value[position:]
    spaced = value[:position] + " " + value[position:]
    assert normalise_name(hyphenated) == normalise_name(spaced)
    assert compact_name(hyphenated) == compact_name(value)


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_the_ascii_fast_path_gives_what_the_full_rules_give(value):
    assert normalise_name(value) == names._normalised_in_full(value)  # noqa: SLF001 - the spec
