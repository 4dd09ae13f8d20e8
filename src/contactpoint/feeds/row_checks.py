"""Checking one row's values, gathering its problems at row and field level."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from contactpoint.feeds import values
from contactpoint.feeds.problems import Level, Problem

if TYPE_CHECKING:
    import datetime as dt

    from contactpoint.feeds.header import Header

T = TypeVar("T")
R = TypeVar("R")


class Action(enum.StrEnum):
    UPSERT = "upsert"
    DELETE = "delete"


ACTIONS = {action.value: action for action in Action}


@dataclass(frozen=True, slots=True)
class Accepted(Generic[R]):
    """A row that loads, with the values it loads without (field problems) and notes."""

    row: R
    problems: tuple[Problem, ...]


@dataclass(frozen=True, slots=True)
class Deletion:
    """A delta's ``action=delete`` row: it needs only its record_id; the rest is not read."""

    line: int
    record_id: str


@dataclass(frozen=True, slots=True)
class Rejected:
    line: int
    record_id: str | None
    problems: tuple[Problem, ...]
    # False for what is no child's record at all (a FHIR resource of another type): it
    # says nothing of which records a full extract carries, as an unreadable row would.
    a_record: bool = True


class Duplicates(Protocol):
    def first_line(self, record_id: str, line: int) -> int | None:
        """The line where ``record_id`` first appeared in this extract, or None if it is new."""


@dataclass
class DuplicatesInMemory:
    """Every record_id seen in this extract (the loader keeps them in the database instead)."""

    lines: dict[str, int] = field(default_factory=dict)

    def first_line(self, record_id: str, line: int) -> int | None:
        first = self.lines.setdefault(record_id, line)
        return None if first == line else first


class RowCheck:
    """One row's values by column, and what is wrong with them so far."""

    def __init__(self, header: Header, line: int, row_values: list[str]) -> None:
        self._header, self.line, self._values = header, line, row_values
        self.problems: list[Problem] = []
        self.rejected = False

    def has(self, column: str) -> bool:
        return self._header.has(column)

    def text(self, column: str, *, longest: int | None = None) -> str | None:
        """The trimmed value, None when empty; too long drops it (field level)."""
        value = self._header.value(self._values, column).strip()
        if not value:
            return None
        if longest is not None and len(value) > longest:
            self.drop(column, f"longer than {longest} characters")
            return None
        return value

    def required_text(self, column: str, *, longest: int) -> str:
        value = self._header.value(self._values, column).strip()
        if not value:
            self.reject(column, f"{column} is empty")
        elif len(value) > longest:
            self.reject(column, f"{column} is longer than {longest} characters")
        return value

    def checked(self, column: str, rule: Callable[[str], T]) -> T | None:
        """The value by ``rule``; a value that breaks it is dropped (field level)."""
        raw = self.text(column)
        if raw is None:
            return None
        try:
            return rule(raw)
        except ValueError as error:
            self.drop(column, str(error))
            return None

    def required_checked(self, column: str, rule: Callable[[str], T], *, empty: str) -> T | None:
        """The value by ``rule``; an empty or broken one rejects the row."""
        raw = self.text(column)
        if raw is None:
            self.reject(column, empty)
            return None
        try:
            return rule(raw)
        except ValueError as error:
            self.reject(column, str(error))
            return None

    def date(self, column: str, *, required: bool) -> dt.date | None:
        """A present date that is not real rejects the row; an empty one is noted."""
        raw = self.text(column)
        if raw is None:
            if required:
                self.note(column, f"{column} is empty; the row loads without it")
            return None
        try:
            return values.date(raw)
        except ValueError as error:
            self.reject(column, str(error))
            return None

    def action(self) -> Action:
        return self.checked_row_level("action", ACTIONS, what="action") or Action.UPSERT

    def checked_row_level(self, column: str, options: dict[str, T], *, what: str) -> T | None:
        raw = self.text(column)
        if raw is None:
            return None
        try:
            return values.choice(raw, options=options, what=what)
        except ValueError as error:
            self.reject(column, str(error))
            return None

    def reject(self, column: str | None, reason: str) -> None:
        self.rejected = True
        self.problems.append(Problem(Level.ROW, self.line, column, reason))

    def drop(self, column: str, reason: str) -> None:
        self.problems.append(
            Problem(Level.FIELD, self.line, column, f"{reason}; the row loads without it")
        )

    def note(self, column: str, reason: str) -> None:
        self.problems.append(Problem(Level.NOTE, self.line, column, reason))


def record_key(check: RowCheck) -> str | None:
    """The row's record_id; a missing or invalid one rejects the row."""
    return check.required_checked("record_id", values.record_id, empty="the record_id is empty")


def claim(check: RowCheck, key: str | None, duplicates: Duplicates) -> None:
    """Reject a repeat of a record_id that an earlier row of this extract loads under.

    Called last, on an otherwise valid row, so that the occurrence that loads is
    the first *valid* one and the message can say that it loads.
    """
    if key is None or check.rejected:
        return
    first = duplicates.first_line(key, check.line)
    if first is not None:
        check.reject(
            "record_id", f"the record_id is repeated: it first appears on line {first}, which loads"
        )


def width_problem(header: Header, line: int, row_values: list[str]) -> Problem | None:
    if len(row_values) == header.width:
        return None
    return Problem(
        Level.ROW,
        line,
        None,
        f"the row has {len(row_values)} values but the header has {header.width} columns",
    )
