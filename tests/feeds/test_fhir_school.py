"""FHIR R4 Patients' school: the school-enrolment extension as ``school_urn`` and start date."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from test_fhir import EXTRACTED_ON, bundle, ndjson, only_child, patient, read

from contactpoint.feeds.extracts import child_rows
from contactpoint.feeds.fhir import SCHOOL_ENROLMENT, SCHOOL_URN_SYSTEM
from contactpoint.feeds.models import LoadStatus
from contactpoint.feeds.row_checks import Accepted

from feed_files import child_csv
from loads import Loads


def enrolment(urn: object = "107566", start: object = "2025-09-04", **period: str) -> object:
    """The school-enrolment extension: the school's URN, and when the child started there."""
    school = {"system": SCHOOL_URN_SYSTEM, "value": urn} if isinstance(urn, str) else urn
    return {
        "url": SCHOOL_ENROLMENT,
        "extension": [
            {"url": "school", "valueIdentifier": school},
            {"url": "period", "valuePeriod": {"start": start, **period}},
        ],
    }


def at_school(*enrolments: object, **changes: Any) -> dict[str, Any]:
    return patient(extension=list(enrolments), **changes)


def test_a_patient_at_school_gives_the_same_row_as_the_csv_with_its_school_columns() -> None:
    (csv_result,) = child_rows(io.BytesIO(child_csv({})), extracted_on=EXTRACTED_ON)
    assert isinstance(csv_result, Accepted)
    row, problems = only_child(at_school(enrolment()))
    assert problems == []
    assert row == csv_result.row
    assert (row.school_urn, row.school_start_date) == ("107566", dt.date(2025, 9, 4))


def test_the_start_is_the_date_part_of_a_date_time() -> None:
    row, problems = only_child(at_school(enrolment(start="2025-09-04T08:30:00+01:00")))
    assert (row.school_start_date, problems) == (dt.date(2025, 9, 4), [])


def test_the_current_enrolment_that_started_last_is_the_school() -> None:
    ended = enrolment("100000", "2019-09-03", end="2025-07-18")
    earlier = enrolment("100001", "2024-09-03")
    latest = enrolment("107566", "2025-09-04")
    row, _ = only_child(at_school(ended, latest, earlier))
    assert (row.school_urn, row.school_start_date) == ("107566", dt.date(2025, 9, 4))


def test_an_ended_enrolment_alone_gives_no_school_and_other_extensions_are_passed_over() -> None:
    other = {"url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
             "valueAddress": {"city": "Oxford"}}  # fmt: skip
    row, problems = only_child(at_school(other, enrolment(end="2027-07-16")))
    assert (row.school_urn, row.school_start_date, problems) == (
        "107566", dt.date(2025, 9, 4), [],
    )  # fmt: skip
    row, problems = only_child(at_school(other, enrolment(end="2025-07-18")))
    assert (row.school_urn, row.school_start_date, problems) == (None, None, [])


@pytest.mark.parametrize(
    ("extension", "path", "reason"),
    [
        (enrolment(urn="10756"), "extension[0].extension[0].valueIdentifier.value",
         "a school's URN is 6 digits"),
        (enrolment(urn={"system": "https://example.org/schools", "value": "107566"}),
         "extension[0].extension[0].valueIdentifier.system", "is not " + SCHOOL_URN_SYSTEM),
        (enrolment(urn=["107566"]),
         "extension[0].extension[0].valueIdentifier", "is not an Identifier"),
        (enrolment(urn={"system": SCHOOL_URN_SYSTEM, "value": 107566}),
         "extension[0].extension[0].valueIdentifier.value", "is not a string"),
    ],
)  # fmt: skip
def test_a_bad_school_urn_is_a_field_problem_naming_its_path_and_the_rest_loads(
    extension: object, path: str, reason: str
) -> None:
    (result,) = read(ndjson(at_school(extension)))
    assert isinstance(result, Accepted), result
    [problem] = result.problems
    assert (problem.level, problem.line, problem.column) == ("field", 1, path)
    assert reason in problem.reason
    assert "the row loads without it" in problem.reason
    assert result.row.school_urn is None  # type: ignore[union-attr]
    assert result.row.school_start_date == dt.date(2025, 9, 4)  # type: ignore[union-attr]
    assert result.row.nhs_number == "9991027610"  # type: ignore[union-attr]


@pytest.mark.parametrize("start", ["2025-02-30", "2025-09", "04/09/2025x", 20250904, "2010-01-01"])
def test_a_bad_school_start_date_is_a_field_problem_naming_its_path_and_the_rest_loads(
    start: object,
) -> None:
    data = bundle(patient(id="R0"), at_school(enrolment(start=start)))
    results = read(data)
    assert all(isinstance(result, Accepted) for result in results), results
    [problem] = results[1].problems
    assert (problem.level, problem.line) == ("field", 2)  # the Bundle's second entry
    assert problem.column == "extension[0].extension[1].valuePeriod.start"
    assert "school_start_date" not in problem.reason  # named by its path, not the CSV column
    row = results[1].row  # type: ignore[union-attr]
    assert (row.school_urn, row.school_start_date) == ("107566", None)  # type: ignore[union-attr]


def test_a_fhir_load_gives_the_child_the_school_a_csv_load_would(fresh_database, tmp_path):
    loads = Loads(fresh_database.engine, tmp_path)
    loads.add_source("health")
    report = loads.load("health", ndjson(at_school(enrolment(urn="999999"))), file_format="fhir")
    assert report.status is LoadStatus.COMPLETED
    assert report.counts["inserted"] == 1
    reasons = [problem.reason for problem in report.problems]
    assert any("no school with URN 999999 is known" in reason for reason in reasons), reasons
