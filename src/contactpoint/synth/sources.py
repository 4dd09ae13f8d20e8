"""The sources and what each holds about a child, errors included.

Four sources send child feeds: three national (health demographics, the school
census, child benefit) and one local (Oxfordshire's children's social care).
Each holds the children it would really know, the fields it would really hold,
in its own codes and date format, with its own record_id style, and with the
errors of ``noise`` at that source's rates.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from contactpoint.synth import noise
from contactpoint.synth.places import HOME_COUNCIL
from contactpoint.vocabulary import Gender, ServiceType


class SourceKind(enum.StrEnum):
    NATIONAL = "national"
    LOCAL = "local"


NAME_COLUMNS: Final = ("given_name", "middle_names", "family_name")
ADDRESS_COLUMNS: Final = ("address_line_1", "address_line_2", "town", "postcode")
HEALTH_SERVICE_TYPES: Final = frozenset(
    {
        ServiceType.HEALTH_VISITING,
        ServiceType.SCHOOL_NURSING,
        ServiceType.CAMHS,
        ServiceType.SEXUAL_HEALTH,
        ServiceType.SUBSTANCE_MISUSE,
        ServiceType.MENTAL_HEALTH,
    }
)
COUNCIL_SERVICE_TYPES: Final = frozenset(
    {ServiceType.SOCIAL_CARE, ServiceType.EARLY_HELP, ServiceType.YOUTH_OFFENDING}
)
CHILD_BENEFIT_CLAIM_RATE: Final = 0.93  # families opt out above the high-income threshold
CHILD_BENEFIT_STUDENT_RATE: Final = 0.55  # 16 to 19-year-olds in approved education
CHILD_BENEFIT_LAST_AGE: Final = 19
CHILD_BENEFIT_COMPULSORY_AGE: Final = 16
SOCIAL_CARE_NHS_NUMBER_RATE: Final = 0.8
SOCIAL_CARE_UPN_RATE: Final = 0.6
SOCIAL_CARE_GP_RATE: Final = 0.5
KNOWN_WHEREABOUTS_ADDRESS_RATE: Final = 0.5  # away children: the source keeps the last address


@dataclass(frozen=True, slots=True)
class SourceProfile:
    """How one source holds children: fields, codes, formats and error rates."""

    name: str
    kind: SourceKind
    columns: tuple[str, ...]
    gender_codes: Mapping[Gender, str]
    uk_dates: bool  # DD/MM/YYYY rather than YYYY-MM-DD
    stale_address_rate: float
    accent_strip_rate: float
    apostrophe_variation_rate: float
    nickname_rate: float = 0.0
    upper_case_names: bool = False
    involvement_types: frozenset[ServiceType] = field(default_factory=frozenset)
    involvement_la_code: str | None = None  # only this council's services, or any


def _carer_columns(number: int, *, contact: bool) -> tuple[str, ...]:
    parts = ("given_name", "family_name", "relationship") + (("phone", "email") if contact else ())
    return tuple(f"carer_{number}_{part}" for part in parts)


# The NHS Data Dictionary's person gender codes.
NHS_GENDER_CODES: Final = {
    Gender.MALE: "1",
    Gender.FEMALE: "2",
    Gender.NOT_KNOWN: "0",
    Gender.NOT_SPECIFIED: "9",
}

HEALTH: Final = SourceProfile(
    name="health",
    kind=SourceKind.NATIONAL,
    columns=(
        "record_id",
        "nhs_number",
        *NAME_COLUMNS,
        "former_family_names",
        "gender",
        "date_of_birth",
        "date_of_death",
        *ADDRESS_COLUMNS,
        "address_status",
        "gp_practice_code",
    ),
    gender_codes=NHS_GENDER_CODES,
    uk_dates=False,
    stale_address_rate=noise.HEALTH_STALE_ADDRESS_RATE,
    accent_strip_rate=0.3,
    apostrophe_variation_rate=0.2,
    involvement_types=HEALTH_SERVICE_TYPES,
)
SCHOOL_CENSUS: Final = SourceProfile(
    name="school_census",
    kind=SourceKind.NATIONAL,
    columns=(
        "record_id",
        "upn",
        *NAME_COLUMNS,
        "gender",
        "date_of_birth",
        *ADDRESS_COLUMNS,
        "school_urn",
        "school_start_date",
    ),
    gender_codes=dict(zip(Gender, ("M", "F", "", ""), strict=True)),
    uk_dates=False,
    stale_address_rate=noise.STALE_ADDRESS_RATE,
    accent_strip_rate=0.2,
    apostrophe_variation_rate=0.2,
    nickname_rate=noise.NICKNAME_RATE,
)
CHILD_BENEFIT: Final = SourceProfile(
    name="child_benefit",
    kind=SourceKind.NATIONAL,
    columns=(
        "record_id",
        *NAME_COLUMNS,
        "gender",
        "date_of_birth",
        *ADDRESS_COLUMNS,
        *_carer_columns(1, contact=False),
        "carer_1_phone",
    ),
    gender_codes={gender: gender.value for gender in Gender},
    uk_dates=True,
    stale_address_rate=noise.STALE_ADDRESS_RATE,
    accent_strip_rate=1.0,  # the benefit system holds ASCII capitals only
    apostrophe_variation_rate=0.5,
    upper_case_names=True,
)
SOCIAL_CARE: Final = SourceProfile(
    name=f"{HOME_COUNCIL.name.lower()}_social_care",
    kind=SourceKind.LOCAL,
    columns=(
        "record_id",
        *NAME_COLUMNS,
        "former_family_names",
        "gender",
        "date_of_birth",
        "date_of_death",
        *ADDRESS_COLUMNS,
        "address_status",
        "nhs_number",
        "upn",
        "school_urn",
        "gp_practice_code",
        *_carer_columns(1, contact=True),
        *_carer_columns(2, contact=True),
    ),
    gender_codes=dict(zip(Gender, ("M", "F", "U", "U"), strict=True)),
    uk_dates=True,
    stale_address_rate=noise.STALE_ADDRESS_RATE,
    accent_strip_rate=0.3,
    apostrophe_variation_rate=0.2,
    involvement_types=COUNCIL_SERVICE_TYPES,
    involvement_la_code=HOME_COUNCIL.la_code,
)
SOURCES: Final = (HEALTH, SCHOOL_CENSUS, CHILD_BENEFIT, SOCIAL_CARE)

# Optional fields each source sometimes leaves empty (MISSING_FIELD_RATE each).
DROPPABLE_COLUMNS: Final = frozenset(
    {"middle_names", "gender", "address_line_1", "postcode", "gp_practice_code", "upn",
     "school_urn", "school_start_date", "former_family_names", "carer_1_phone", "carer_1_email",
     "carer_2_phone", "carer_2_email", "carer_1_relationship", "carer_2_relationship"}
)  # fmt: skip


def format_date(day: dt.date | None, *, uk: bool) -> str:
    if day is None:
        return ""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}" if uk else day.isoformat()
