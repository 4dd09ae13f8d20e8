"""The child feed's rules from feeds.md: file, row and field problems, and normalisation."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from contactpoint.feeds.extracts import child_rows
from contactpoint.feeds.problems import FeedFileError, Level
from contactpoint.feeds.row_checks import Accepted, Deletion, Rejected
from contactpoint.provenance.reported import ChildRow
from contactpoint.vocabulary import AddressStatus, CarerRelationship, Gender

from feed_files import CHILD_HEADER, VALID_CHILD, child_csv, csv_bytes

EXTRACTED_ON = dt.date(2026, 12, 1)


def read(data: bytes) -> list[Accepted[ChildRow | Deletion] | Rejected]:
    return list(child_rows(io.BytesIO(data), extracted_on=EXTRACTED_ON))


def only_child(data: bytes) -> tuple[ChildRow, list[str]]:
    (result,) = read(data)
    assert isinstance(result, Accepted), result
    assert isinstance(result.row, ChildRow)
    return result.row, [f"{p.level}:{p.column}" for p in result.problems]


def file_problem(data: bytes) -> str:
    with pytest.raises(FeedFileError) as raised:
        read(data)
    return str(raised.value)


def test_a_valid_row_is_normalised_as_the_contract_says() -> None:
    row, problems = only_child(child_csv({}))
    assert problems == []
    assert row.record_id == "R1"
    assert row.line == 2
    assert row.gender is Gender.FEMALE
    assert row.date_of_birth == dt.date(2014, 7, 21)
    assert row.nhs_number == "9991027610"
    assert row.gp_practice_code == "B83002"
    assert row.former_family_names == ("Barton", "Singh")
    assert row.address is not None
    assert row.address.postcode == "OX5V 9JP"
    assert row.address.status is AddressStatus.CURRENT
    (carer,) = row.carers
    assert carer.relationship is CarerRelationship.MOTHER
    assert carer.email == "jade.roberts@example.org"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("male", Gender.MALE), ("M", Gender.MALE), ("1", Gender.MALE), ("f", Gender.FEMALE),
        ("2", Gender.FEMALE), ("U", Gender.NOT_KNOWN), ("0", Gender.NOT_KNOWN),
        ("9", Gender.NOT_SPECIFIED), ("not_specified", Gender.NOT_SPECIFIED),
        ("", Gender.NOT_KNOWN),
    ],
)  # fmt: skip
def test_every_gender_code_of_the_contract_is_understood(given: str, expected: Gender) -> None:
    row, problems = only_child(child_csv({"gender": given}))
    assert (row.gender, problems) == (expected, [])


def test_a_leading_byte_order_mark_is_accepted() -> None:
    rows = [[VALID_CHILD.get(column, "") for column in CHILD_HEADER]]
    row, _ = only_child(csv_bytes(CHILD_HEADER, rows, bom=True))
    assert row.record_id == "R1"


def test_columns_may_come_in_any_order_and_optional_ones_may_be_left_out() -> None:
    header = ("date_of_birth", "family_name", "record_id", "given_name")
    row, problems = only_child(child_csv({}, header=header))
    assert (row.family_name, row.nhs_number, row.carers, problems) == ("Barton-Singh", None, (), [])


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "the file is empty"),
        (b"\xff\xfer\x00e\x00", "UTF-16"),
        ("record_id,given_name,family_name,date_of_birth\nR1,Zoë,Smith,2014-01-01\n".encode(
            "latin-1"), "line 2: the file is not UTF-8"),
        (b"record_id,given_name,family_name\n", "lacks the required column 'date_of_birth'"),
        (b"record_id,given_name,family_name,date_of_birth,nhs_numbr\n",
         "column nhs_numbr: the column 'nhs_numbr' is not one this feed knows (did you mean"),
        (b"record_id,given_name,family_name,date_of_birth,town,town\n",
         "the column 'town' appears twice"),
        (b"\nrecord_id,given_name,family_name,date_of_birth\n", "the header row"),
    ],
)  # fmt: skip
def test_file_problems_stop_the_whole_file_and_say_where(data: bytes, expected: str) -> None:
    assert expected in file_problem(data)


def test_a_file_over_the_size_cap_is_refused() -> None:
    data = child_csv(*({"record_id": f"R{n}"} for n in range(50)))
    with pytest.raises(FeedFileError, match="larger than the 1,048 bytes a load accepts"):
        list(child_rows(io.BytesIO(data), extracted_on=EXTRACTED_ON, size_cap=1048))


def test_a_header_only_file_has_no_rows() -> None:
    assert read(b"record_id,given_name,family_name,date_of_birth\n") == []


@pytest.mark.parametrize(
    ("change", "column", "reason"),
    [
        ({"record_id": ""}, "record_id", "the record_id is empty"),
        ({"record_id": "x" * 65}, "record_id", "at most 64"),
        ({"record_id": "R\x07"}, "record_id", "cannot be printed"),
        ({"given_name": " "}, "given_name", "given_name is empty"),
        ({"family_name": ""}, "family_name", "family_name is empty"),
        ({"date_of_birth": "2014-02-30"}, "date_of_birth", "'2014-02-30' is not a real date"),
        ({"date_of_birth": "31/13/2014"}, "date_of_birth", "is not a real date"),
        ({"date_of_birth": "July 2014"}, "date_of_birth", "YYYY-MM-DD or DD/MM/YYYY"),
        ({"date_of_birth": "2027-01-01"}, "date_of_birth", "after the date of the extract"),
        ({"action": "remove"}, "action", "not a recognised action"),
    ],
)
def test_row_problems_reject_only_that_row(
    change: dict[str, str], column: str, reason: str
) -> None:
    results = read(child_csv({"record_id": "GOOD1"}, change, {"record_id": "GOOD2"}))
    first, bad, last = results
    assert isinstance(first, Accepted)
    assert isinstance(last, Accepted)
    assert isinstance(bad, Rejected)
    (problem,) = [p for p in bad.problems if p.level is Level.ROW]
    assert (problem.level, problem.line, problem.column) == (Level.ROW, 3, column)
    assert reason in problem.reason


def test_an_empty_date_of_birth_loads_and_is_reported() -> None:
    row, problems = only_child(child_csv({"date_of_birth": ""}))
    assert row.date_of_birth is None
    assert problems == ["note:date_of_birth"]


def test_a_repeated_record_id_loads_the_first_and_names_its_line() -> None:
    results = read(child_csv({}, {"given_name": "Other"}, {}))
    assert [type(result).__name__ for result in results] == ["Accepted", "Rejected", "Rejected"]
    assert all("first appears on line 2" in r.problems[0].reason for r in results[1:])


def test_a_repeat_of_a_rejected_record_id_loads_as_the_first_valid_one() -> None:
    results = read(child_csv({"given_name": ""}, {}))
    assert [type(result).__name__ for result in results] == ["Rejected", "Accepted"]


@pytest.mark.parametrize(
    ("change", "column", "kept"),
    [
        ({"nhs_number": "999 102 7611"}, "nhs_number", "nhs_number"),
        ({"upn": "W100400018001"}, "upn", "upn"),
        ({"postcode": "XX"}, "postcode", "address"),
        ({"gender": "boy"}, "gender", "gender"),
        ({"carer_1_relationship": "uncle"}, "carer_1_relationship", "carers"),
        ({"school_urn": "12345"}, "school_urn", "school_urn"),
        ({"gp_practice_code": "81001"}, "gp_practice_code", "gp_practice_code"),
        ({"carer_1_phone": "call me"}, "carer_1_phone", "carers"),
        ({"carer_1_phone": "0770090"}, "carer_1_phone", "carers"),
        ({"carer_1_email": "jade at example"}, "carer_1_email", "carers"),
        ({"school_start_date": "2025-13-01"}, "school_start_date", "school_start_date"),
    ],
)
def test_field_problems_drop_only_that_value(
    change: dict[str, str], column: str, kept: str
) -> None:
    row, problems = only_child(child_csv(change))
    assert problems == [f"field:{column}"]
    assert row.given_name == "Amelia"
    assert getattr(row, kept) != getattr(only_child(child_csv({}))[0], kept)


def test_a_delete_needs_only_its_record_id() -> None:
    (result,) = read(b"record_id,given_name,family_name,date_of_birth,action\nR9,,,,delete\n")
    assert isinstance(result, Accepted)
    assert result.row == Deletion(2, "R9")


def test_rows_keep_their_physical_line_across_quoted_line_breaks() -> None:
    data = child_csv({"record_id": "A", "address_line_1": "Flat 1\nThe Mews"}, {"record_id": "B"})
    first, second = read(data)
    assert isinstance(first, Accepted)
    assert isinstance(second, Accepted)
    assert (first.row.line, second.row.line) == (2, 4)


def test_an_unbalanced_quote_rejects_its_row_and_reading_goes_on() -> None:
    data = (
        b"record_id,given_name,family_name,date_of_birth\n"
        b'R1,"Amelia,Smith,2014-01-01\n'
        b"R2,Ben,Smith,2014-01-01\n"
    )
    first, second = read(data)
    assert isinstance(first, Rejected)
    assert (first.line, "never closed" in first.problems[0].reason) == (2, True)
    assert isinstance(second, Accepted)


def test_a_row_with_the_wrong_number_of_values_is_rejected() -> None:
    data = b"record_id,given_name,family_name,date_of_birth\nR1,Amelia,Smith\nR2,B,C,\n"
    first, second = read(data)
    assert isinstance(first, Rejected)
    assert "3 values but the header has 4 columns" in first.problems[0].reason
    assert isinstance(second, Accepted)
