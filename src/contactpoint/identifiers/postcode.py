"""UK postcodes: validation by format, and the parts used for matching."""

import random
import re
import string

from contactpoint.identifiers.errors import InvalidIdentifierError, first_stray_character

# Royal Mail's letter restrictions, position by position.
_FIRST = "ABCDEFGHIJKLMNOPRSTUWYZ"  # never Q, V or X
_SECOND = "ABCDEFGHKLMNOPQRSTUVWXY"  # never I, J or Z
_THIRD = "ABCDEFGHJKPSTUW"  # the letter ending an A9A district
_FOURTH = "ABEHMNPRVWXY"  # the letter ending an AA9A district
_INWARD = "ABDEFGHJLNPQRSTUWXYZ"  # never C, I, K, M, O or V

_OUTWARD_PATTERN = re.compile(
    rf"[{_FIRST}][0-9]{{1,2}}"
    rf"|[{_FIRST}][{_SECOND}][0-9]{{1,2}}"
    rf"|[{_FIRST}][0-9][{_THIRD}]"
    rf"|[{_FIRST}][{_SECOND}][0-9][{_FOURTH}]"
)
_INWARD_PATTERN = re.compile(rf"[0-9][{_INWARD}]{{2}}")
_OUTWARD_SHAPES = ("A9", "A99", "AA9", "AA99", "A9A", "AA9A")
_INWARD_SHAPE = "9AA"

# Girobank's postcode predates the letter rules and is still in use.
_GIROBANK = "GIR 0AA"
_INWARD_LENGTH = len(_INWARD_SHAPE)
_MIN_LENGTH = 5
_MAX_LENGTH = 7
_MAX_AREA_LENGTH = 2
_ASCII_ALPHANUMERIC = string.ascii_letters + string.digits


def _shape(text: str) -> str:
    return "".join("9" if char.isdigit() else "A" for char in text)


def _shape_problem(outward: str, inward: str) -> str | None:
    # Messages describe the shape rather than repeat the value: until it has a
    # postcode's shape it may be another column's text, such as a name.
    if _shape(outward) not in _OUTWARD_SHAPES:
        shapes = ", ".join(_OUTWARD_SHAPES)
        return f"the outward code should look like one of {shapes}, not {_shape(outward)}"
    if _shape(inward) != _INWARD_SHAPE:
        return f"the last three characters should look like {_INWARD_SHAPE}, not {_shape(inward)}"
    return None


def _letter_problem(outward: str) -> str:
    if outward[0] not in _FIRST:
        return "no postcode starts with Q, V or X"
    if outward[1].isalpha() and outward[1] not in _SECOND:
        return "I, J and Z are never the second letter"
    if _OUTWARD_PATTERN.fullmatch(outward):
        return "C, I, K, M, O and V are never among the last two letters"
    allowed = _THIRD if outward[1].isdigit() else _FOURTH
    return f"a district like {outward} ends with one of {allowed}, not {outward[-1]}"


def normalise_postcode(value: str) -> str:
    """A valid postcode in capitals with one space before the inward code: SW1A 1AA."""
    compact = "".join(value.split())
    if not compact:
        raise InvalidIdentifierError("Postcode: is blank")
    stray = first_stray_character(compact, _ASCII_ALPHANUMERIC)
    if stray is not None:
        raise InvalidIdentifierError(
            f"Postcode: should contain only letters, digits and spaces, not {stray}"
        )
    if not _MIN_LENGTH <= len(compact) <= _MAX_LENGTH:
        raise InvalidIdentifierError(
            f"Postcode: should have {_MIN_LENGTH} to {_MAX_LENGTH} letters and digits,"
            f" not {len(compact)}"
        )
    upper = compact.upper()
    outward, inward = upper[:-_INWARD_LENGTH], upper[-_INWARD_LENGTH:]
    postcode = f"{outward} {inward}"
    if postcode == _GIROBANK:
        return postcode
    problem = _shape_problem(outward, inward)
    if problem is not None:
        raise InvalidIdentifierError(f"Postcode: {problem}")
    if not (_OUTWARD_PATTERN.fullmatch(outward) and _INWARD_PATTERN.fullmatch(inward)):
        raise InvalidIdentifierError(f"Postcode {postcode}: {_letter_problem(outward)}")
    return postcode


def is_valid_postcode(value: str) -> bool:
    try:
        normalise_postcode(value)
    except InvalidIdentifierError:
        return False
    return True


def outward_code(postcode: str) -> str:
    """The outward code (area and district) of a valid postcode: "SW1A"."""
    return normalise_postcode(postcode).split(" ")[0]


def postcode_sector(postcode: str) -> str:
    """The sector of a valid postcode: "SW1A 1"."""
    return normalise_postcode(postcode)[: 1 - _INWARD_LENGTH]


def _area_letters(rng: random.Random, area: str | None) -> str:
    if area is None:
        first = rng.choice(_FIRST)
        return rng.choice((first, first + rng.choice(_SECOND)))
    # Checked for ASCII before upper-casing, which turns the dotless i into I.
    letters = area.strip().upper() if area.isascii() else ""
    valid = (
        1 <= len(letters) <= _MAX_AREA_LENGTH
        and letters[0] in _FIRST
        and (len(letters) == 1 or letters[1] in _SECOND)
    )
    if not valid:
        raise ValueError(f"{area!r} is not a postcode area: expected one or two letters")
    return letters


def _district(rng: random.Random, letters: str) -> str:
    final = _THIRD if len(letters) == 1 else _FOURTH
    choices = (
        str(rng.randint(1, 9)),
        str(rng.randint(10, 99)),
        str(rng.randint(1, 9)) + rng.choice(final),
    )
    return rng.choice(choices)


def generate_postcode(rng: random.Random, *, area: str | None = None) -> str:
    """A postcode valid by format, optionally in an area such as "OX"; it may not exist."""
    letters = _area_letters(rng, area)
    inward = str(rng.randrange(10)) + rng.choice(_INWARD) + rng.choice(_INWARD)
    return f"{letters}{_district(rng, letters)} {inward}"
