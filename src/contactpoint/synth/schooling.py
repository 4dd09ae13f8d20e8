"""Which school a child attends, since when, and the child's Unique Pupil Number.

Children start in the reception class in the September after their fourth
birthday (national curriculum year 0) and move to secondary school in year 7;
half stay at school for the sixth form (years 12 and 13). Siblings go to the
same school of each phase. A family may educate at home or pay for an
independent school; a few secondary pupils attend a pupil referral unit.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import Final

from contactpoint.synth.issuers import UpnIssuer
from contactpoint.synth.places import COUNCIL_AREAS
from contactpoint.synth.population import Enrolment, School, SchoolPhase

RECEPTION_AGE: Final = 5  # reception starts in the academic year the child turns five
LAST_PRIMARY_YEAR: Final = 6
LAST_COMPULSORY_YEAR: Final = 11
LAST_SCHOOL_YEAR: Final = 13
SIXTH_FORM_AT_SCHOOL_RATE: Final = 0.5
HOME_EDUCATED_RATE: Final = 0.012
INDEPENDENT_SCHOOL_RATE: Final = 0.06
PUPIL_REFERRAL_UNIT_RATE: Final = 0.003
INDEPENDENT_UPN_RATE: Final = 0.4  # independent schools need not give pupils a UPN
CHANGED_SCHOOL_ON_MOVE_RATE: Final = 0.7
FIRST_TERM_DAY: Final = (9, 4)  # term starts in the first week of September


def academic_year(day: dt.date) -> int:
    """The calendar year in which the academic year holding ``day`` began."""
    return day.year if day.month >= 9 else day.year - 1  # noqa: PLR2004 - September


def curriculum_year(born: dt.date, day: dt.date) -> int:
    """The national curriculum year group on ``day`` (0 = reception; negative before school)."""
    return academic_year(day) - (academic_year(born) + RECEPTION_AGE)


def first_term_day(year: int) -> dt.date:
    start = dt.date(year, *FIRST_TERM_DAY)
    saturday = 5
    return start + dt.timedelta(
        days=(7 - start.weekday()) % 7 if start.weekday() >= saturday else 0
    )


class SchoolPlacer:
    """Places children in the schools of their council; owns the UPN issuer."""

    def __init__(self, rng: random.Random, schools: Sequence[School], *, as_of: dt.date) -> None:
        self._rng, self._as_of = rng, as_of
        self._upns = UpnIssuer()
        self._la_index = {area.la_code: index for index, area in enumerate(COUNCIL_AREAS)}
        self._schools: dict[tuple[str, SchoolPhase], list[School]] = {}
        for school in schools:
            self._schools.setdefault((school.la_code, school.phase), []).append(school)

    def household(self, la_code: str, *, away: bool) -> HouseholdSchooling:
        """The schooling decisions one household's children share."""
        rng = self._rng
        draw = rng.random()
        home_educated = away or draw < HOME_EDUCATED_RATE
        independent = HOME_EDUCATED_RATE <= draw < HOME_EDUCATED_RATE + INDEPENDENT_SCHOOL_RATE
        return HouseholdSchooling(
            self, la_code, home_educated=home_educated, independent=independent
        )

    def school(self, la_code: str, phase: SchoolPhase) -> School:
        return self._rng.choice(self._schools[la_code, phase])

    def upn(self, school: School, entry_year: int) -> str:
        la_index = self._la_index[school.la_code]
        return self._upns.issue(
            la_index=la_index, establishment=school.establishment_number, year=entry_year
        )

    @property
    def rng(self) -> random.Random:
        return self._rng

    @property
    def as_of(self) -> dt.date:
        return self._as_of


class HouseholdSchooling:
    """One household's schools by phase, chosen for the first child who needs one."""

    def __init__(
        self, placer: SchoolPlacer, la_code: str, *, home_educated: bool, independent: bool
    ) -> None:
        self._placer, self._la_code = placer, la_code
        self._home_educated, self._independent = home_educated, independent
        self._chosen: dict[SchoolPhase, School] = {}

    def enrol(self, born: dt.date, *, moved_in: dt.date) -> tuple[Enrolment | None, str | None]:
        """The child's enrolment on the reference date and UPN, or (None, None)."""
        rng, as_of = self._placer.rng, self._placer.as_of
        year = curriculum_year(born, as_of)
        at_school = 0 <= year <= LAST_COMPULSORY_YEAR or (
            LAST_COMPULSORY_YEAR < year <= LAST_SCHOOL_YEAR
            and rng.random() < SIXTH_FORM_AT_SCHOOL_RATE
        )
        if self._home_educated or not at_school:
            return None, None
        phase = self._phase(year)
        school = self._school(phase)
        reception = academic_year(born) + RECEPTION_AGE
        start = self._start_date(phase, reception, moved_in)
        upn = None
        if phase is not SchoolPhase.INDEPENDENT or rng.random() < INDEPENDENT_UPN_RATE:
            upn = self._placer.upn(school, reception)
        return Enrolment(school.urn, start), upn

    def _phase(self, year: int) -> SchoolPhase:
        if self._independent:
            return SchoolPhase.INDEPENDENT
        if year <= LAST_PRIMARY_YEAR:
            return SchoolPhase.PRIMARY
        if self._placer.rng.random() < PUPIL_REFERRAL_UNIT_RATE:
            return SchoolPhase.PUPIL_REFERRAL_UNIT
        return SchoolPhase.SECONDARY

    def _school(self, phase: SchoolPhase) -> School:
        if phase not in self._chosen:
            self._chosen[phase] = self._placer.school(self._la_code, phase)
        return self._chosen[phase]

    def _start_date(self, phase: SchoolPhase, reception: int, moved_in: dt.date) -> dt.date:
        rng, as_of = self._placer.rng, self._placer.as_of
        if phase is SchoolPhase.PUPIL_REFERRAL_UNIT:
            return as_of - dt.timedelta(days=rng.randint(0, 700))
        entered_phase = reception + (7 if phase is SchoolPhase.SECONDARY else 0)
        start = first_term_day(entered_phase)
        if moved_in > start and rng.random() < CHANGED_SCHOOL_ON_MOVE_RATE:
            start = moved_in + dt.timedelta(days=rng.randint(0, 30))
        return min(start, as_of)
