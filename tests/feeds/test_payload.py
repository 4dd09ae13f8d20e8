"""A source record's payload: canonical JSON of the accepted row, read back exactly."""

from __future__ import annotations

import datetime as dt
import io

from contactpoint.feeds.extracts import child_rows
from contactpoint.feeds.row_checks import Accepted
from contactpoint.provenance.reported import ChildRow, child_from_payload, content_hash, payload

from feed_files import child_csv


def accepted_child(data: bytes) -> ChildRow:
    (result,) = child_rows(io.BytesIO(data), extracted_on=dt.date(2026, 12, 1))
    assert isinstance(result, Accepted)
    assert isinstance(result.row, ChildRow)
    return result.row


def test_a_payload_reads_back_as_the_same_row() -> None:
    row = accepted_child(child_csv({}))
    assert child_from_payload(payload(row)) == row


def test_the_same_row_on_another_line_has_the_same_digest() -> None:
    first = accepted_child(child_csv({}))
    later = accepted_child(child_csv({"address_line_1": "100 School Grove"}))
    assert content_hash(payload(first)) == content_hash(payload(later))


def test_a_changed_value_changes_the_digest() -> None:
    first = accepted_child(child_csv({}))
    moved = accepted_child(child_csv({"postcode": "OX2 6GG"}))
    assert content_hash(payload(first)) != content_hash(payload(moved))
