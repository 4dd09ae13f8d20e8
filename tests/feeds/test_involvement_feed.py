"""The involvement feed's rules from feeds.md."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from contactpoint.feeds.extracts import involvement_rows
from contactpoint.feeds.problems import FeedFileError, Level
from contactpoint.feeds.row_checks import Accepted, Deletion, Rejected
from contactpoint.provenance.reported import InvolvementRow
from contactpoint.vocabulary import ConsentBasis, ServiceType

from feed_files import csv_bytes

HEADER = (
    "record_id", "child_record_id", "service_name", "service_type", "practitioner_name",
    "practitioner_role", "phone", "email", "start_date", "end_date", "lead_professional",
    "assessment_held", "consent_basis", "action",
)  # fmt: skip
VALID = {
    "record_id": "INV1",
    "child_record_id": "R1",
    "service_name": "Oxford Children's Social Care",
    "service_type": "social_care",
    "practitioner_name": "June Webster",
    "practitioner_role": "social worker",
    "phone": "01632 960530",
    "email": "june.webster@oxfordshire.example.org",
    "start_date": "30/12/2025",
    "lead_professional": "yes",
    "assessment_held": "no",
}


def read(*changes: dict[str, str]) -> list[Accepted[InvolvementRow | Deletion] | Rejected]:
    rows = [[{**VALID, **change}.get(column, "") for column in HEADER] for change in changes]
    return list(involvement_rows(io.BytesIO(csv_bytes(HEADER, rows))))


def test_a_valid_involvement_is_read_with_its_indicators() -> None:
    (result,) = read({})
    assert isinstance(result, Accepted)
    row = result.row
    assert isinstance(row, InvolvementRow)
    assert (row.service_type, row.start_date, row.end_date) == (
        ServiceType.SOCIAL_CARE,
        dt.date(2025, 12, 30),
        None,
    )
    assert (row.lead_professional, row.assessment_held, row.sensitive) == (True, False, False)
    assert result.problems == ()


@pytest.mark.parametrize(
    ("change", "column", "reason"),
    [
        ({"child_record_id": ""}, "child_record_id", "child_record_id is empty"),
        ({"service_name": ""}, "service_name", "service_name is empty"),
        ({"service_type": "tutoring"}, "service_type", "not a recognised service type"),
        ({"start_date": ""}, "start_date", "start_date is empty"),
        ({"start_date": "2025-02-29"}, "start_date", "not a real date"),
        ({"end_date": "2025-01-01"}, "end_date", "before the start date"),
        ({"service_type": "sexual_health"}, "consent_basis", "needs a consent_basis"),
        ({"service_type": "mental_health", "consent_basis": "asked"}, "consent_basis",
         "not a recognised consent basis"),
    ],
)  # fmt: skip
def test_row_problems_reject_the_involvement(
    change: dict[str, str], column: str, reason: str
) -> None:
    good, bad = read({"record_id": "OK"}, change)
    assert isinstance(good, Accepted)
    assert isinstance(bad, Rejected)
    (problem,) = [p for p in bad.problems if p.level is Level.ROW]
    assert (problem.line, problem.column) == (3, column)
    assert reason in problem.reason


def test_a_sensitive_involvement_with_a_consent_basis_loads() -> None:
    (result,) = read({"service_type": "substance_misuse", "consent_basis": "child_consent"})
    assert isinstance(result, Accepted)
    assert isinstance(result.row, InvolvementRow)
    assert (result.row.sensitive, result.row.consent_basis) == (True, ConsentBasis.CHILD_CONSENT)


@pytest.mark.parametrize(
    ("change", "column"),
    [
        ({"lead_professional": "maybe"}, "lead_professional"),
        ({"phone": "ring the office"}, "phone"),
        ({"email": "june@"}, "email"),
        ({"consent_basis": "verbal"}, "consent_basis"),
    ],
)
def test_field_problems_drop_one_value(change: dict[str, str], column: str) -> None:
    (result,) = read(change)
    assert isinstance(result, Accepted)
    assert [(p.level, p.column) for p in result.problems] == [(Level.FIELD, column)]


def test_a_delete_needs_only_its_record_id() -> None:
    (result,) = read({"action": "delete", "service_type": "", "start_date": ""})
    assert isinstance(result, Accepted)
    assert result.row == Deletion(2, "INV1")


def test_the_child_feeds_header_is_not_an_involvement_feed() -> None:
    data = b"record_id,given_name,family_name,date_of_birth\n"
    with pytest.raises(FeedFileError, match="'given_name' is not one this feed knows"):
        list(involvement_rows(io.BytesIO(data)))
