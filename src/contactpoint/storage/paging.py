"""Reading a list a page at a time: the page every domain hands its pages and API.

A :class:`Page` is page ``number`` (from 1) of ``total`` rows, ``size`` to a page;
:func:`read_page` reads one from the database (the whole count, then one window of
the rows), and :func:`page_of` cuts one from rows already in memory. A page number
below 1 or past the last page is refused with :class:`NoSuchPageError`, never
quietly moved to the nearest page, so a link to a page that has gone says so.
Nothing at all is one empty page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Generic, TypeVar, TypeVarTuple

from sqlalchemy import func, select

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.orm import Session

__all__ = [
    "THERE_ARE",
    "NoSuchPageError",
    "Page",
    "check_page",
    "page_of",
    "pages_for",
    "read_page",
]

THERE_ARE: Final = "there are"  # how a refusal names the whole list, unless told otherwise

Row = TypeVar("Row")
Other = TypeVar("Other")
Columns = TypeVarTuple("Columns")


class NoSuchPageError(ValueError):
    """A page number below 1 or past the last page; the message says how many there are.

    ``whole`` begins the count in the message: "there are" (3 pages), or a name for
    the list such as "the report has".
    """

    def __init__(self, number: int, *, pages: int, whole: str = THERE_ARE) -> None:
        plural = "" if pages == 1 else "s"
        super().__init__(f"there is no page {number}: {whole} {pages} page{plural}")
        self.number = number
        self.pages = pages


@dataclass(frozen=True, slots=True)
class Page(Generic[Row]):
    """Page ``number`` (from 1) of ``total`` rows, ``size`` to a page."""

    rows: list[Row]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages there are; nothing at all is one empty page."""
        return pages_for(self.total, size=self.size)

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    def map(self, convert: Callable[[Row], Other]) -> Page[Other]:
        """The same page with each row converted (a database row to what a page shows)."""
        return Page([convert(row) for row in self.rows], self.number, self.size, self.total)


def pages_for(total: int, *, size: int) -> int:
    """How many pages ``total`` rows fill, ``size`` to a page; at least one."""
    if size < 1:
        raise ValueError(f"a page holds at least 1 row, not {size}")
    return max(1, -(-total // size))


def check_page(number: int, *, total: int, size: int, whole: str = THERE_ARE) -> None:
    """Refuse a page ``number`` outside the pages that ``total`` rows fill."""
    pages = pages_for(total, size=size)
    if not 1 <= number <= pages:
        raise NoSuchPageError(number, pages=pages, whole=whole)


def read_page(
    session: Session,
    statement: Select[*Columns],
    *,
    number: int,
    size: int,
    whole: str = THERE_ARE,
) -> Page[tuple[*Columns]]:
    """Page ``number`` of what ``statement`` selects, in its order, each row a tuple.

    The count runs over the statement itself (joins, conditions and all), so it
    cannot disagree with the rows; :class:`NoSuchPageError` below 1 or past the end.
    """
    counted = select(func.count()).select_from(statement.order_by(None).subquery())
    total = int(session.scalar(counted) or 0)
    check_page(number, total=total, size=size, whole=whole)
    window = statement.offset((number - 1) * size).limit(size)
    rows: list[tuple[*Columns]] = list(session.execute(window))  # a Row is a tuple
    return Page(rows, number, size, total)


def page_of(rows: Sequence[Row], *, number: int, size: int, whole: str = THERE_ARE) -> Page[Row]:
    """Page ``number`` of rows held in memory (such as a dry run's, which are never stored)."""
    check_page(number, total=len(rows), size=size, whole=whole)
    start = (number - 1) * size
    return Page(list(rows[start : start + size]), number, size, len(rows))
