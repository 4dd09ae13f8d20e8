"""The one error every identifier rule raises, and help for its messages."""

from collections.abc import Iterable


class InvalidIdentifierError(ValueError):
    """An identifier or postcode that breaks its rules.

    The message names the identifier and says what is wrong with it in plain
    words, because it may be shown to a data manager fixing a feed row.
    """


def first_stray_character(text: str, allowed: Iterable[str]) -> str | None:
    """The first character of text not in allowed, quoted, or None if there is none.

    Messages quote this one character rather than the whole value: a value full
    of stray characters is often another column's contents, such as a name,
    which must not be copied into messages and from there into logs.
    """
    permitted = frozenset(allowed)
    return next((repr(char) for char in text if char not in permitted), None)
