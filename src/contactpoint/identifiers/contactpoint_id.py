"""The directory's own identifier: eleven random digits and a Damm check digit.

It is random, never derived from personal data, so it reveals nothing about
the child. The Damm check digit catches every single-digit error and every
swap of two adjacent digits.
"""

import random
import secrets

from contactpoint.identifiers.errors import InvalidIdentifierError, first_stray_character

# Damm's (2004) weakly totally anti-symmetric quasigroup of order 10: being a
# quasigroup catches single-digit errors, and the weak total anti-symmetry
# catches adjacent transpositions.
_DAMM_TABLE = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)
_LENGTH = 12
_DIGITS = frozenset("0123456789")


def damm_check_digit(digits: str) -> int:
    """The Damm check digit for a string of digits."""
    if first_stray_character(digits, _DIGITS) is not None:
        raise ValueError(f"expected digits, got {digits!r}")
    interim = 0
    for digit in digits:
        interim = _DAMM_TABLE[interim][int(digit)]
    return interim


def generate_contactpoint_id(rng: random.Random | None = None) -> str:
    """A new random ContactPoint ID; pass a seeded rng only for synthetic data.

    Real IDs come from the operating system's secure source, so knowing some
    IDs never helps anyone guess another child's.
    """
    source = secrets.SystemRandom() if rng is None else rng
    # A leading zero would be lost wherever the ID is mistaken for a number.
    body = str(source.randint(1, 9)) + "".join(str(source.randrange(10)) for _ in range(10))
    return f"{body}{damm_check_digit(body)}"


def normalise_contactpoint_id(value: str) -> str:
    """The twelve digits of a valid ContactPoint ID given with or without spaces or hyphens."""
    digits = "".join(value.split()).replace("-", "")
    if not digits:
        raise InvalidIdentifierError("ContactPoint ID: is blank")
    stray = first_stray_character(digits, _DIGITS)
    if stray is not None:
        raise InvalidIdentifierError(
            f"ContactPoint ID: should contain only digits, spaces and hyphens, not {stray}"
        )
    if len(digits) != _LENGTH:
        raise InvalidIdentifierError(
            f"ContactPoint ID {digits}: should have {_LENGTH} digits, not {len(digits)}"
        )
    shown = _grouped(digits)
    if digits[0] == "0":
        raise InvalidIdentifierError(f"ContactPoint ID {shown}: should not start with 0")
    expected = damm_check_digit(digits[:-1])
    if int(digits[-1]) != expected:
        raise InvalidIdentifierError(
            f"ContactPoint ID {shown}: the check digit should be {expected}, not {digits[-1]}"
        )
    return digits


def is_valid_contactpoint_id(value: str) -> bool:
    try:
        normalise_contactpoint_id(value)
    except InvalidIdentifierError:
        return False
    return True


def _grouped(digits: str) -> str:
    return " ".join(digits[start : start + 4] for start in range(0, len(digits), 4))


def format_contactpoint_id(value: str) -> str:
    """A valid ContactPoint ID as people write it: 1234 5678 9012."""
    return _grouped(normalise_contactpoint_id(value))
