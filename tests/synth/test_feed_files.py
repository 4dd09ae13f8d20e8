"""Every file ``contactpoint synth`` writes follows the data contract in feeds.md."""

import csv
import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from contactpoint.identifiers.nhs_number import is_valid_nhs_number
from contactpoint.identifiers.postcode import is_valid_postcode
from contactpoint.identifiers.upn import is_valid_upn
from contactpoint.synth import write_synthetic_extracts
from contactpoint.synth.noise import NHS_NUMBER_KEYING_ERROR_RATE

AS_OF = dt.date(2026, 1, 15)
CARER_COLUMNS = {
    f"carer_{number}_{part}"
    for number in (1, 2)
    for part in ("given_name", "family_name", "relationship", "phone", "email")
}
CHILD_COLUMNS = {
    "record_id", "given_name", "middle_names", "family_name", "former_family_names", "gender",
    "date_of_birth", "address_line_1", "address_line_2", "town", "postcode", "nhs_number", "upn",
    "address_status", "date_of_death", "school_urn", "school_start_date", "gp_practice_code",
    "action", *CARER_COLUMNS,
}  # fmt: skip
CHILD_REQUIRED = {"record_id", "given_name", "family_name", "date_of_birth"}
INVOLVEMENT_COLUMNS = {
    "record_id", "child_record_id", "service_name", "service_type", "practitioner_name",
    "practitioner_role", "phone", "email", "start_date", "end_date", "lead_professional",
    "assessment_held", "consent_basis", "action",
}  # fmt: skip
INVOLVEMENT_REQUIRED = {
    "record_id",
    "child_record_id",
    "service_name",
    "service_type",
    "start_date",
}
GENDERS = {"male", "female", "not_known", "not_specified", "M", "F", "U", "1", "2", "0", "9", ""}
RELATIONSHIPS = {
    "mother", "father", "parent", "step_parent", "grandparent", "foster_carer", "guardian",
    "other", "",
}  # fmt: skip
ADDRESS_STATUSES = {
    "current", "last_known", "no_known_address", "left_england_returning",
    "left_england_not_returning", "left_england_unknown", "",
}  # fmt: skip
SERVICE_TYPES = {
    "social_care", "early_help", "health_visiting", "school_nursing", "camhs", "youth_offending",
    "youth_service", "police", "sexual_health", "mental_health", "substance_misuse", "other",
}  # fmt: skip
SENSITIVE = {"sexual_health", "mental_health", "substance_misuse"}
CONSENT_BASES = {"child_consent", "parent_consent", "significant_harm"}
ODS_CODE = re.compile(r"[A-Z]\d{5}")
URN = re.compile(r"\d{6}")


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synth")
    write_synthetic_extracts(children=3000, seed=7, output=folder, as_of=AS_OF)
    return folder


@pytest.fixture(scope="module")
def manifest(output: Path) -> dict[str, object]:
    return json.loads((output / "manifest.json").read_text(encoding="utf-8"))


def read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def source_names(manifest: dict[str, object]) -> list[str]:
    return [source["name"] for source in manifest["sources"]]  # type: ignore[attr-defined]


def is_date(value: str) -> bool:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            dt.datetime.strptime(value, pattern)  # noqa: DTZ007 - a date, no time
        except ValueError:
            continue
        return True
    return False


def test_the_output_holds_a_child_feed_per_source_and_the_shared_files(output, manifest):
    names = {path.name for path in output.iterdir()}
    assert {"organisations.csv", "truth.csv", "manifest.json"} <= names
    for source in source_names(manifest):
        assert f"{source}.csv" in names
    assert source_names(manifest) == [
        "health", "school_census", "child_benefit", "oxfordshire_social_care",
    ]  # fmt: skip


def test_sources_are_national_except_the_councils_social_care(manifest):
    kinds = {source["name"]: source["kind"] for source in manifest["sources"]}
    assert kinds == {
        "health": "national",
        "school_census": "national",
        "child_benefit": "national",
        "oxfordshire_social_care": "local",
    }


def test_child_feed_headers_use_only_known_columns_once_and_all_required_ones(output, manifest):
    for source in source_names(manifest):
        header, _ = read(output / f"{source}.csv")
        assert len(header) == len(set(header)), source
        assert set(header) <= CHILD_COLUMNS, set(header) - CHILD_COLUMNS
        assert header.count("record_id") == 1
        assert set(header) >= CHILD_REQUIRED


def test_child_feed_rows_have_unique_ids_names_and_valid_dates(output, manifest):
    for source in source_names(manifest):
        _, rows = read(output / f"{source}.csv")
        ids = [row["record_id"] for row in rows]
        assert len(ids) == len(set(ids)), source
        for row in rows:
            assert 1 <= len(row["record_id"]) <= 64
            assert row["record_id"].isprintable()
            assert row["given_name"].strip()
            assert row["family_name"].strip()
            for column in ("date_of_birth", "date_of_death", "school_start_date"):
                value = row.get(column, "")
                assert value == "" or is_date(value), (source, column, value)


def test_child_feed_codes_are_ones_the_contract_accepts(output, manifest):
    for source in source_names(manifest):
        _, rows = read(output / f"{source}.csv")
        for row in rows:
            assert row.get("gender", "") in GENDERS
            assert row.get("address_status", "") in ADDRESS_STATUSES
            assert row.get("carer_1_relationship", "") in RELATIONSHIPS
            assert row.get("carer_2_relationship", "") in RELATIONSHIPS
            assert row.get("postcode", "") == "" or is_valid_postcode(row["postcode"])
            assert row.get("school_urn", "") == "" or URN.fullmatch(row["school_urn"])
            code = row.get("gp_practice_code", "")
            assert code == "" or ODS_CODE.fullmatch(code)


def test_each_source_codes_gender_its_own_way(output):
    seen = {}
    for source in ("health", "school_census", "child_benefit", "oxfordshire_social_care"):
        _, rows = read(output / f"{source}.csv")
        seen[source] = {row["gender"] for row in rows} - {""}
    assert seen["health"] <= {"1", "2", "0", "9"}
    assert {"1", "2"} <= seen["health"]
    assert seen["school_census"] == {"M", "F"}
    assert seen["child_benefit"] <= {"male", "female", "not_specified", "not_known"}
    assert seen["oxfordshire_social_care"] <= {"M", "F", "U"}


def test_upns_are_always_valid_and_nhs_numbers_valid_but_for_rare_local_keying_errors(
    output, manifest
):
    for source in source_names(manifest):
        _, rows = read(output / f"{source}.csv")
        assert all(is_valid_upn(row["upn"]) for row in rows if row.get("upn"))
        numbers = [row["nhs_number"] for row in rows if row.get("nhs_number")]
        invalid = sum(not is_valid_nhs_number(number) for number in numbers)
        if source == "oxfordshire_social_care":
            assert invalid <= max(3, 5 * NHS_NUMBER_KEYING_ERROR_RATE * len(numbers))
        else:
            assert invalid == 0, source


def test_involvement_feeds_reference_child_records_of_the_same_source(output, manifest):
    feeds = 0
    for source in source_names(manifest):
        path = output / f"{source}_involvements.csv"
        if not path.exists():
            continue
        feeds += 1
        header, rows = read(path)
        assert set(header) <= INVOLVEMENT_COLUMNS
        assert set(header) >= INVOLVEMENT_REQUIRED
        _, children = read(output / f"{source}.csv")
        known = {row["record_id"] for row in children}
        assert rows, source
        assert all(row["child_record_id"] in known for row in rows)
        assert len({row["record_id"] for row in rows}) == len(rows)
    assert feeds == 2


def test_involvement_rows_have_known_types_valid_dates_and_yes_or_no_indicators(output):
    for source in ("health", "oxfordshire_social_care"):
        _, rows = read(output / f"{source}_involvements.csv")
        for row in rows:
            assert row["service_type"] in SERVICE_TYPES
            assert row["service_name"]
            assert is_date(row["start_date"])
            assert row["end_date"] == "" or is_date(row["end_date"])
            assert row["lead_professional"] in {"yes", "no"}
            assert row["assessment_held"] in {"yes", "no"}


def test_sensitive_involvements_always_have_a_consent_basis_and_others_none(output):
    sensitive = 0
    for source in ("health", "oxfordshire_social_care"):
        _, rows = read(output / f"{source}_involvements.csv")
        for row in rows:
            if row["service_type"] in SENSITIVE:
                sensitive += 1
                assert row["consent_basis"] in CONSENT_BASES
            else:
                assert row["consent_basis"] == ""
    assert sensitive > 0


def test_social_care_involvements_are_the_councils_own_services(output):
    _, rows = read(output / "oxfordshire_social_care_involvements.csv")
    assert {row["service_type"] for row in rows} <= {"social_care", "early_help", "youth_offending"}
    assert all(row["service_name"].startswith("Oxfordshire") for row in rows)


def test_schools_and_gp_practices_in_feeds_are_listed_in_organisations(output, manifest):
    _, organisations = read(output / "organisations.csv")
    codes = Counter((row["kind"], row["code"]) for row in organisations)
    assert all(count == 1 for count in codes.values())
    for source in source_names(manifest):
        _, rows = read(output / f"{source}.csv")
        for row in rows:
            if row.get("school_urn"):
                assert ("school", row["school_urn"]) in codes
            if row.get("gp_practice_code"):
                assert ("gp_practice", row["gp_practice_code"]) in codes


def test_organisations_have_names_contact_details_and_valid_postcodes(output):
    _, organisations = read(output / "organisations.csv")
    kinds = Counter(row["kind"] for row in organisations)
    assert set(kinds) == {"council", "school", "gp_practice", "service"}
    for row in organisations:
        assert row["name"]
        assert row["phone"]
        assert row["email"].endswith(".example.org")
        assert is_valid_postcode(row["postcode"])


def test_files_are_utf8_with_crlf_rows_as_rfc_4180_says(output, manifest):
    for source in source_names(manifest):
        raw = (output / f"{source}.csv").read_bytes()
        raw.decode("utf-8")
        assert raw.endswith(b"\r\n")


def test_the_manifest_records_seed_size_counts_and_error_rates(output, manifest):
    assert manifest["seed"] == 7
    assert manifest["children"] == 3000
    assert manifest["as_of"] == "2026-01-15"
    rates = manifest["error_rates"]
    assert rates["name_typo_rate"] == 0.02
    assert rates["nickname_rate"] == 0.10
    assert rates["date_of_birth_error_rate"] == 0.01
    assert rates["stale_address_rate"] == 0.10
    assert rates["duplicate_record_rate"] == 0.01
    for source in manifest["sources"]:
        _, rows = read(output / f"{source['name']}.csv")
        assert source["records"] == len(rows)
        assert manifest["files"][f"{source['name']}.csv"] == len(rows)
