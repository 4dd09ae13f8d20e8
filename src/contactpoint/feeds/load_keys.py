"""Pass one's bookkeeping of a load's rows: each row's record_id and line, staged for
``feed_load_key``, and the repeated record_ids that pass two finds from them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from contactpoint.feeds.row_checks import Accepted, Deletion, Rejected

if TYPE_CHECKING:
    from contactpoint.feeds.full_extracts import Unreadable
    from contactpoint.feeds.models import FeedLoad

Result = Accepted[Any] | Rejected


def note_row(
    load: FeedLoad,
    result: Result,
    staged: list[dict[str, object]],
    unreadable: Unreadable,
    deleting: list[str],
) -> None:
    """Pass one's note of a row: its record_id staged (or counted unreadable), and kept
    apart if it is an accepted delete row (a full extract's guard counts those)."""
    key = key_of(result)
    if key:
        staged.append({"load_id": load.id, "record_key": key, "line": line_of(result),
                       "accepted": isinstance(result, Accepted)})  # fmt: skip
        if isinstance(result, Accepted) and isinstance(result.row, Deletion):
            deleting.append(key)
    elif not isinstance(result, Rejected) or result.a_record:
        unreadable.add(line_of(result))


class NoDuplicates:
    """Pass one stages every key; duplicates are found afterwards, in the database."""

    def first_line(self, record_id: str, line: int) -> int | None:  # noqa: ARG002 - the protocol
        return None


@dataclass(frozen=True, slots=True)
class KnownDuplicates:
    first_lines: dict[str, int]

    def first_line(self, record_id: str, line: int) -> int | None:
        first = self.first_lines.get(record_id)
        return None if first is None or first == line else first


def duplicates_among(keys: Sequence[dict[str, object]]) -> KnownDuplicates:
    """The first line of each accepted record_id that comes more than once (in memory)."""
    lines: dict[str, list[int]] = {}
    for key in keys:
        if key["accepted"]:
            lines.setdefault(str(key["record_key"]), []).append(int(str(key["line"])))
    return KnownDuplicates({key: min(found) for key, found in lines.items() if len(found) > 1})


def key_of(result: Result) -> str | None:
    if isinstance(result, Rejected):
        return result.record_id
    return getattr(result.row, "record_id", None)


def line_of(result: Result) -> int:
    if isinstance(result, Rejected):
        return result.line
    return int(getattr(result.row, "line", 0))
