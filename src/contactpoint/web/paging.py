"""The GOV.UK pagination component's parameters, for every paged list of pages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlencode

if TYPE_CHECKING:
    from starlette.datastructures import QueryParams


class Paged(Protocol):
    @property
    def number(self) -> int: ...
    @property
    def pages(self) -> int: ...
    @property
    def has_next(self) -> bool: ...


def page_query(query: QueryParams, number: int) -> str:
    """The query string with ``page`` set to ``number`` (and everything else kept)."""
    kept = [(name, value) for name, value in query.multi_items() if name != "page"]
    return urlencode([*kept, ("page", str(number))])


def pagination(
    query: QueryParams, page: Paged, *, label: str = "Pages", anchor: str = ""
) -> dict[str, object] | None:
    """The component's parameters; None for a single page.

    Links keep the other query parameters (filters), and show the first, the last,
    and the current page with its neighbours, gaps as ellipses.
    """
    if page.pages == 1:
        return None

    def href(number: int) -> str:
        return "?" + page_query(query, number) + anchor

    shown = sorted({1, page.number - 1, page.number, page.number + 1, page.pages})
    items: list[dict[str, object]] = []
    previous = 0
    for number in (n for n in shown if 1 <= n <= page.pages):
        if number - previous > 1:
            items.append({"ellipsis": True})
        items.append({"number": number, "href": href(number), "current": number == page.number})
        previous = number
    params: dict[str, object] = {"items": items, "landmarkLabel": label}
    if page.number > 1:
        params["previous"] = {"href": href(page.number - 1)}
    if page.has_next:
        params["next"] = {"href": href(page.number + 1)}
    return params
