"""NHS number: ten digits, the last a Modulus 11 check digit (NHS Data Dictionary)."""

import random

from contactpoint.identifiers.errors import InvalidIdentifierError, first_stray_character

_WEIGHTS = range(10, 1, -1)

# NHS England reserves 999 000 0000 to 999 999 9999 for testing and never
# issues them to patients, so synthetic children can never share a real
# child's NHS number, even if synthetic data leaks into a live system.
_TEST_RANGE_PREFIX = "999"

_DIGITS = "0123456789"
_STEM_LENGTH = 9
_LENGTH = 10
_NO_CHECK_DIGIT = 10


def nhs_check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None when no NHS number has that stem."""
    if len(first_nine) != _STEM_LENGTH or first_stray_character(first_nine, _DIGITS) is not None:
        raise ValueError(f"expected nine digits, got {first_nine!r}")
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, _WEIGHTS, strict=True))
    check = (11 - total % 11) % 11
    return None if check == _NO_CHECK_DIGIT else check


def _spaced(digits: str) -> str:
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def normalise_nhs_number(value: str) -> str:
    """The ten digits of a valid NHS number given with or without spaces or hyphens."""
    digits = "".join(value.split()).replace("-", "")
    if not digits:
        raise InvalidIdentifierError("NHS number: is blank")
    stray = first_stray_character(digits, _DIGITS)
    if stray is not None:
        raise InvalidIdentifierError(
            f"NHS number: should contain only digits, spaces and hyphens, not {stray}"
        )
    if len(digits) != _LENGTH:
        raise InvalidIdentifierError(
            f"NHS number {digits}: should have {_LENGTH} digits, not {len(digits)}"
        )
    expected = nhs_check_digit(digits[:9])
    if expected is None:
        raise InvalidIdentifierError(
            f"NHS number {_spaced(digits)}: no valid NHS number starts {_spaced(digits[:9])}"
        )
    if int(digits[9]) != expected:
        raise InvalidIdentifierError(
            f"NHS number {_spaced(digits)}: the check digit should be {expected}, not {digits[9]}"
        )
    return digits


def is_valid_nhs_number(value: str) -> bool:
    try:
        normalise_nhs_number(value)
    except InvalidIdentifierError:
        return False
    return True


def format_nhs_number(value: str) -> str:
    """A valid NHS number as people write it: 943 476 5919."""
    return _spaced(normalise_nhs_number(value))


def generate_nhs_number(rng: random.Random) -> str:
    """A valid NHS number from 999 000 0000 to 999 999 9999, which no person is given."""
    while True:
        stem = _TEST_RANGE_PREFIX + "".join(rng.choice(_DIGITS) for _ in range(6))
        check = nhs_check_digit(stem)
        # About one stem in eleven has no check digit; draw again.
        if check is not None:
            return f"{stem}{check}"
