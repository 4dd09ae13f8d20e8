"""The involvement feed (``feeds.md``): each CSV row checked into an :class:`InvolvementRow`."""

from __future__ import annotations

from typing import Final

from contactpoint.feeds import values
from contactpoint.feeds.header import Columns, Header
from contactpoint.feeds.row_checks import (
    Accepted,
    Action,
    Deletion,
    Duplicates,
    Rejected,
    RowCheck,
    claim,
    record_key,
    width_problem,
)
from contactpoint.provenance.reported import InvolvementRow
from contactpoint.vocabulary import SENSITIVE_SERVICE_TYPES, ConsentBasis, ServiceType

INVOLVEMENT_COLUMNS: Final = Columns(
    required=("record_id", "child_record_id", "service_name", "service_type", "start_date"),
    optional=(
        "practitioner_name", "practitioner_role", "phone", "email", "end_date",
        "lead_professional", "assessment_held", "consent_basis", "action",
    ),
)  # fmt: skip
SERVICE_NAME_LONGEST: Final = 200
PRACTITIONER_LONGEST: Final = 100
SERVICE_TYPES: Final = {service_type.value: service_type for service_type in ServiceType}
CONSENT_BASES: Final = {basis.value: basis for basis in ConsentBasis}


def check_involvement_row(
    header: Header, line: int, row_values: list[str], *, duplicates: Duplicates
) -> Accepted[InvolvementRow | Deletion] | Rejected:
    width = width_problem(header, line, row_values)
    if width is not None:
        return Rejected(line, None, (width,))
    check = RowCheck(header, line, row_values)
    key = record_key(check)
    row: InvolvementRow | Deletion | None
    if check.action() is Action.DELETE:
        row = Deletion(line, key or "")
    else:
        row = _involvement(check, key or "")
    claim(check, key, duplicates)
    if check.rejected or row is None:
        return Rejected(line, key, tuple(check.problems))
    return Accepted(row, tuple(check.problems))


def _involvement(check: RowCheck, key: str) -> InvolvementRow | None:
    child_key = check.required_checked(
        "child_record_id", values.record_id, empty="the child_record_id is empty"
    )
    service_name = check.required_text("service_name", longest=SERVICE_NAME_LONGEST)
    service_type = check.required_checked(
        "service_type",
        lambda value: values.choice(value, options=SERVICE_TYPES, what="service type"),
        empty="the service_type is empty",
    )
    started = check.date("start_date", required=False)
    if started is None and not check.rejected:
        check.reject("start_date", "the start_date is empty")
    ended = check.date("end_date", required=False)
    if started is not None and ended is not None and ended < started:
        check.reject("end_date", "the end date is before the start date")
    consent = _consent(check, service_type)
    if service_type is None or started is None or child_key is None:
        return None
    return InvolvementRow(
        line=check.line,
        record_id=key,
        child_record_id=child_key,
        service_name=service_name,
        service_type=service_type,
        practitioner_name=check.text("practitioner_name", longest=PRACTITIONER_LONGEST),
        practitioner_role=check.text("practitioner_role", longest=PRACTITIONER_LONGEST),
        phone=check.checked("phone", values.phone),
        email=check.checked("email", values.email),
        start_date=started,
        end_date=ended,
        lead_professional=bool(check.checked("lead_professional", values.yes_no)),
        assessment_held=bool(check.checked("assessment_held", values.yes_no)),
        consent_basis=consent,
    )


def _consent(check: RowCheck, service_type: ServiceType | None) -> ConsentBasis | None:
    """Sensitive services need a consent basis (row level); others may give one (field level)."""
    if service_type in SENSITIVE_SERVICE_TYPES:
        return check.required_checked(
            "consent_basis",
            lambda value: values.choice(value, options=CONSENT_BASES, what="consent basis"),
            empty=f"a {service_type} involvement needs a consent_basis",
        )
    return check.checked(
        "consent_basis",
        lambda value: values.choice(value, options=CONSENT_BASES, what="consent basis"),
    )
