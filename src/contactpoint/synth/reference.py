"""Reference data: councils, schools, GP practices, services and practitioners.

Counts scale with the population, at England's ratios: a primary school per
250 primary pupils, a secondary per 900 pupils, a GP practice per 1,800 children
(about 9,000 patients), and practitioners sized to their services' caseloads.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from contactpoint.synth.contact import landline_phone, work_email
from contactpoint.synth.names import name_pools
from contactpoint.synth.places import COUNCIL_AREAS, NAME_STEMS, CouncilArea, Street, address_on
from contactpoint.synth.population import (
    Council,
    GpPractice,
    Organisation,
    Practitioner,
    ReferenceData,
    School,
    SchoolPhase,
    Service,
)
from contactpoint.vocabulary import ServiceType

CHILDREN_PER_HOUSEHOLD: Final = 1.75
PRIMARY_SHARE_OF_CHILDREN: Final = 0.37
SECONDARY_SHARE_OF_CHILDREN: Final = 0.30
PUPILS_PER_PRIMARY: Final = 250
PUPILS_PER_SECONDARY: Final = 900
PUPILS_PER_INDEPENDENT: Final = 400
INDEPENDENT_SHARE_OF_PUPILS: Final = 0.06
CHILDREN_PER_GP_PRACTICE: Final = 1_800
MAX_GP_PRACTICES_PER_COUNCIL: Final = 999


@dataclass(frozen=True, slots=True)
class ServicePlan:
    """A service every council runs, how many children it works with, and its staff."""

    service_type: ServiceType
    name: str  # "{council}" is replaced by the council's name
    role: str
    share_of_children: float
    caseload: int


SERVICE_PLANS: Final = (
    ServicePlan(ServiceType.SOCIAL_CARE, "{council} Children's Social Care", "social worker",
                0.040, 18),
    ServicePlan(ServiceType.EARLY_HELP, "{council} Early Help", "family support worker",
                0.030, 20),
    ServicePlan(ServiceType.YOUTH_OFFENDING, "{council} Youth Justice Service",
                "youth justice officer", 0.002, 12),
    ServicePlan(ServiceType.HEALTH_VISITING, "{council} Health Visiting Service", "health visitor",
                0.030, 250),
    ServicePlan(ServiceType.SCHOOL_NURSING, "{council} School Health Nursing", "school nurse",
                0.035, 300),
    ServicePlan(ServiceType.CAMHS, "CAMHS {council}", "CAMHS practitioner", 0.045, 40),
    ServicePlan(ServiceType.SEXUAL_HEALTH, "{council} Sexual Health Service",
                "sexual health nurse", 0.007, 150),
    ServicePlan(ServiceType.SUBSTANCE_MISUSE, "{council} Young People's Substance Misuse Service",
                "substance misuse worker", 0.001, 25),
    ServicePlan(ServiceType.MENTAL_HEALTH, "{council} Young Adults' Mental Health",
                "mental health nurse", 0.002, 30),
)  # fmt: skip

_SCHOOL_PATTERNS: Final = {
    SchoolPhase.PRIMARY: ("{stem} Primary School", "St {saint}'s C of E Primary School",
                          "{town} {stem} Infant and Junior School", "{stem} Primary Academy"),
    SchoolPhase.SECONDARY: ("{town} {stem} Academy", "{stem} School", "{stem} Community College",
                            "St {saint}'s Catholic School"),
    SchoolPhase.INDEPENDENT: ("{stem} House School", "{town} High School", "{stem} Hall"),
    SchoolPhase.PUPIL_REFERRAL_UNIT: ("{town} Pupil Referral Unit",),
}  # fmt: skip
_SAINTS: Final = ("Mary", "John", "Peter", "Andrew", "Joseph", "Michael", "Nicholas", "Barnabas")
_PRACTICE_PATTERNS: Final = ("{stem} Surgery", "{town} Medical Centre", "The {stem} Practice",
                             "{stem} Health Centre")  # fmt: skip
_GP_PREFIX_LETTERS: Final = "ABCDEFGHJKLMNPY"


def _fill(pattern: str, rng: random.Random, street: Street) -> str:
    return pattern.format(stem=rng.choice(NAME_STEMS), town=street.town, saint=rng.choice(_SAINTS))


def _organisation(
    rng: random.Random, name: str, street: Street, *, london: bool, mailbox: str = "office"
) -> Organisation:
    return Organisation(
        name=name,
        address=address_on(rng, street),
        phone=landline_phone(rng, london=london),
        email=work_email(mailbox, name),
    )


def _is_london(area: CouncilArea) -> bool:
    return area.towns == ("London",)


def _council(rng: random.Random, area: CouncilArea, streets: tuple[Street, ...]) -> Council:
    name = area.council_name
    organisation = _organisation(rng, name, rng.choice(streets), london=_is_london(area))
    return Council(la_code=area.la_code, organisation=organisation)


def _school_counts(area: CouncilArea, children: int) -> dict[SchoolPhase, int]:
    local = children * area.share
    state = 1 - INDEPENDENT_SHARE_OF_PUPILS
    pupils = local * (PRIMARY_SHARE_OF_CHILDREN + SECONDARY_SHARE_OF_CHILDREN)
    return {
        SchoolPhase.PRIMARY: math.ceil(
            local * PRIMARY_SHARE_OF_CHILDREN * state / PUPILS_PER_PRIMARY
        ),
        SchoolPhase.SECONDARY: math.ceil(
            local * SECONDARY_SHARE_OF_CHILDREN * state / PUPILS_PER_SECONDARY
        ),
        SchoolPhase.INDEPENDENT: math.ceil(
            pupils * INDEPENDENT_SHARE_OF_PUPILS / PUPILS_PER_INDEPENDENT
        ),
        SchoolPhase.PUPIL_REFERRAL_UNIT: 1,
    }


_ESTABLISHMENT_BASE: Final = {
    SchoolPhase.PRIMARY: 2000,
    SchoolPhase.SECONDARY: 4000,
    SchoolPhase.INDEPENDENT: 6000,
    SchoolPhase.PUPIL_REFERRAL_UNIT: 1100,
}


def _schools(
    rng: random.Random,
    area: CouncilArea,
    streets: tuple[Street, ...],
    urns: Iterator[int],
    children: int,
) -> Iterator[School]:
    for phase, count in _school_counts(area, children).items():
        for number in range(count):
            street = rng.choice(streets)
            name = _fill(rng.choice(_SCHOOL_PATTERNS[phase]), rng, street)
            yield School(
                urn=str(next(urns)),
                establishment_number=_ESTABLISHMENT_BASE[phase] + number % 1000,
                phase=phase,
                la_code=area.la_code,
                organisation=_organisation(rng, name, street, london=_is_london(area)),
            )


def _gp_practices(
    rng: random.Random, area: CouncilArea, streets: tuple[Street, ...], prefix: str, children: int
) -> Iterator[GpPractice]:
    count = min(
        MAX_GP_PRACTICES_PER_COUNCIL, math.ceil(children * area.share / CHILDREN_PER_GP_PRACTICE)
    )
    for number in range(1, count + 1):
        street = rng.choice(streets)
        name = _fill(rng.choice(_PRACTICE_PATTERNS), rng, street)
        organisation = _organisation(
            rng, name, street, london=_is_london(area), mailbox="reception"
        )
        yield GpPractice(
            ods_code=f"{prefix}{number:03d}", la_code=area.la_code, organisation=organisation
        )


def _gp_prefixes(rng: random.Random) -> list[str]:
    """An ODS code prefix (a letter and two digits) per council, all different."""
    choices = [f"{letter}{number:02d}" for letter in _GP_PREFIX_LETTERS for number in range(81, 93)]
    return rng.sample(choices, len(COUNCIL_AREAS))


def _service(
    rng: random.Random, area: CouncilArea, streets: tuple[Street, ...], plan: ServicePlan
) -> Service:
    name = plan.name.format(council=area.name)
    organisation = _organisation(rng, name, rng.choice(streets), london=_is_london(area))
    return Service(
        service_code=f"{area.la_code}-{plan.service_type.value}",
        service_type=plan.service_type,
        la_code=area.la_code,
        organisation=organisation,
    )


def _practitioner_name(rng: random.Random) -> tuple[str, str]:
    pools = name_pools()
    origin = rng.choices(pools.origins, cum_weights=pools.cumulative_weights)[0]
    mostly_women = rng.random() < 0.8  # noqa: PLR2004 - as in children's services
    given = rng.choice(origin.women if mostly_women else origin.men)
    family = origin.family_name(rng)
    return given, family


def _practitioner(
    rng: random.Random, number: int, service: Service, plan: ServicePlan, area: CouncilArea
) -> Practitioner:
    given, family = _practitioner_name(rng)
    return Practitioner(
        practitioner_id=f"PR{number:06d}",
        given_name=given,
        family_name=family,
        role=plan.role,
        service_code=service.service_code,
        phone=landline_phone(rng, london=_is_london(area)),
        email=work_email(f"{given}.{family}", area.name),
    )


def _staff_count(plan: ServicePlan, area: CouncilArea, children: int) -> int:
    return max(2, math.ceil(children * area.share * plan.share_of_children / plan.caseload))


def _services_and_staff(
    rng: random.Random, streets: dict[str, tuple[Street, ...]], children: int
) -> tuple[list[Service], list[Practitioner]]:
    services: list[Service] = []
    staff: list[Practitioner] = []
    for area in COUNCIL_AREAS:
        for plan in SERVICE_PLANS:
            service = _service(rng, area, streets[area.la_code], plan)
            services.append(service)
            for _ in range(_staff_count(plan, area, children)):
                staff.append(_practitioner(rng, len(staff) + 1, service, plan, area))
    return services, staff


def build_reference(
    rng: random.Random, streets: dict[str, tuple[Street, ...]], *, children: int
) -> ReferenceData:
    """The organisations and practitioners for a population of ``children``."""
    councils = tuple(_council(rng, area, streets[area.la_code]) for area in COUNCIL_AREAS)
    urns = iter(rng.sample(range(100_000, 160_000), 50_000))
    schools = tuple(
        school
        for area in COUNCIL_AREAS
        for school in _schools(rng, area, streets[area.la_code], urns, children)
    )
    prefixes = _gp_prefixes(rng)
    practices = tuple(
        practice
        for area, prefix in zip(COUNCIL_AREAS, prefixes, strict=True)
        for practice in _gp_practices(rng, area, streets[area.la_code], prefix, children)
    )
    services, staff = _services_and_staff(rng, streets, children)
    return ReferenceData(councils, schools, practices, tuple(services), tuple(staff))
