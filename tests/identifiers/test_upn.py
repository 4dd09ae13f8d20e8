"""Unique Pupil Numbers: the DfE check letter, normalisation and synthetic UPNs."""

import random

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from contactpoint.identifiers import InvalidIdentifierError
from contactpoint.identifiers.upn import (
    generate_upn,
    is_valid_upn,
    normalise_upn,
    upn_check_letter,
)

DIGITS = "0123456789"
ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"  # the DfE's: no I, O or S

permanent_bodies = st.text(alphabet=DIGITS, min_size=12, max_size=12)
temporary_bodies = st.builds(
    str.__add__, st.text(alphabet=DIGITS, min_size=11, max_size=11), st.sampled_from(ALPHABET)
)
valid_upns = st.one_of(permanent_bodies, temporary_bodies).map(
    lambda body: upn_check_letter(body) + body
)


def value_of_last_character(char: str) -> int:
    return int(char) if char in DIGITS else ALPHABET.index(char)


def test_a_published_permanent_upn_is_valid():
    # python-stdnum's example; 8*2 + 1*4 + 2*5 + 5*10 + 1*13 = 93 = 4 * 23 + 1, so B.
    assert upn_check_letter("801200005001") == "B"
    assert normalise_upn("B801200005001") == "B801200005001"


def test_the_dfe_example_temporary_upn_is_valid():
    # The DfE guide's example: its final A counts as 0, and the sum 135 leaves 20, so X.
    assert upn_check_letter("00180001701A") == "X"
    assert is_valid_upn("X00180001701A")


def test_the_check_letter_of_a_schools_software_example_is_p():
    # Support pages for schools' software work this example through to Q, but
    # their own sum, 4 + 28 + 9 + 60 + 48 + 117, is 266, not 267: 266 leaves 13,
    # and 13 is P in the alphabet without I, O and S.
    assert upn_check_letter("207000016049") == "P"


def test_a_wrong_check_letter_is_reported_with_the_right_one():
    with pytest.raises(InvalidIdentifierError) as raised:
        normalise_upn("A801200005001")
    assert str(raised.value) == "UPN A801200005001: the check letter should be B, not A"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "is blank"),
        ("B80120000500", "should have 13 characters, not 12"),
        ("B8012000050011", "should have 13 characters, not 14"),
        ("B801-2000-05001", "should contain only letters and digits, not '-'"),
        ("X80120000A001", "characters 2 to 12 should be digits"),
        ("X0018000170IS", "characters 2 to 12 should be digits"),
        ("X00180001701I", "the last character should be a digit, or a letter other than I, O or S"),
        ("B801200005\u0661\u0660\u0661", "should contain only letters and digits, not '\u0661'"),
    ],
)
def test_an_invalid_upn_is_rejected_with_a_reason(value, reason):
    with pytest.raises(InvalidIdentifierError, match=reason):
        normalise_upn(value)
    assert not is_valid_upn(value)


def test_a_message_about_a_malformed_upn_does_not_repeat_the_value():
    with pytest.raises(InvalidIdentifierError) as raised:
        normalise_upn("Christopher S")
    assert "christopher" not in str(raised.value).lower()


@given(st.integers(), st.integers(100, 999), st.integers(0, 9999), st.integers(0, 99))
def test_every_generated_upn_is_valid_and_carries_its_parts(seed, la_code, establishment, year):
    upn = generate_upn(random.Random(seed), la_code=la_code, establishment=establishment, year=year)
    assert is_valid_upn(upn)
    assert upn[1:4] == f"{la_code:03d}"
    assert upn[4:8] == f"{establishment:04d}"
    assert upn[8:10] == f"{year:02d}"
    assert upn[10:].isdigit()


@pytest.mark.parametrize(
    "parts",
    [
        {"la_code": 99, "establishment": 0, "year": 0},
        {"la_code": 1000, "establishment": 0, "year": 0},
        {"la_code": 100, "establishment": 10000, "year": 0},
        {"la_code": 100, "establishment": 0, "year": -1},
        {"la_code": 100, "establishment": 0, "year": 100},
    ],
)
def test_generating_a_upn_with_a_part_out_of_range_raises(parts):
    with pytest.raises(ValueError, match="should be from"):
        generate_upn(random.Random(0), **parts)


@given(valid_upns, st.integers(0, 12), st.sampled_from(DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
def test_any_single_character_change_makes_a_upn_invalid_but_one(upn, position, char):
    # The one exception is the DfE's rule itself: the final character of a
    # temporary UPN counts as its letter's index, so A to K weigh the same as
    # 0 to 9, and swapping the last digit for its letter (or back) keeps the
    # check letter. Every other change is caught: the weights 2 to 13 are all
    # coprime to 23, and no two characters of one kind share a value.
    assume(char != upn[position])
    changed = upn[:position] + char + upn[position + 1 :]
    same_value_at_the_end = (
        position == 12
        and char in DIGITS + ALPHABET
        and value_of_last_character(char) == value_of_last_character(upn[12])
    )
    assert is_valid_upn(changed) == same_value_at_the_end


def test_a_upn_ending_in_a_digit_stays_valid_with_the_letter_of_equal_value():
    assert is_valid_upn("B801200005001")
    assert is_valid_upn("B80120000500B")


@given(valid_upns)
def test_a_upn_is_accepted_in_lower_case(upn):
    assert normalise_upn(upn.lower()) == upn


@given(valid_upns, st.lists(st.sampled_from(["", " ", "  "]), min_size=14, max_size=14))
def test_spaces_anywhere_in_a_upn_are_ignored(upn, gaps):
    spaced = "".join(gap + char for gap, char in zip(gaps, upn, strict=False)) + gaps[-1]
    assert normalise_upn(spaced) == upn


@given(st.one_of(valid_upns, valid_upns.map(str.lower), st.text()))
def test_normalising_a_upn_is_idempotent(value):
    try:
        normalised = normalise_upn(value)
    except InvalidIdentifierError:
        assert not is_valid_upn(value)
        return
    assert normalise_upn(normalised) == normalised
    assert len(normalised) == 13
