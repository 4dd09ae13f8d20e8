"""FHIR R4 ``Patient`` resources as the child feed: a Bundle or NDJSON, one resource at a time.

Each Patient is mapped onto the CSV contract's columns and then checked by the
very same rules (:func:`~contactpoint.feeds.child_rows.check_child_row`), so a
FHIR extract loads exactly as the equivalent CSV would: the same check digits,
postcodes, dates, lengths, duplicates and levels. A problem names the resource
by its NDJSON line, or by its Bundle entry counted from 1 (``Problem.line`` is
then the entry number), and the value by its JSON path (``name[0].family``).

Mapping decisions (``feeds.md`` leaves FHIR's details to us):

- ``record_id`` is ``Patient.id``; a Patient without one may give an identifier
  with ``use: usual`` (not an NHS number or UPN) instead; with neither, it is rejected.
- ``nhs_number`` is the identifier of system ``https://fhir.nhs.uk/Id/nhs-number``;
  ``upn`` the identifier of system ``urn:contactpoint:upn`` (FHIR has no national
  system for the Unique Pupil Number, so the feed names its own).
- Names: the ``official`` name, else the ``usual`` one, else one with no ``use``;
  ``given[0]`` is the given name, the rest the middle names; ``family`` the family
  name. The family names of ``old`` and ``maiden`` names are the former family names.
- ``gender``: male, female, other, unknown become male, female, not_specified, not_known.
- ``birthDate`` and ``deceasedDateTime`` (its date part): a partial date (``2014``,
  ``2014-07``) is present but not a real date, so, as in the CSV feed, the
  resource is rejected. ``deceasedBoolean: true`` without a date is only noted.
- Address: a ``home`` address (else one with no use, else ``temp``) whose
  ``period.end`` has not passed, as ``current``; with none, the latest ended or
  ``old`` one, as ``last_known``. ``line[0]`` is address line 1, the other lines
  address line 2; ``city`` is the town; ``postalCode`` the postcode.
- Carers: the first two ``contact`` entries whose relationship is a person
  (v3 RoleCode such as MTH, FTH, PRN, STPPRN, GRPRN, PRNFOST, GUARD; or the
  feed's own words, ``mother``...); v2-0131's roles (C, N, O, U) make a carer of
  unknown relationship; organisational roles (E, I, S...) are not carers. The
  first phone and email in ``telecom`` are theirs.
- School (FHIR R4 has no element for it, so the feed defines an extension): a
  Patient ``extension`` of url
  ``https://fhir.contactpoint.example/StructureDefinition/school-enrolment`` holding
  two extensions: ``school``, whose ``valueIdentifier`` of system
  ``https://fhir.contactpoint.example/Id/school-urn`` is the ``school_urn``; and
  ``period``, whose ``valuePeriod.start`` (its date part) is the ``school_start_date``.
  Of several enrolments, the one not ended (``valuePeriod.end`` absent or not
  passed) that started last; an ended one gives no school. An identifier of another
  system, an invalid URN or start date is a field problem naming its path
  (``extension[0].extension[0].valueIdentifier.value``); the rest of the row loads.
- ``gp_practice_code``: the ``generalPractitioner`` reference whose identifier is
  of system ``https://fhir.nhs.uk/Id/ods-organization-code``.
- ``active: false``: the source no longer uses this record, which is what the
  CSV feed's ``action=delete`` says; it ends the record in full and delta loads alike.

A Bundle is read with ijson, entry by entry; NDJSON line by line. Either way
memory stays flat, one resource at a time, however large the file
(:mod:`contactpoint.feeds.fhir_reading`). Each resource is then mapped and checked
by :mod:`contactpoint.feeds.patient_rows`.

For example, a Patient at school since 4 September 2025::

    "extension": [{
      "url": "https://fhir.contactpoint.example/StructureDefinition/school-enrolment",
      "extension": [
        {"url": "school", "valueIdentifier": {
          "system": "https://fhir.contactpoint.example/Id/school-urn", "value": "107566"}},
        {"url": "period", "valuePeriod": {"start": "2025-09-04"}}
      ]
    }]
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING

from contactpoint.feeds.fhir_reading import numbered_resources
from contactpoint.feeds.patient_rows import (
    NHS_NUMBER_SYSTEM,
    ODS_SYSTEM,
    SCHOOL_ENROLMENT,
    SCHOOL_URN_SYSTEM,
    UPN_SYSTEM,
    check_patient,
)
from contactpoint.feeds.reading import DEFAULT_SIZE_CAP
from contactpoint.feeds.row_checks import DuplicatesInMemory

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterator

    from contactpoint.feeds.row_checks import Accepted, Deletion, Duplicates, Rejected
    from contactpoint.provenance.reported import ChildRow

__all__ = [
    "NHS_NUMBER_SYSTEM",
    "ODS_SYSTEM",
    "SCHOOL_ENROLMENT",
    "SCHOOL_URN_SYSTEM",
    "UPN_SYSTEM",
    "check_patient",
    "fhir_child_rows",
]


def fhir_child_rows(
    stream: IO[bytes],
    *,
    extracted_on: dt.date,
    duplicates: Duplicates | None = None,
    size_cap: int = DEFAULT_SIZE_CAP,
) -> Iterator[Accepted[ChildRow | Deletion] | Rejected]:
    """Each Patient of a Bundle or NDJSON file, accepted or rejected as its CSV row would be."""
    seen = duplicates if duplicates is not None else DuplicatesInMemory()
    unit, resources = numbered_resources(stream, size_cap=size_cap)
    for line, resource in resources:
        yield check_patient(resource, line, unit=unit, duplicates=seen, extracted_on=extracted_on)
