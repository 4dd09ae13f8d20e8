"""What a load reports about a feed: problems at file, row and field level.

``feeds.md`` fixes three levels. A *file* problem stops the whole file; a *row*
problem rejects that row and nothing else; a *field* problem drops one value and
keeps the row. A *note* drops nothing: it tells the data manager something the
contract asks to be reported (a date of birth left empty, for instance).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Level(enum.StrEnum):
    FILE = "file"
    ROW = "row"
    FIELD = "field"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Problem:
    """``line`` is the physical line a row starts on (the header is line 1); 0 for none."""

    level: Level
    line: int
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = [f"line {self.line}"] if self.line else []
        if self.column:
            where.append(f"column {self.column}")
        return ", ".join(where) + ": " + self.reason if where else self.reason


class FeedFileError(ValueError):
    """The file cannot be loaded at all; nothing from it loads."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def file_error(reason: str, *, line: int = 0, column: str | None = None) -> FeedFileError:
    return FeedFileError(Problem(Level.FILE, line, column, reason))
