"""A feed's header row: which columns it has, checked against the contract."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from contactpoint.feeds.problems import file_error

if TYPE_CHECKING:
    from collections.abc import Iterable


@dataclass(frozen=True, slots=True)
class Columns:
    """The contract for one feed: the columns that must be there, and all it knows."""

    required: tuple[str, ...]
    optional: tuple[str, ...]

    @property
    def known(self) -> frozenset[str]:
        return frozenset(self.required) | frozenset(self.optional)


@dataclass(frozen=True, slots=True)
class Header:
    """Where each named column sits in a row."""

    positions: dict[str, int]

    @property
    def width(self) -> int:
        return len(self.positions)

    def value(self, values: list[str], column: str) -> str:
        position = self.positions.get(column)
        return "" if position is None else values[position]

    def has(self, column: str) -> bool:
        return column in self.positions


def read_header(names: Iterable[str], *, columns: Columns) -> Header:
    """The header, or a file error naming the first column that breaks the contract."""
    positions: dict[str, int] = {}
    for position, raw in enumerate(names):
        name = raw.strip()
        column = _column_letter(position)
        if not name:
            raise file_error(f"the header's column {column} has no name", line=1)
        if name in positions:
            raise file_error(f"the column {name!r} appears twice in the header", line=1)
        if name not in columns.known:
            raise file_error(_unknown(name, columns), line=1, column=name)
        positions[name] = position
    missing = [name for name in columns.required if name not in positions]
    if missing:
        raise file_error(
            "the header lacks the required column"
            + ("s " if len(missing) > 1 else " ")
            + ", ".join(repr(name) for name in missing),
            line=1,
        )
    return Header(positions)


def _unknown(name: str, columns: Columns) -> str:
    close = difflib.get_close_matches(name, sorted(columns.known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"the column {name[:40]!r} is not one this feed knows{hint}"


def _column_letter(position: int) -> str:
    letters = ""
    number = position + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters
