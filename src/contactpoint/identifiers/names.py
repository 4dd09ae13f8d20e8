"""Name normalisation, so that spellings of one name compare equal."""

import unicodedata
from functools import lru_cache

# Names repeat a great deal (a million children share a few tens of thousands of
# names), and linkage normalises each one many times over: the results are kept.
_CACHED_NAMES = 1 << 17

# Removed before and after NFKC: before, because NFKC turns the acute accent
# into a space plus a combining mark; after, for compatibility forms such as
# the fullwidth apostrophe.
_APOSTROPHES = frozenset("'\u2018\u2019\u201b`\u00b4\u02b9\u02bb\u02bc\u2032\uff07")

# Double-barrelled names and initials are separate words, not one run-on word.
_SEPARATORS = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d.,")

# Letters that NFKD leaves whole, so stripping accents would otherwise drop
# them. Sharp s needs no entry: casefold already makes it "ss". The Turkish
# dotless i is here because its upper case is the ASCII "I", and upper and
# lower case must normalise alike.
_UNDECOMPOSED = {
    "ø": "o",
    "æ": "ae",
    "œ": "oe",
    "ł": "l",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "\u0131": "i",
}

_ASCII_LOWERCASE = frozenset("abcdefghijklmnopqrstuvwxyz")


def _without_apostrophes(text: str) -> str:
    return "".join(char for char in text if char not in _APOSTROPHES)


def _folded_char(char: str) -> str:
    # Everything outside a-z is dropped, combining accents (split off by NFKD)
    # and the letters of other scripts alike.
    if char in _ASCII_LOWERCASE:
        return char
    if char in _SEPARATORS or char.isspace():
        return " "
    return _UNDECOMPOSED.get(char, "")


def _ascii_table() -> dict[int, str | None]:
    """What each ASCII character becomes, as the full rules below would make it."""
    table: dict[int, str | None] = {}
    for code in range(128):
        char = chr(code)
        if char in _APOSTROPHES:
            table[code] = None
        elif char.lower() in _ASCII_LOWERCASE:
            table[code] = char.lower()
        elif char in _SEPARATORS or char.isspace():
            table[code] = " "
        else:
            table[code] = None
    return table


_ASCII_TABLE = _ascii_table()


@lru_cache(maxsize=_CACHED_NAMES)
def normalise_name(value: str) -> str:
    """Lower-case ASCII words separated by single spaces, for matching.

    A name written wholly in another script, such as Cyrillic, normalises to
    "", so an empty result must never count as a match. Plain ASCII (most names
    in feeds) takes a fast path with the same result as the full rules.
    """
    if value.isascii():
        return " ".join(value.translate(_ASCII_TABLE).split())
    return _normalised_in_full(value)


def _normalised_in_full(value: str) -> str:
    text = unicodedata.normalize("NFKC", _without_apostrophes(value)).casefold()
    text = unicodedata.normalize("NFKD", _without_apostrophes(text))
    return " ".join("".join(_folded_char(char) for char in text).split())


@lru_cache(maxsize=_CACHED_NAMES)
def name_tokens(value: str) -> tuple[str, ...]:
    """The words of the normalised name."""
    return tuple(normalise_name(value).split())


@lru_cache(maxsize=_CACHED_NAMES)
def compact_name(value: str) -> str:
    """The normalised name with no spaces: "Barton-Singh" matches "BartonSingh"."""
    return normalise_name(value).replace(" ", "")
