"""FHIR R4 Patient resources as the child feed: mapping, Bundle and NDJSON, bad input, loads."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contactpoint.feeds.applying import apply_child_chunk
from contactpoint.feeds.extracts import child_rows
from contactpoint.feeds.fhir import (
    NHS_NUMBER_SYSTEM,
    ODS_SYSTEM,
    UPN_SYSTEM,
    check_patient,
    fhir_child_rows,
)
from contactpoint.feeds.models import LoadMode, LoadStatus
from contactpoint.feeds.problems import FeedFileError, Level
from contactpoint.feeds.row_checks import Accepted, Deletion, DuplicatesInMemory, Rejected
from contactpoint.feeds.values import date as feed_date
from contactpoint.provenance.reported import ChildRow
from contactpoint.synth.bundle import write_synthetic_extracts
from contactpoint.vocabulary import AddressStatus, CarerRelationship, Gender

from feed_files import child_csv
from loads import Loads

if TYPE_CHECKING:
    from pathlib import Path

EXTRACTED_ON = dt.date(2026, 12, 1)
V3_ROLE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
Result = Accepted[ChildRow | Deletion] | Rejected


def patient(**changes: Any) -> dict[str, Any]:
    """The FHIR twin of feed_files.VALID_CHILD (which has school fields FHIR does not carry)."""
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": "R1",
        "identifier": [
            {"system": NHS_NUMBER_SYSTEM, "value": "999 102 7610"},
            {"system": UPN_SYSTEM, "value": "W100400018000"},
        ],
        "name": [
            {"use": "official", "family": "Barton-Singh", "given": ["Amelia", "Rose"]},
            {"use": "old", "family": "Barton"},
            {"use": "maiden", "family": "Singh"},
        ],
        "gender": "female",
        "birthDate": "2014-07-21",
        "address": [
            {"use": "home", "line": ["100 School Grove"], "city": "Abingdon",
             "postalCode": "ox5v9jp"},
        ],
        "contact": [
            {"relationship": [{"coding": [{"system": V3_ROLE, "code": "MTH"}]}],
             "name": {"family": "Roberts", "given": ["Jade"]},
             "telecom": [{"system": "phone", "value": "+44 7700 900602"},
                         {"system": "email", "value": "jade.roberts@example.org"}]},
        ],
        "generalPractitioner": [{"identifier": {"system": ODS_SYSTEM, "value": "b83002"}}],
    }  # fmt: skip
    return {**resource, **changes}


def ndjson(*resources: object) -> bytes:
    return "".join(json.dumps(resource) + "\n" for resource in resources).encode()


def bundle(*resources: object, indent: int | None = 2) -> bytes:
    entries = [{"fullUrl": f"urn:uuid:{n}", "resource": r} for n, r in enumerate(resources)]
    document = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    return json.dumps(document, indent=indent).encode()


def read(data: bytes, **options: Any) -> list[Result]:
    return list(fhir_child_rows(io.BytesIO(data), extracted_on=EXTRACTED_ON, **options))


def only_child(resource: dict[str, Any]) -> tuple[ChildRow, list[str]]:
    (result,) = read(ndjson(resource))
    assert isinstance(result, Accepted), result
    assert isinstance(result.row, ChildRow)
    return result.row, [f"{p.level}:{p.column}" for p in result.problems]


def rejection(data: bytes) -> list[str]:
    (result,) = read(data)
    assert isinstance(result, Rejected), result
    return [str(problem) for problem in result.problems]


def file_problem(data: bytes, **options: Any) -> str:
    with pytest.raises(FeedFileError) as raised:
        read(data, **options)
    return str(raised.value)


# --- mapping -----------------------------------------------------------------------------


def test_a_full_patient_gives_the_same_row_as_the_equivalent_csv() -> None:
    (csv_result,) = child_rows(
        io.BytesIO(child_csv({"school_urn": "", "school_start_date": ""})),
        extracted_on=EXTRACTED_ON,
    )
    assert isinstance(csv_result, Accepted)
    row, problems = only_child(patient())
    assert problems == []
    assert row == csv_result.row
    assert (row.given_name, row.middle_names, row.family_name) == ("Amelia", "Rose", "Barton-Singh")
    assert row.former_family_names == ("Barton", "Singh")
    assert (row.nhs_number, row.upn, row.gp_practice_code) == (
        "9991027610", "W100400018000", "B83002",
    )  # fmt: skip
    assert row.address is not None
    assert (row.address.postcode, row.address.status) == ("OX5V 9JP", AddressStatus.CURRENT)
    (carer,) = row.carers
    assert carer.relationship is CarerRelationship.MOTHER
    assert (carer.phone, carer.email) == ("+44 7700 900602", "jade.roberts@example.org")


def test_a_bundle_and_ndjson_give_the_same_rows_numbered_by_entry_and_by_line() -> None:
    resources = [patient(), patient(id="R2", birthDate="2015-01-02")]
    from_ndjson = read(ndjson(*resources))
    for data in (bundle(*resources), bundle(*resources, indent=None)):
        from_bundle = read(data)
        assert [r.row for r in from_bundle if isinstance(r, Accepted)] == [
            r.row for r in from_ndjson if isinstance(r, Accepted)
        ]
        assert [getattr(r.row, "line", 0) for r in from_bundle if isinstance(r, Accepted)] == [1, 2]


def test_ndjson_lines_are_numbered_as_in_the_file_blank_lines_included() -> None:
    data = b"\n" + ndjson(patient()) + b"\n\n" + ndjson(patient(id="R2"))
    assert [getattr(r, "row", None) and r.row.line for r in read(data)] == [2, 5]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("code", "expected"),
    [("male", Gender.MALE), ("female", Gender.FEMALE), ("other", Gender.NOT_SPECIFIED),
     ("unknown", Gender.NOT_KNOWN)],
)  # fmt: skip
def test_fhir_genders_map_onto_the_feeds(code: str, expected: Gender) -> None:
    row, _ = only_child(patient(gender=code))
    assert row.gender is expected


def test_an_unknown_gender_is_dropped_and_the_row_loads() -> None:
    row, problems = only_child(patient(gender="F"))
    assert (row.gender, problems) == (Gender.NOT_KNOWN, ["field:gender"])


def test_the_official_name_wins_over_usual_and_nickname() -> None:
    names = [
        {"use": "nickname", "given": ["Millie"], "family": "B"},
        {"use": "usual", "given": ["Mia"], "family": "Singh"},
        {"use": "official", "given": ["Amelia", "Rose", "Jane"], "family": "Barton-Singh"},
    ]
    row, _ = only_child(patient(name=names))
    assert (row.given_name, row.middle_names, row.family_name) == (
        "Amelia", "Rose Jane", "Barton-Singh",
    )  # fmt: skip
    assert row.former_family_names == ()


@pytest.mark.parametrize(
    ("code", "expected"),
    [("MTH", CarerRelationship.MOTHER), ("FTH", CarerRelationship.FATHER),
     ("PRN", CarerRelationship.PARENT), ("STPMTH", CarerRelationship.STEP_PARENT),
     ("GRPRN", CarerRelationship.GRANDPARENT), ("PRNFOST", CarerRelationship.FOSTER_CARER),
     ("GUARD", CarerRelationship.GUARDIAN), ("O", CarerRelationship.OTHER),
     ("N", None), ("foster_carer", CarerRelationship.FOSTER_CARER)],
)  # fmt: skip
def test_contact_relationships_map_onto_carer_relationships(
    code: str, expected: CarerRelationship | None
) -> None:
    contact = {"relationship": [{"coding": [{"code": code}]}], "name": {"family": "Roberts"}}
    row, problems = only_child(patient(contact=[contact]))
    assert problems == []
    assert [carer.relationship for carer in row.carers] == [expected]


def test_organisational_contacts_are_not_carers_and_a_third_carer_is_noted() -> None:
    employer = {"relationship": [{"coding": [{"code": "E"}]}], "name": {"family": "Acme"}}
    parent = {"relationship": [{"text": "mother"}], "name": {"family": "Roberts"}}
    unknown = {"relationship": [{"coding": [{"code": "XYZ"}]}], "name": {"family": "Roe"}}
    row, problems = only_child(patient(contact=[employer, parent, unknown, parent]))
    assert [carer.family_name for carer in row.carers] == ["Roberts", "Roe"]
    assert [carer.relationship for carer in row.carers] == [CarerRelationship.MOTHER, None]
    assert problems == ["field:contact[2].relationship", "note:contact[3]"]


def test_an_ended_home_address_is_last_known_only_when_no_current_one_is_given() -> None:
    ended = {"use": "home", "line": ["1 Old Road", "Flat 2", "Botley"], "city": "Oxford",
             "postalCode": "OX2 0AA", "period": {"end": "2020-01-31"}}  # fmt: skip
    current = {"use": "home", "line": ["100 School Grove"], "postalCode": "OX5V 9JP",
               "period": {"start": "2020-02-01", "end": "2099-01-01"}}  # fmt: skip
    row, _ = only_child(patient(address=[ended, current]))
    assert row.address is not None
    assert (row.address.line_1, row.address.status) == ("100 School Grove", AddressStatus.CURRENT)
    row, _ = only_child(patient(address=[{"use": "work", "line": ["Office"]}, ended]))
    assert row.address is not None
    assert row.address.status is AddressStatus.LAST_KNOWN
    assert (row.address.line_1, row.address.line_2) == ("1 Old Road", "Flat 2, Botley")


def test_the_date_of_death_is_the_date_part_of_deceased_date_time() -> None:
    row, problems = only_child(patient(deceasedDateTime="2024-03-01T10:00:00+00:00"))
    assert (row.date_of_death, problems) == (dt.date(2024, 3, 1), [])
    row, problems = only_child(patient(deceasedBoolean=True))
    assert (row.date_of_death, problems) == (None, ["note:deceasedBoolean"])


def test_an_inactive_patient_is_a_deletion_of_its_record() -> None:
    (result,) = read(ndjson({"resourceType": "Patient", "id": "R1", "active": False}))
    assert isinstance(result, Accepted)
    assert result.row == Deletion(1, "R1")


def test_without_an_id_the_usual_identifier_of_the_source_is_the_record_id() -> None:
    identifiers = [
        {"system": NHS_NUMBER_SYSTEM, "value": "9991027610", "use": "usual"},
        {"system": "https://trust.example/mrn", "value": "MRN42", "use": "usual"},
    ]
    resource = patient(identifier=identifiers)
    del resource["id"]
    row, _ = only_child(resource)
    assert (row.record_id, row.nhs_number) == ("MRN42", "9991027610")


def test_field_problems_name_the_json_path_and_the_row_loads() -> None:
    identifiers = [{"system": UPN_SYSTEM, "value": "W100400018001"},
                   {"system": NHS_NUMBER_SYSTEM, "value": "9991027611"}]  # fmt: skip
    address = [{"use": "home", "line": ["1 Road"], "postalCode": "not a postcode"}]
    row, problems = only_child(patient(identifier=identifiers, address=address))
    assert (row.nhs_number, row.upn) == (None, None)
    assert sorted(problems) == [
        "field:address[0].postalCode", "field:identifier[0].value", "field:identifier[1].value",
    ]  # fmt: skip


# --- bad input ---------------------------------------------------------------------------


def test_a_resource_that_is_not_a_patient_is_rejected_naming_its_entry() -> None:
    results = read(bundle(patient(), patient(id="R2"), {"resourceType": "Observation"}))
    assert isinstance(results[2], Rejected)
    assert [str(p) for p in results[2].problems] == [
        "line 3: entry 3 is an Observation, not a Patient"
    ]
    assert [isinstance(result, Accepted) for result in results] == [True, True, False]


@pytest.mark.parametrize(
    ("entry", "reason"),
    [({"fullUrl": "urn:uuid:1"}, "entry 1 has no resource"),
     ("Patient", "entry 1 is not a JSON object"),
     ({"resource": [1]}, "entry 1 is not a JSON object, so not a Patient"),
     ({"resource": {"id": "R1"}}, "entry 1 has no resourceType: it must be a Patient")],
)  # fmt: skip
def test_an_entry_without_a_patient_is_rejected(entry: object, reason: str) -> None:
    document = {"resourceType": "Bundle", "entry": [entry]}
    assert rejection(json.dumps(document).encode()) == [f"line 1: {reason}"]


def test_a_line_that_is_not_json_is_rejected_and_the_others_load() -> None:
    results = read(
        ndjson(patient()) + b'{"resourceType": "Patient", "id": \n' + ndjson(patient(id="R3"))
    )
    assert [type(result) for result in results] == [Accepted, Rejected, Accepted]
    assert isinstance(results[1], Rejected)
    assert str(results[1].problems[0]).startswith("line 2: line 2 is not JSON: Expecting value")


def test_a_missing_id_rejects_the_resource() -> None:
    resource = patient()
    del resource["id"]
    assert rejection(ndjson(resource)) == [
        "line 1, column id: the Patient has no id (nor a usual identifier of the source's own)"
    ]


def test_a_repeated_id_is_rejected_naming_the_entry_that_loads() -> None:
    results = read(bundle(patient(), patient(gender="male")))
    assert isinstance(results[1], Rejected)
    assert [str(p) for p in results[1].problems] == [
        "line 2, column id: the id is repeated: it first appears in entry 1, which loads"
    ]


def test_a_rejected_resource_does_not_claim_its_id() -> None:
    results = read(ndjson(patient(birthDate="2014"), patient()))
    assert [type(result) for result in results] == [Rejected, Accepted]


@pytest.mark.parametrize("born", ["2014", "2014-07"])
def test_a_partial_birth_date_rejects_the_resource_as_an_invalid_date_would(born: str) -> None:
    assert rejection(ndjson(patient(birthDate=born))) == [
        f"line 1, column birthDate: {born!r} is a partial date; the feed takes a full date or none"
    ]


def test_the_same_date_checks_as_the_csv_feed_apply() -> None:
    assert rejection(ndjson(patient(birthDate="2014-02-30"))) == [
        "line 1, column birthDate: '2014-02-30' is not a real date"
    ]
    assert rejection(ndjson(patient(birthDate="2027-01-01"))) == [
        "line 1, column birthDate: the date of birth is after the date of the extract"
    ]
    no_family = patient(name=[{"use": "official", "given": ["Amelia"]}])
    assert rejection(ndjson(no_family)) == [
        "line 1, column name[0].family: name[0].family is empty"
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"", "the file is empty"),
     (b"\n \n", "the file is empty"),
     (b'{"resourceType": "Bundle", "entry": []}', "the Bundle has no entries"),
     (b'{"resourceType": "Bundle", "type": "collection"}', "the Bundle has no entries"),
     (b'{\n  "resourceType": "Patient",\n  "id": "R1"\n}\n', "holds a Patient, not a Bundle"),
     (b'{\n  "resourceType": "Bundle",\n  "entry": [\n', "the file is not valid JSON"),
     (b"id,given_name\nR1,Amelia\n", "the file is not valid JSON"),
     (b'{"resourceType": "Bundle", "entry": {"resource": {}}}', "entry is not a list"),
     (b'\xff\xfe{"resourceType": "Bundle"}', "the file is UTF-16"),
     (b'{\n"resourceType": "Bundle",\n"entry": [{"resource": {"id": "\xe9"}}]}',
      "line 3: the file is not UTF-8"),
     (ndjson(patient()) + b'{"id": "\xe9"}\n', "line 2: the file is not UTF-8")],
)  # fmt: skip
def test_a_file_that_is_not_a_fhir_extract_is_refused_whole(data: bytes, message: str) -> None:
    assert message in file_problem(data)


def test_a_file_over_the_size_cap_is_refused() -> None:
    data = ndjson(*(patient(id=f"R{n}") for n in range(20)))
    assert "larger than the 4,000 bytes a load accepts" in file_problem(data, size_cap=4000)
    assert "larger than the 4,000 bytes" in file_problem(bundle(*(patient() for _ in range(5))),
                                                          size_cap=4000)  # fmt: skip


@pytest.mark.parametrize("make", [ndjson, bundle])
def test_resources_stream_out_before_the_file_is_read_to_its_end(make: Any) -> None:
    stream = io.BytesIO(make(*(patient(id=f"R{n}") for n in range(2000))))
    results = fhir_child_rows(stream, extracted_on=EXTRACTED_ON)
    first = next(results)
    assert isinstance(first, Accepted)
    assert stream.tell() < len(stream.getvalue()) / 10
    assert sum(1 for _ in results) == 1999


# --- any JSON at all ---------------------------------------------------------------------

FHIR_KEYS = st.sampled_from([
    "resourceType", "id", "identifier", "system", "value", "use", "name", "family", "given",
    "gender", "birthDate", "deceasedDateTime", "deceasedBoolean", "address", "line", "city",
    "postalCode", "period", "end", "contact", "relationship", "coding", "code", "text",
    "telecom", "generalPractitioner", "active",
])  # fmt: skip
FHIR_WORDS = st.sampled_from([
    "Patient", "official", "usual", "old", "maiden", "home", "temp", "phone", "email", "MTH",
    "E", "female", "other", NHS_NUMBER_SYSTEM, ODS_SYSTEM, UPN_SYSTEM, "2014-07-21", "2014",
    "2099-01-01T00:00:00Z", "9991027610", "A81001", "OX5V 9JP", "R1", "",
])  # fmt: skip
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | FHIR_WORDS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(FHIR_KEYS | st.text(max_size=4), inner, max_size=5)
    ),
    max_leaves=30,
)
patients = st.dictionaries(FHIR_KEYS, json_values, max_size=12).map(
    lambda fields: {**fields, "resourceType": "Patient"}
)


@given(st.lists(json_values | patients, min_size=1, max_size=5))
@settings(max_examples=150, deadline=None)
def test_any_json_value_as_a_resource_is_a_row_or_a_row_problem_never_a_crash(
    resources: list[object],
) -> None:
    duplicates = DuplicatesInMemory()
    for line, resource in enumerate(resources, start=1):
        result = check_patient(resource, line, duplicates=duplicates, extracted_on=EXTRACTED_ON)
        levels = {problem.level for problem in result.problems}
        assert Level.FILE not in levels
        assert (Level.ROW in levels) == isinstance(result, Rejected), result
        assert all(problem.line == line for problem in result.problems)


@given(st.lists(json_values | patients, min_size=1, max_size=5))
@settings(max_examples=60, deadline=None)
def test_any_json_values_as_ndjson_or_a_bundle_read_one_result_each(
    resources: list[object],
) -> None:
    data = ndjson(*resources)
    try:
        from_ndjson = read(data)
    except FeedFileError:
        # Only when the first lines are no JSON object on their own and so look like a Bundle.
        return
    assert len(from_ndjson) == len(resources)
    assert len(read(bundle(*resources))) == len(resources)


# --- loads -------------------------------------------------------------------------------


def patient_from_csv(row: dict[str, str]) -> dict[str, Any]:
    """The FHIR Patient that says what a CSV row says (of the columns synthetic health.csv has)."""
    genders = {"1": "male", "2": "female", "0": "unknown", "9": "other"}
    resource: dict[str, Any] = {"resourceType": "Patient", "id": row["record_id"]}
    if row.get("nhs_number"):
        resource["identifier"] = [{"system": NHS_NUMBER_SYSTEM, "value": row["nhs_number"]}]
    given = [row["given_name"], *row.get("middle_names", "").split()]
    names = [{"use": "official", "family": row["family_name"], "given": given}]
    former = [name.strip() for name in row.get("former_family_names", "").split(";")]
    names += [{"use": "old", "family": name} for name in former if name]
    resource["name"] = names
    if row.get("gender"):
        resource["gender"] = genders.get(row["gender"], row["gender"])
    if row.get("date_of_birth"):
        resource["birthDate"] = feed_date(row["date_of_birth"]).isoformat()
    lines = [row[c] for c in ("address_line_1", "address_line_2") if row.get(c)]
    if lines or row.get("postcode") or row.get("town"):
        resource["address"] = [{"use": "home", "line": lines, "city": row.get("town"),
                                "postalCode": row.get("postcode")}]  # fmt: skip
    if row.get("gp_practice_code"):
        reference = {"identifier": {"system": ODS_SYSTEM, "value": row["gp_practice_code"]}}
        resource["generalPractitioner"] = [reference]
    return resource


def partition(links: list[tuple[str, str, str]]) -> set[frozenset[str]]:
    children: dict[str, set[str]] = {}
    for source, record_id, child in links:
        children.setdefault(child, set()).add(f"{source}/{record_id}")
    return {frozenset(records) for records in children.values()}


@pytest.fixture
def twin_loads(fresh_database, database_templates, backend, tmp_path):
    """Two empty directories with the source health: one loads CSV, the other FHIR."""
    templates = database_templates.for_backend(backend)
    other = templates.clone()
    try:
        pair = []
        for database, folder in ((fresh_database, "csv"), (other, "fhir")):
            (tmp_path / folder).mkdir()
            loads = Loads(database.engine, tmp_path / folder)
            loads.add_source("health")
            pair.append(loads)
        yield pair
    finally:
        templates.drop(other)


def test_a_fhir_load_links_the_same_children_as_the_equivalent_csv_load(twin_loads, tmp_path):
    csv_loads, fhir_loads = twin_loads
    write_synthetic_extracts(
        children=150, seed=7, output=tmp_path / "synth", as_of=dt.date(2026, 11, 20)
    )
    extract = (tmp_path / "synth" / "health.csv").read_bytes()
    rows = list(csv.DictReader(io.StringIO(extract.decode("utf-8"))))
    from_csv = csv_loads.load("health", extract)
    from_fhir = fhir_loads.load("health", ndjson(*map(patient_from_csv, rows)), file_format="fhir")
    assert from_csv.status is from_fhir.status is LoadStatus.COMPLETED
    assert from_fhir.counts == from_csv.counts
    assert from_fhir.counts["inserted"] > 100
    assert partition(fhir_loads.links()) == partition(csv_loads.links())
    again = fhir_loads.load("health", ndjson(*map(patient_from_csv, rows)), file_format="fhir")
    assert again.counts["unchanged"] == from_fhir.counts["inserted"]


def test_a_fhir_delta_ends_an_inactive_patients_record(fresh_database, tmp_path):
    loads = Loads(fresh_database.engine, tmp_path)
    loads.add_source("health")
    loads.load("health", ndjson(patient(), patient(id="R2", name=[{"given": ["Ivy"],
               "family": "Brown"}], birthDate="2013-02-17")), file_format="fhir")  # fmt: skip
    delta = loads.load(
        "health", bundle({"resourceType": "Patient", "id": "R1", "active": False}),
        mode=LoadMode.DELTA, file_format="fhir",
    )  # fmt: skip
    assert delta.counts["ended"] == 1
    assert [record_id for _, record_id, _ in loads.links()] == ["R2"]


def test_a_one_line_bundle_of_more_patients_than_a_chunk_loads_in_chunks(
    fresh_database, tmp_path, monkeypatch
):
    """A Bundle holds many resources on one line: the loader does not take a file of few
    lines for one chunk, and a repeated id is still rejected, naming the entry that loads."""
    monkeypatch.setattr("contactpoint.feeds.loading.CHUNK_ROWS", 2)
    chunks: list[int] = []

    def apply(*args: Any, **kwargs: Any) -> Any:
        chunks.append(len(kwargs["rows"]))
        return apply_child_chunk(*args, **kwargs)

    monkeypatch.setattr("contactpoint.feeds.loading.apply_child_chunk", apply)
    loads = Loads(fresh_database.engine, tmp_path)
    loads.add_source("health")
    others = [patient(id=f"R{n}", name=[{"given": [given], "family": "Brown"}],
                      birthDate=f"201{n}-02-17", identifier=[])
              for n, given in enumerate(["Ivy", "Leo", "Mia", "Theo"], start=2)]  # fmt: skip
    data = bundle(patient(), *others, patient(name=[{"given": ["Amelie"], "family": "Barton"}]),
                  indent=None)  # fmt: skip
    assert data.count(b"\n") == 0
    report = loads.load("health", data, file_format="fhir")
    assert (report.counts["inserted"], report.counts["rejected"]) == (5, 1)
    assert chunks == [2, 2, 1]  # the accepted rows of each chunk of two entries
    assert any("first appears in entry 1, which loads" in p.reason for p in report.problems)
    assert sorted(record_id for _, record_id, _ in loads.links()) == ["R1", "R2", "R3", "R4", "R5"]


def _run(*arguments: str, url: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CONTACTPOINT_")},
        "CONTACTPOINT_DATABASE_URL": url, "CONTACTPOINT_MODE": "production", "COLUMNS": "200",
    }  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "contactpoint", *arguments],
        capture_output=True, text=True, env=environment, timeout=120, check=False,
    )  # fmt: skip


def test_contactpoint_load_format_fhir_loads_a_bundle_and_reports_by_entry(
    fresh_database, tmp_path: Path
):
    url = fresh_database.url
    extract = tmp_path / "health.json"
    extract.write_bytes(bundle(patient(), {"resourceType": "Observation"}))
    assert _run("sources", "add", "health", "--kind", "national", url=url).returncode == 0
    result = _run("load", "--source", "health", "--format", "fhir", "--extracted-on",
                  "2026-11-20", str(extract), url=url)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "entry 2 is an Observation, not a Patient" in result.stdout
    export = tmp_path / "links.csv"
    assert _run("export", "links", "--output", str(export), url=url).returncode == 0
    with export.open(encoding="utf-8") as stream:
        assert [row["record_id"] for row in csv.DictReader(stream)] == ["R1"]
    wrong = _run("load", "--source", "health", "--format", "fhir", "--feed", "involvements",
                 str(extract), url=url)  # fmt: skip
    assert wrong.returncode == 1
    assert "children (Patient resources) only" in wrong.stderr
