"""NHS numbers: Modulus 11 check digit, normalisation and synthetic numbers."""

import random

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from contactpoint.identifiers import InvalidIdentifierError
from contactpoint.identifiers.nhs_number import (
    format_nhs_number,
    generate_nhs_number,
    is_valid_nhs_number,
    nhs_check_digit,
    normalise_nhs_number,
)

DIGITS = "0123456789"

stems = st.text(alphabet=DIGITS, min_size=9, max_size=9)
valid_nhs_numbers = stems.filter(lambda stem: nhs_check_digit(stem) is not None).map(
    lambda stem: f"{stem}{nhs_check_digit(stem)}"
)
separators = st.sampled_from(["", " ", "-", "  "])


def test_the_data_dictionary_example_has_check_digit_9():
    assert nhs_check_digit("943476591") == 9
    assert normalise_nhs_number("943 476 5919") == "9434765919"


def test_a_remainder_of_zero_gives_check_digit_0():
    # 10 * 2 + 2 * 1 = 22: the remainder is 0, so 11 - 0 = 11, written as 0.
    assert nhs_check_digit("200000001") == 0
    assert is_valid_nhs_number("2000000010")


def test_a_stem_whose_check_digit_would_be_10_has_no_nhs_number():
    # 10 * 1 + 2 * 1 = 12, remainder 1, so the check digit would be 10.
    assert nhs_check_digit("100000001") is None
    assert not any(is_valid_nhs_number(f"100000001{digit}") for digit in DIGITS)


def test_a_wrong_check_digit_is_reported_with_the_right_one():
    with pytest.raises(InvalidIdentifierError) as raised:
        normalise_nhs_number("943 476 5918")
    assert str(raised.value) == "NHS number 943 476 5918: the check digit should be 9, not 8"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "is blank"),
        ("943 476 591", "should have 10 digits, not 9"),
        ("94347659190", "should have 10 digits, not 11"),
        ("943 476 591O", "should contain only digits, spaces and hyphens, not 'O'"),
        ("Jane Smith", "should contain only digits, spaces and hyphens, not 'J'"),
        ("100 000 0010", "no valid NHS number starts 100 000 001"),
    ],
)
def test_an_invalid_nhs_number_is_rejected_with_a_reason(value, reason):
    with pytest.raises(InvalidIdentifierError, match=reason):
        normalise_nhs_number(value)
    assert not is_valid_nhs_number(value)


def test_a_message_about_stray_characters_does_not_repeat_the_value():
    with pytest.raises(InvalidIdentifierError) as raised:
        normalise_nhs_number("Jane Smith")
    assert "Smith" not in str(raised.value)


def test_an_nhs_number_is_formatted_three_three_four():
    assert format_nhs_number("9434765919") == "943 476 5919"
    assert format_nhs_number(" 943-476-5919 ") == "943 476 5919"


def test_formatting_an_invalid_nhs_number_raises():
    with pytest.raises(InvalidIdentifierError):
        format_nhs_number("9434765918")


@given(st.integers())
def test_every_generated_nhs_number_is_valid_and_in_the_test_range(seed):
    number = generate_nhs_number(random.Random(seed))
    assert is_valid_nhs_number(number)
    assert len(number) == 10
    assert number.startswith("999")


def test_generated_nhs_numbers_repeat_for_the_same_seed():
    first = [generate_nhs_number(random.Random(7)) for _ in range(3)]
    assert first == [generate_nhs_number(random.Random(7)) for _ in range(3)]


@given(valid_nhs_numbers, st.integers(0, 9), st.sampled_from(DIGITS))
def test_any_single_digit_change_makes_an_nhs_number_invalid(number, position, digit):
    assume(digit != number[position])
    changed = number[:position] + digit + number[position + 1 :]
    assert not is_valid_nhs_number(changed)


@given(valid_nhs_numbers, st.integers(0, 8))
@example("9434765919", 8)  # swaps the last stem digit with the check digit
def test_swapping_two_adjacent_different_digits_makes_an_nhs_number_invalid(number, position):
    # Weighting digits 10, 9, ..., 2 and the check digit 1, a valid number's
    # weighted sum is a multiple of 11. Swapping neighbours a and b changes the
    # sum by a - b, which no multiple of 11 can equal when a and b differ, so
    # every adjacent transposition is caught, the check digit's included.
    a, b = number[position], number[position + 1]
    assume(a != b)
    swapped = number[:position] + b + a + number[position + 2 :]
    assert not is_valid_nhs_number(swapped)


@given(valid_nhs_numbers, st.lists(separators, min_size=11, max_size=11))
def test_spaces_and_hyphens_anywhere_in_an_nhs_number_are_ignored(number, gaps):
    spaced = "".join(gap + digit for gap, digit in zip(gaps, number, strict=False)) + gaps[-1]
    assert normalise_nhs_number(spaced) == number


@given(st.one_of(valid_nhs_numbers, st.text()))
def test_normalising_an_nhs_number_is_idempotent(value):
    try:
        normalised = normalise_nhs_number(value)
    except InvalidIdentifierError:
        return
    assert normalise_nhs_number(normalised) == normalised
    assert normalise_nhs_number(format_nhs_number(value)) == normalised


@given(st.text())
def test_any_text_is_either_rejected_or_gives_ten_valid_digits(value):
    try:
        normalised = normalise_nhs_number(value)
    except InvalidIdentifierError:
        assert not is_valid_nhs_number(value)
        return
    assert len(normalised) == 10
    assert all(char in DIGITS for char in normalised)
    assert is_valid_nhs_number(value)
