"""ContactPoint IDs: random digits with a Damm check digit."""

import random
from itertools import product

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contactpoint.identifiers import InvalidIdentifierError
from contactpoint.identifiers.contactpoint_id import (
    damm_check_digit,
    format_contactpoint_id,
    generate_contactpoint_id,
    is_valid_contactpoint_id,
    normalise_contactpoint_id,
)

DIGITS = "0123456789"

contactpoint_ids = st.integers().map(lambda seed: generate_contactpoint_id(random.Random(seed)))


def test_the_published_damm_example_has_check_digit_4():
    assert damm_check_digit("572") == 4
    assert damm_check_digit("5724") == 0


def test_no_digits_have_check_digit_0():
    assert damm_check_digit("") == 0


def test_a_check_digit_of_something_other_than_digits_raises():
    with pytest.raises(ValueError, match="expected digits"):
        damm_check_digit("12a")


def test_the_damm_check_catches_every_single_error_and_adjacent_swap_in_any_number():
    # The check digit is the state after reading the digits one by one through
    # a table. Different digits from one state lead to different states, and
    # one digit from different states does too, so a changed state stays
    # changed to the end; and swapping different neighbours a, b from one state
    # leads to different states. Checked here for every state, these prove
    # both properties for numbers of any length.
    prefix_for_state = {damm_check_digit(digit): digit for digit in DIGITS}
    states = range(10)
    assert sorted(prefix_for_state) == list(states)

    def after(state: int, digits: str) -> int:
        return damm_check_digit(prefix_for_state[state] + digits)

    for state in states:
        assert sorted(after(state, digit) for digit in DIGITS) == list(states)
    for digit in DIGITS:
        assert sorted(after(state, digit) for state in states) == list(states)
    for state, a, b in product(states, DIGITS, DIGITS):
        if a != b:
            assert after(state, a + b) != after(state, b + a)


@given(st.integers())
def test_every_generated_contactpoint_id_is_valid_and_never_starts_with_0(seed):
    identifier = generate_contactpoint_id(random.Random(seed))
    assert is_valid_contactpoint_id(identifier)
    assert len(identifier) == 12
    assert identifier[0] != "0"


def test_without_a_random_source_a_contactpoint_id_comes_from_the_system():
    identifiers = {generate_contactpoint_id() for _ in range(20)}
    assert all(is_valid_contactpoint_id(identifier) for identifier in identifiers)
    assert len(identifiers) == 20


def test_the_same_seed_generates_the_same_contactpoint_id():
    assert generate_contactpoint_id(random.Random(3)) == generate_contactpoint_id(random.Random(3))


@given(contactpoint_ids)
def test_every_single_digit_change_makes_a_contactpoint_id_invalid(identifier):
    for position, digit in product(range(12), DIGITS):
        if digit != identifier[position]:
            changed = identifier[:position] + digit + identifier[position + 1 :]
            assert not is_valid_contactpoint_id(changed)


@given(contactpoint_ids)
def test_every_swap_of_adjacent_different_digits_makes_a_contactpoint_id_invalid(identifier):
    for position in range(11):
        a, b = identifier[position], identifier[position + 1]
        if a != b:
            swapped = identifier[:position] + b + a + identifier[position + 2 :]
            assert not is_valid_contactpoint_id(swapped)


@given(contactpoint_ids)
def test_formatting_and_normalising_a_contactpoint_id_round_trip(identifier):
    formatted = format_contactpoint_id(identifier)
    assert formatted == f"{identifier[:4]} {identifier[4:8]} {identifier[8:]}"
    assert normalise_contactpoint_id(formatted) == identifier
    assert normalise_contactpoint_id(formatted.replace(" ", "-")) == identifier


@given(st.one_of(contactpoint_ids, st.text()))
def test_normalising_a_contactpoint_id_is_idempotent(value):
    try:
        normalised = normalise_contactpoint_id(value)
    except InvalidIdentifierError:
        assert not is_valid_contactpoint_id(value)
        return
    assert normalise_contactpoint_id(normalised) == normalised


def test_a_wrong_check_digit_is_reported_with_the_right_one():
    body = "12345678901"
    right = damm_check_digit(body)
    wrong = (right + 1) % 10
    with pytest.raises(InvalidIdentifierError) as raised:
        normalise_contactpoint_id(f"{body}{wrong}")
    assert str(raised.value) == (
        f"ContactPoint ID 1234 5678 901{wrong}: the check digit should be {right}, not {wrong}"
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "is blank"),
        ("1234 5678 901", "should have 12 digits, not 11"),
        ("1234 5678 9012 3", "should have 12 digits, not 13"),
        ("1234 5678 9O12", "should contain only digits, spaces and hyphens, not 'O'"),
    ],
)
def test_an_invalid_contactpoint_id_is_rejected_with_a_reason(value, reason):
    with pytest.raises(InvalidIdentifierError, match=reason):
        normalise_contactpoint_id(value)
    assert not is_valid_contactpoint_id(value)


def test_a_contactpoint_id_starting_with_0_is_rejected_even_with_a_right_check_digit():
    body = "01234567890"
    value = f"{body}{damm_check_digit(body)}"
    with pytest.raises(InvalidIdentifierError, match="should not start with 0"):
        normalise_contactpoint_id(value)
