"""The errors real sources make, each a small function, each rate a named constant.

Each rate applies independently to each record (or, for names, to each name
field) of a source. The rates are written to the extracts' manifest, and the
tests check that the extracts show them.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from typing import Final

from contactpoint.synth.names import nicknames_for

NAME_TYPO_RATE: Final = 0.02  # per name field: a letter substituted, dropped, added or swapped
KEYBOARD_SUBSTITUTION_SHARE: Final = 0.7  # of substitutions, the share that hit a neighbouring key
NICKNAME_RATE: Final = 0.10  # school records under a nickname or preferred (middle) name
DATE_OF_BIRTH_ERROR_RATE: Final = 0.01  # day and month swapped, a day out, or a year out
STALE_ADDRESS_RATE: Final = 0.10  # after a move, the source still holds the earlier address
HEALTH_STALE_ADDRESS_RATE: Final = 0.15  # GP registrations lag further behind a move
GIVEN_MIDDLE_SWAP_RATE: Final = 0.01  # given and (first) middle name swapped
DOUBLE_BARRELLED_PART_RATE: Final = 0.2  # of double-barrelled family names, one half only
DOUBLE_BARRELLED_SPACE_RATE: Final = 0.05  # of the rest, a space for the hyphen
FORMER_NAME_AS_CURRENT_RATE: Final = 0.2  # of renamed children, a source still has the old name
MISSING_FIELD_RATE: Final = 0.03  # each optional field a source holds, left empty
MISSING_DATE_OF_BIRTH_RATE: Final = 0.002
DUPLICATE_RECORD_RATE: Final = 0.01  # a second record_id for the same child in one source
POSTCODE_FORMAT_RATE: Final = 0.05  # lower case or without the space
NHS_NUMBER_KEYING_ERROR_RATE: Final = 0.005  # local sources only: a digit mistyped, check fails

_KEYBOARD_ROWS: Final = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_LETTERS: Final = "abcdefghijklmnopqrstuvwxyz"
# Letters that carry no accent to strip, and their usual ASCII spelling.
_UNDECOMPOSED: Final = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe",
     "ß": "ss", "\u0131": "i", "đ": "d", "Đ": "D", "ð": "d", "þ": "th"}
)  # fmt: skip
_APOSTROPHE_FORMS: Final = ("", " ", "\u2019")  # none, a space, or a typographic apostrophe


def _neighbours() -> dict[str, str]:
    """Letters next to each letter on a QWERTY keyboard (same row and the rows beside)."""
    position = {
        key: (row, col) for row, keys in enumerate(_KEYBOARD_ROWS) for col, key in enumerate(keys)
    }
    return {
        key: "".join(
            other
            for other, (row2, col2) in position.items()
            if other != key and abs(row - row2) <= 1 and abs(col - col2) <= 1
        )
        for key, (row, col) in position.items()
    }


KEYBOARD_NEIGHBOURS: Final = _neighbours()


def _same_case(letter: str, like: str) -> str:
    return letter.upper() if like.isupper() else letter.lower()


def _substitute(rng: random.Random, name: str, index: int) -> str:
    old = name[index]
    near = KEYBOARD_NEIGHBOURS.get(old.lower(), "")
    pool = near if near and rng.random() < KEYBOARD_SUBSTITUTION_SHARE else _LETTERS
    new = _same_case(rng.choice(pool), old)
    while new.lower() == old.lower():
        new = _same_case(rng.choice(_LETTERS), old)
    return name[:index] + new + name[index + 1 :]


def _insert(rng: random.Random, name: str, index: int) -> str:
    near = KEYBOARD_NEIGHBOURS.get(name[index].lower()) or _LETTERS
    typed = rng.choice(near)
    if name.isupper():  # a name held in capitals is typed in capitals
        typed = typed.upper()
    return name[: index + 1] + typed + name[index + 1 :]


def _transposable(name: str) -> list[int]:
    return [
        index
        for index in range(len(name) - 1)
        if name[index].isalpha()
        and name[index + 1].isalpha()
        and name[index].lower() != name[index + 1].lower()
    ]


def typo(rng: random.Random, name: str) -> str:
    """One keying error: a letter substituted, deleted, inserted, or two adjacent letters swapped.

    The result differs from ``name``: by one edit, or by a swap of two adjacent
    letters. Capitals stay capitals; only letters are touched.
    """
    letters = [index for index, char in enumerate(name) if char.isalpha()]
    if not letters:
        return name
    kind = rng.randrange(4)
    index = rng.choice(letters)
    if kind == 1 and len(letters) > 1 and index > 0:
        return name[:index] + name[index + 1 :]
    if kind == 2:  # noqa: PLR2004 - insertion
        return _insert(rng, name, index)
    swappable = _transposable(name) if kind == 3 else []  # noqa: PLR2004 - transposition
    if swappable:
        at = rng.choice(swappable)
        first, second = name[at + 1], name[at]
        if at == 0:  # keep the capital at the front
            first, second = first.upper(), second.lower() if name[1].islower() else second
        return name[:at] + first + second + name[at + 2 :]
    return _substitute(rng, name, index)


def preferred_names(
    rng: random.Random, given_name: str, middle_names: tuple[str, ...]
) -> tuple[str, tuple[str, ...]]:
    """The names a pupil is known by at school: a short form, else the first middle name.

    A pupil known by a middle name is held under it, with the legal given name
    left out; a pupil with neither keeps the given name.
    """
    short_forms = nicknames_for(given_name)
    if short_forms:
        return rng.choice(short_forms), middle_names
    if middle_names:
        return middle_names[0], middle_names[1:]
    return given_name, middle_names


def transpose_day_and_month(born: dt.date) -> dt.date | None:
    """The date with day and month swapped, or None where that is no other valid date."""
    if born.day > 12 or born.day == born.month:  # noqa: PLR2004 - months
        return None
    return dt.date(born.year, born.day, born.month)


def _year_out(rng: random.Random, born: dt.date) -> dt.date:
    year = born.year + rng.choice((-1, 1))
    day = 28 if (born.month, born.day) == (2, 29) else born.day
    return born.replace(year=year, day=day)


def misrecord_date_of_birth(rng: random.Random, born: dt.date, *, latest: dt.date) -> dt.date:
    """A wrong date of birth: day and month swapped where possible, a day out, or a year out.

    Never later than ``latest`` (the extract date) and never the true date.
    """
    swapped = transpose_day_and_month(born)
    draw = rng.random()
    if swapped is not None and draw < 0.4:  # noqa: PLR2004
        wrong = swapped
    elif draw < 0.7:  # noqa: PLR2004
        wrong = born + dt.timedelta(days=rng.choice((-1, 1)))
    else:
        wrong = _year_out(rng, born)
    if wrong > latest:
        return born - dt.timedelta(days=1)
    return wrong


def swap_given_and_middle(
    given_name: str, middle_names: tuple[str, ...]
) -> tuple[str, tuple[str, ...]]:
    """The first middle name as the given name, and the given name as the first middle name."""
    if not middle_names:
        return given_name, middle_names
    return middle_names[0], (given_name, *middle_names[1:])


def vary_double_barrelled(rng: random.Random, family_name: str) -> str:
    """One half of a double-barrelled name, or the name with a space for the hyphen."""
    if "-" not in family_name:
        return family_name
    if rng.random() < DOUBLE_BARRELLED_PART_RATE:
        return rng.choice(family_name.split("-"))
    if rng.random() < DOUBLE_BARRELLED_SPACE_RATE:
        return family_name.replace("-", " ")
    return family_name


def vary_apostrophe(rng: random.Random, name: str) -> str:
    """O'Brien as OBrien, O Brien, or with a typographic apostrophe (U+2019)."""
    return name.replace("'", rng.choice(_APOSTROPHE_FORMS))


def strip_accents(name: str) -> str:
    """Zoë as Zoe, Łukasz as Lukasz: what systems that hold only ASCII letters keep."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_UNDECOMPOSED))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def vary_postcode_format(rng: random.Random, postcode: str) -> str:
    """The same postcode in lower case or without its space, as people type them."""
    if rng.random() < 0.5:  # noqa: PLR2004
        return postcode.lower()
    return postcode.replace(" ", "")


def mistype_nhs_number(rng: random.Random, nhs_number: str) -> str:
    """One digit changed: the Modulus 11 check catches every such error."""
    index = rng.randrange(len(nhs_number))
    digit = rng.choice([other for other in "0123456789" if other != nhs_number[index]])
    return nhs_number[:index] + digit + nhs_number[index + 1 :]
