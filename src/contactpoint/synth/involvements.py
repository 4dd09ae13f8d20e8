"""Which services work with which children, and which children are shielded.

Rates are per child of the ages a service works with, roughly as in England:
about 3.5% of families are known to children's social care (every child of such
a family is), a few per cent to early help, and health services see more. A
sensitive service's involvement is recorded only with a consent basis.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final, TypeVar

from contactpoint.synth.population import Involvement, Practitioner, Shield
from contactpoint.vocabulary import SENSITIVE_SERVICE_TYPES, ConsentBasis, ServiceType, ShieldReason

DAYS_IN_YEAR: Final = 365
SOCIAL_CARE_FAMILY_RATE: Final = 0.035
EARLY_HELP_FAMILY_RATE: Final = 0.03
SHIELDED_FAMILY_SOCIAL_CARE_RATE: Final = 0.5
ENDED_INVOLVEMENT_RATE: Final = 0.35
UNNAMED_PRACTITIONER_RATE: Final = 0.08
INVOLVEMENT_LOOKBACK_YEARS: Final = 3
# Households whose children are shielded: whole families (most often fleeing
# domestic abuse, or adopted siblings), so about 0.5% of children are shielded.
SHIELDED_HOUSEHOLD_RATE: Final = 0.005
SHIELD_REASON_SHARES: Final = {
    ShieldReason.RISK_OF_SIGNIFICANT_HARM: 0.55,
    ShieldReason.SERIOUS_CRIME: 0.15,
    ShieldReason.ADOPTION_PLACEMENT: 0.15,
    ShieldReason.ADOPTION_IDENTITY_LINK: 0.15,
}
ADOPTION_REASONS: Final = frozenset(
    {ShieldReason.ADOPTION_PLACEMENT, ShieldReason.ADOPTION_IDENTITY_LINK}
)
CONSENT_BASIS_SHARES: Final = {
    ConsentBasis.CHILD_CONSENT: 0.7,
    ConsentBasis.PARENT_CONSENT: 0.1,
    ConsentBasis.SIGNIFICANT_HARM: 0.2,
}
GILLICK_AGE: Final = 13  # younger children's consent comes from a parent


@dataclass(frozen=True, slots=True)
class ChildServiceRule:
    """A service that works with some children of some ages, one child at a time."""

    service_type: ServiceType
    youngest: int
    oldest: int  # inclusive, in whole years
    rate: float
    lead_rate: float
    assessment_rate: float


# Services families meet as a family; the rule's rate is not used.
FAMILY_SERVICE_RULES: Final = (
    ChildServiceRule(ServiceType.SOCIAL_CARE, 0, 17, SOCIAL_CARE_FAMILY_RATE, 0.8, 0.3),
    ChildServiceRule(ServiceType.EARLY_HELP, 0, 17, EARLY_HELP_FAMILY_RATE, 0.6, 0.7),
)
CHILD_SERVICE_RULES: Final = (
    ChildServiceRule(ServiceType.YOUTH_OFFENDING, 10, 17, 0.004, 0.3, 0.1),
    ChildServiceRule(ServiceType.HEALTH_VISITING, 0, 4, 0.12, 0.1, 0.1),
    ChildServiceRule(ServiceType.SCHOOL_NURSING, 5, 17, 0.05, 0.05, 0.05),
    ChildServiceRule(ServiceType.CAMHS, 5, 17, 0.06, 0.05, 0.05),
    ChildServiceRule(ServiceType.SEXUAL_HEALTH, 13, 19, 0.03, 0.0, 0.0),
    ChildServiceRule(ServiceType.SUBSTANCE_MISUSE, 12, 19, 0.006, 0.05, 0.05),
    ChildServiceRule(ServiceType.MENTAL_HEALTH, 16, 19, 0.015, 0.05, 0.05),
)
RULES_BY_TYPE: Final = {
    rule.service_type: rule for rule in FAMILY_SERVICE_RULES + CHILD_SERVICE_RULES
}


_T = TypeVar("_T")


def _weighted(rng: random.Random, shares: Mapping[_T, float]) -> _T:
    return rng.choices(tuple(shares), weights=tuple(shares.values()))[0]


class InvolvementMaker:
    """Draws involvements and shields; owns the involvement id counter."""

    def __init__(
        self, rng: random.Random, staff: Mapping[str, Sequence[Practitioner]], as_of: dt.date
    ) -> None:
        self._rng, self._staff, self._as_of = rng, staff, as_of
        self._count = 0

    def family_services(self, *, fostered: bool, shielded: bool) -> tuple[ServiceType, ...]:
        """The services that work with this whole family, if any."""
        draw = self._rng.random()
        if fostered or (shielded and draw < SHIELDED_FAMILY_SOCIAL_CARE_RATE):
            return (ServiceType.SOCIAL_CARE,)
        if draw < SOCIAL_CARE_FAMILY_RATE:
            return (ServiceType.SOCIAL_CARE,)
        if draw < SOCIAL_CARE_FAMILY_RATE + EARLY_HELP_FAMILY_RATE:
            return (ServiceType.EARLY_HELP,)
        return ()

    def family_practitioners(
        self, la_code: str, services: Sequence[ServiceType]
    ) -> dict[ServiceType, str | None]:
        """One named worker per family service, shared by the siblings."""
        return {service: self._practitioner(la_code, service) for service in services}

    def for_child(
        self,
        *,
        la_code: str,
        born: dt.date,
        age: int,
        family_workers: Mapping[ServiceType, str | None],
    ) -> tuple[Involvement, ...]:
        found = [
            self._involvement(la_code, RULES_BY_TYPE[service], born, age, worker)
            for service, worker in family_workers.items()
            if RULES_BY_TYPE[service].youngest <= age <= RULES_BY_TYPE[service].oldest
        ]
        for rule in CHILD_SERVICE_RULES:
            if rule.youngest <= age <= rule.oldest and self._rng.random() < rule.rate:
                worker = self._practitioner(la_code, rule.service_type)
                found.append(self._involvement(la_code, rule, born, age, worker))
        return _with_one_lead(found)

    def shield_reason(self) -> ShieldReason | None:
        if self._rng.random() >= SHIELDED_HOUSEHOLD_RATE:
            return None
        return _weighted(self._rng, SHIELD_REASON_SHARES)

    def shield(self, reason: ShieldReason, la_code: str, youngest_born: dt.date) -> Shield:
        rng, as_of = self._rng, self._as_of
        earliest = max(youngest_born.toordinal(), as_of.toordinal() - 5 * DAYS_IN_YEAR)
        started = dt.date.fromordinal(rng.randint(earliest, as_of.toordinal()))
        review = as_of + dt.timedelta(days=rng.randint(1, DAYS_IN_YEAR))
        return Shield(la_code, reason, started, review)

    def _practitioner(self, la_code: str, service: ServiceType) -> str | None:
        if self._rng.random() < UNNAMED_PRACTITIONER_RATE:
            return None
        return self._rng.choice(self._staff[f"{la_code}-{service.value}"]).practitioner_id

    def _dates(self, born: dt.date) -> tuple[dt.date, dt.date | None]:
        rng, today = self._rng, self._as_of.toordinal()
        earliest = max(born.toordinal(), today - INVOLVEMENT_LOOKBACK_YEARS * DAYS_IN_YEAR)
        start = rng.randint(earliest, today)
        if rng.random() >= ENDED_INVOLVEMENT_RATE:
            return dt.date.fromordinal(start), None
        return dt.date.fromordinal(start), dt.date.fromordinal(rng.randint(start, today))

    def _consent(self, service: ServiceType, age: int) -> ConsentBasis | None:
        if service not in SENSITIVE_SERVICE_TYPES:
            return None
        basis = _weighted(self._rng, CONSENT_BASIS_SHARES)
        if age < GILLICK_AGE and basis is ConsentBasis.CHILD_CONSENT:
            return ConsentBasis.PARENT_CONSENT
        return basis

    def _involvement(
        self, la_code: str, rule: ChildServiceRule, born: dt.date, age: int, worker: str | None
    ) -> Involvement:
        rng = self._rng
        self._count += 1
        start, end = self._dates(born)
        return Involvement(
            involvement_id=f"INV{self._count:08d}",
            service_code=f"{la_code}-{rule.service_type.value}",
            service_type=rule.service_type,
            practitioner_id=worker,
            start_date=start,
            end_date=end,
            lead_professional=rng.random() < rule.lead_rate,
            assessment_held=rng.random() < rule.assessment_rate,
            consent_basis=self._consent(rule.service_type, age),
        )


def _with_one_lead(found: list[Involvement]) -> tuple[Involvement, ...]:
    """At most one open involvement is the lead professional: the first drawn as one."""
    lead_seen = False
    kept = []
    for involvement in found:
        is_open_lead = involvement.lead_professional and involvement.end_date is None
        if is_open_lead and lead_seen:
            involvement = _without_lead(involvement)  # noqa: PLW2901 - replaced, not mutated
        lead_seen = lead_seen or is_open_lead
        kept.append(involvement)
    return tuple(kept)


def _without_lead(involvement: Involvement) -> Involvement:
    return replace(involvement, lead_professional=False)
