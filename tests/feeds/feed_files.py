"""Feed files written in tests: CSV bytes from header and rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping

CHILD_HEADER = (
    "record_id", "given_name", "middle_names", "family_name", "former_family_names", "gender",
    "date_of_birth", "address_line_1", "town", "postcode", "address_status", "nhs_number",
    "upn", "carer_1_given_name", "carer_1_family_name", "carer_1_relationship",
    "carer_1_phone", "carer_1_email", "school_urn", "school_start_date", "gp_practice_code",
    "action",
)  # fmt: skip

VALID_CHILD: Mapping[str, str] = {
    "record_id": "R1",
    "given_name": "Amelia",
    "middle_names": "Rose",
    "family_name": "Barton-Singh",
    "former_family_names": "Barton; Singh",
    "gender": "F",
    "date_of_birth": "21/07/2014",
    "address_line_1": "100 School Grove",
    "town": "Abingdon",
    "postcode": "ox5v9jp",
    "address_status": "",
    "nhs_number": "999 102 7610",
    "upn": "W100400018000",
    "carer_1_given_name": "Jade",
    "carer_1_family_name": "Roberts",
    "carer_1_relationship": "mother",
    "carer_1_phone": "+44 7700 900602",
    "carer_1_email": "jade.roberts@example.org",
    "school_urn": "107566",
    "school_start_date": "2025-09-04",
    "gp_practice_code": "b83002",
}


def csv_bytes(header: Iterable[str], rows: Iterable[Iterable[str]], *, bom: bool = False) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    prefix = "\ufeff" if bom else ""
    return (prefix + text.getvalue()).encode("utf-8")


def child_csv(*changes: Mapping[str, str], header: Iterable[str] = CHILD_HEADER) -> bytes:
    """One row per mapping: the valid child with those columns changed."""
    columns = tuple(header)
    rows = [[{**VALID_CHILD, **change}.get(column, "") for column in columns] for change in changes]
    return csv_bytes(columns, rows)
