"""Unique Pupil Number (DfE): a check letter then twelve characters."""

import random
import string

from contactpoint.identifiers.errors import InvalidIdentifierError, first_stray_character

# The DfE alphabet leaves out I, O and S, which are easily misread as 1, 0 and 5.
# A letter's value is its index here, for the check letter and for the final
# letter of a temporary UPN alike.
_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"
_DIGITS = "0123456789"
_LENGTH = 13
_LAST_CHARACTERS = frozenset(_DIGITS + _ALPHABET)
_ASCII_ALPHANUMERIC = string.ascii_letters + string.digits


def _value(char: str) -> int:
    return int(char) if char in _DIGITS else _ALPHABET.index(char)


def _is_body(last_twelve: str) -> bool:
    return (
        len(last_twelve) == _LENGTH - 1
        and all(char in _DIGITS for char in last_twelve[:-1])
        and last_twelve[-1] in _LAST_CHARACTERS
    )


def upn_check_letter(last_twelve: str) -> str:
    """The check letter for characters 2 to 13 of a UPN (upper case)."""
    if not _is_body(last_twelve):
        raise ValueError(f"expected eleven digits then a digit or letter, got {last_twelve!r}")
    total = sum(weight * _value(char) for weight, char in enumerate(last_twelve, start=2))
    return _ALPHABET[total % len(_ALPHABET)]


def _body_problem(body: str) -> str | None:
    if not all(char in _DIGITS for char in body[:-1]):
        return "characters 2 to 12 should be digits"
    if body[-1] not in _LAST_CHARACTERS:
        return "the last character should be a digit, or a letter other than I, O or S"
    return None


def normalise_upn(value: str) -> str:
    """The thirteen upper-case characters of a valid UPN, permanent or temporary."""
    compact = "".join(value.split())
    if not compact:
        raise InvalidIdentifierError("UPN: is blank")
    stray = first_stray_character(compact, _ASCII_ALPHANUMERIC)
    if stray is not None:
        raise InvalidIdentifierError(f"UPN: should contain only letters and digits, not {stray}")
    # Until the value has a UPN's shape it may be another column's text, such
    # as a name, so the messages below do not repeat it.
    if len(compact) != _LENGTH:
        raise InvalidIdentifierError(f"UPN: should have {_LENGTH} characters, not {len(compact)}")
    upn = compact.upper()
    problem = _body_problem(upn[1:])
    if problem is not None:
        raise InvalidIdentifierError(f"UPN: {problem}")
    expected = upn_check_letter(upn[1:])
    if upn[0] != expected:
        raise InvalidIdentifierError(
            f"UPN {upn}: the check letter should be {expected}, not {upn[0]}"
        )
    return upn


def is_valid_upn(value: str) -> bool:
    try:
        normalise_upn(value)
    except InvalidIdentifierError:
        return False
    return True


def _require(name: str, number: int, low: int, high: int) -> None:
    if not low <= number <= high:
        raise ValueError(f"{name} should be from {low} to {high}, not {number}")


def generate_upn(rng: random.Random, *, la_code: int, establishment: int, year: int) -> str:
    """A valid permanent UPN with a random three-digit serial.

    UPNs have no range reserved for testing, so a synthetic UPN could equal a
    real pupil's; callers that must rule that out pass an LA code that no real
    local authority uses.
    """
    _require("LA code", la_code, 100, 999)
    _require("establishment number", establishment, 0, 9999)
    _require("year", year, 0, 99)
    serial = rng.randrange(1000)
    body = f"{la_code:03d}{establishment:04d}{year:02d}{serial:03d}"
    return upn_check_letter(body) + body
