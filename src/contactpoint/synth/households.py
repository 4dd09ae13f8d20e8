"""Households, one at a time: carers, address history, and children with all they hold.

A household draws its council area, name origin, family, births (twins among
them) and address history, then makes each child: names, identifiers, school,
GP practice, involvements and shield. Nothing is remembered between households
except counters, so a million children stream in constant memory.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Final

from contactpoint.synth.families import Family, FamilyMaker, FamilyType, Lineage
from contactpoint.synth.involvements import ADOPTION_REASONS, InvolvementMaker
from contactpoint.synth.issuers import ContactPointIdIssuer, NhsNumberIssuer
from contactpoint.synth.names import NameOrigin, NamePools, name_pools
from contactpoint.synth.places import COUNCIL_AREAS, CouncilArea, Street, address_on
from contactpoint.synth.population import (
    Child,
    GpPractice,
    Household,
    Practitioner,
    ReferenceData,
    Residence,
    Shield,
)
from contactpoint.synth.schooling import HouseholdSchooling, SchoolPlacer
from contactpoint.vocabulary import AddressStatus, Gender, ServiceType

# "About 3 in 100 births": 3% of babies are twins, so 1.5% of maternities are.
TWIN_CHILD_RATE: Final = 0.03
TWIN_MATERNITY_RATE: Final = TWIN_CHILD_RATE / (2 - TWIN_CHILD_RATE)
TWIN_SAME_INITIAL_RATE: Final = 0.3
MATERNITY_COUNT_WEIGHTS: Final = {1: 0.44, 2: 0.40, 3: 0.12, 4: 0.03, 5: 0.01}
YOUNG_ADULT_RATE: Final = 0.02  # aged 18 or 19, for archiving
MIN_SIBLING_GAP_DAYS: Final = 300
SIBLING_GAP_ATTEMPTS: Final = 8
MIDDLE_NAME_COUNT_WEIGHTS: Final = {0: 0.22, 1: 0.68, 2: 0.10}
BRITISH_NAME_RATE: Final = 0.15  # children of other origins given a name from the British pool
GENDER_SHARES: Final = {Gender.MALE: 0.512, Gender.FEMALE: 0.4875, Gender.NOT_SPECIFIED: 0.0005}
MOVED_RATE: Final = 0.35  # households with an earlier address
SECOND_MOVE_RATE: Final = 0.2
MOVE_WITHIN_COUNCIL_RATE: Final = 0.75
MOVE_LOOKBACK_DAYS: Final = 8 * 365
NO_KNOWN_ADDRESS_RATE: Final = 0.001
LEFT_ENGLAND_RATE: Final = 0.003
LEFT_ENGLAND_STATUSES: Final = (
    AddressStatus.LEFT_ENGLAND_RETURNING,
    AddressStatus.LEFT_ENGLAND_NOT_RETURNING,
    AddressStatus.LEFT_ENGLAND_UNKNOWN,
)
GP_REGISTERED_RATE: Final = 0.96
NEWBORN_DAYS: Final = 42  # registration with a GP follows within about six weeks
CHILD_DEATH_RATE: Final = 0.0003  # children who died in the last year


@dataclass(slots=True)
class _Home:
    """What a household's children share, decided once per household."""

    household_id: str
    area: CouncilArea
    origin: NameOrigin
    family: Family
    residences: tuple[Residence, ...]
    practice: GpPractice | None
    family_workers: dict[ServiceType, str | None]
    birth_name: str  # an adopted child's family name at birth
    adoptive: bool = False
    shield: Shield | None = None
    used_names: set[str] = field(default_factory=set)

    @property
    def away(self) -> bool:
        return self.residences[0].address is None


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


class HouseholdGenerator:
    """Streams households for one population; all draws come from one seeded rng."""

    def __init__(
        self,
        reference: ReferenceData,
        streets: Mapping[str, tuple[Street, ...]],
        *,
        rng: random.Random,
        as_of: dt.date,
        children: int,
    ) -> None:
        self._rng, self._as_of, self._streets = rng, as_of, streets
        self._today = as_of.toordinal()
        self._adult_from = _years_before(as_of, 18).toordinal() + 1
        self._young_adult_from = _years_before(as_of, 20).toordinal() + 1
        self._pools: NamePools = name_pools()
        self._families = FamilyMaker(rng)
        self._involvements = InvolvementMaker(
            rng, _staff_by_service(reference.practitioners), as_of
        )
        self._schools = SchoolPlacer(rng, reference.schools, as_of=as_of)
        self._practices = _by_council(reference.gp_practices)
        self._nhs_numbers = NhsNumberIssuer(random.Random(rng.random()), demand=children)
        self._contactpoint_ids = ContactPointIdIssuer(random.Random(rng.random()))
        self._area_weights = tuple(accumulate(area.share for area in COUNCIL_AREAS))
        self._children_wanted = children
        self._households = 0
        self._people = 0

    @property
    def nhs_numbers_exhausted(self) -> int:
        """Children left without an NHS number because the test range ran out."""
        return self._nhs_numbers.exhausted

    def households(self) -> Iterator[Household]:
        """Households until exactly the population's number of children have been made."""
        remaining = self._children_wanted
        while remaining > 0:
            household = self._household(remaining)
            remaining -= len(household.children)
            yield household

    def _household(self, cap: int) -> Household:
        rng = self._rng
        self._households += 1
        area = rng.choices(COUNCIL_AREAS, cum_weights=self._area_weights)[0]
        origin = rng.choices(self._pools.origins, cum_weights=self._pools.cumulative_weights)[0]
        reason = self._involvements.shield_reason()
        adoptive = reason in ADOPTION_REASONS
        family = self._families.family(origin, adoptive=adoptive)
        births = self._births(cap)
        home = self._home(area, origin, family, births[0][0], shielded=reason is not None)
        home.adoptive = adoptive  # an adopted child's birth name is a former name
        if reason is not None:
            home.shield = self._involvements.shield(reason, area.la_code, births[-1][0])
        children = self._children(home, births)
        return Household(home.household_id, area.la_code, family.carers, home.residences, children)

    def _home(
        self,
        area: CouncilArea,
        origin: NameOrigin,
        family: Family,
        eldest: dt.date,
        *,
        shielded: bool,
    ) -> _Home:
        residences = self._residences(area, eldest)
        away = residences[0].address is None
        services = self._involvements.family_services(
            fostered=family.family_type is FamilyType.FOSTER, shielded=shielded
        )
        practice = None
        if not away and self._rng.random() < GP_REGISTERED_RATE:
            practice = self._rng.choice(self._practices[area.la_code])
        return _Home(
            household_id=f"H{self._households:07d}",
            area=area,
            origin=origin,
            family=family,
            residences=residences,
            practice=practice,
            family_workers=self._involvements.family_practitioners(area.la_code, services),
            birth_name=origin.family_name(self._rng),
        )

    # Births -----------------------------------------------------------------

    def _births(self, cap: int) -> list[tuple[dt.date, int]]:
        """(date of birth, children born) per maternity, eldest first, at most ``cap`` children."""
        rng = self._rng
        wanted = rng.choices(tuple(MATERNITY_COUNT_WEIGHTS), cum_weights=_MATERNITY_CUMULATIVE)[0]
        births: list[tuple[dt.date, int]] = []
        born = 0
        for _ in range(wanted):
            if born >= cap:
                break
            size = 2 if cap - born >= 2 and rng.random() < TWIN_MATERNITY_RATE else 1  # noqa: PLR2004
            births.append((self._birth_date([day for day, _ in births]), size))
            born += size
        births.sort(key=lambda birth: birth[0])
        return births

    def _birth_date(self, siblings: Sequence[dt.date]) -> dt.date:
        candidate = self._date_of_birth()
        for _ in range(SIBLING_GAP_ATTEMPTS):
            if all(abs((candidate - other).days) >= MIN_SIBLING_GAP_DAYS for other in siblings):
                break
            candidate = self._date_of_birth()
        return candidate

    def _date_of_birth(self) -> dt.date:
        rng = self._rng
        if rng.random() < YOUNG_ADULT_RATE:
            return dt.date.fromordinal(rng.randint(self._young_adult_from, self._adult_from - 1))
        return dt.date.fromordinal(rng.randint(self._adult_from, self._today))

    # Address history ----------------------------------------------------------

    def _address(self, area: CouncilArea) -> Residence:
        street = self._rng.choice(self._streets[area.la_code])
        return Residence(address_on(self._rng, street), AddressStatus.CURRENT, dt.date.min, None)

    def _residences(self, area: CouncilArea, eldest: dt.date) -> tuple[Residence, ...]:
        rng = self._rng
        history = [self._address(area)]
        moves = 0
        if rng.random() < MOVED_RATE:
            moves = 2 if rng.random() < SECOND_MOVE_RATE else 1
        since = self._today
        for _ in range(moves):
            since = rng.randint(since - MOVE_LOOKBACK_DAYS // 2, since - 7)
            history[-1] = _moved_in(history[-1], since)
            history.append(_moved_out(self._address(self._moved_from(area)), since))
        first_since = min(since, eldest.toordinal()) - rng.randint(1, 3 * 365)
        history[-1] = _moved_in(history[-1], first_since)
        return self._whereabouts(tuple(history))

    def _moved_from(self, area: CouncilArea) -> CouncilArea:
        if self._rng.random() < MOVE_WITHIN_COUNCIL_RATE:
            return area
        return self._rng.choices(COUNCIL_AREAS, cum_weights=self._area_weights)[0]

    def _whereabouts(self, history: tuple[Residence, ...]) -> tuple[Residence, ...]:
        """Now and then the family's whereabouts are unknown, or it has left England."""
        rng = self._rng
        draw = rng.random()
        if draw >= NO_KNOWN_ADDRESS_RATE + LEFT_ENGLAND_RATE:
            return history
        status = (
            AddressStatus.NO_KNOWN_ADDRESS
            if draw < NO_KNOWN_ADDRESS_RATE
            else rng.choice(LEFT_ENGLAND_STATUSES)
        )
        earliest = min(max(history[0].since.toordinal() + 1, self._today - 700), self._today)
        since = dt.date.fromordinal(rng.randint(earliest, self._today))
        last = Residence(history[0].address, AddressStatus.LAST_KNOWN, history[0].since, since)
        return (Residence(None, status, since, None), last, *history[1:])

    # Children -----------------------------------------------------------------

    def _children(self, home: _Home, births: list[tuple[dt.date, int]]) -> tuple[Child, ...]:
        schooling = self._schools.household(home.area.la_code, away=home.away)
        children: list[Child] = []
        for index, (born, size) in enumerate(births):
            youngest = index == len(births) - 1 and index > 0
            lineage = home.family.first
            if youngest and home.family.youngest is not None:
                lineage = home.family.youngest
            children.extend(self._maternity(home, lineage, schooling, born, size))
        return tuple(children)

    def _maternity(
        self, home: _Home, lineage: Lineage, schooling: HouseholdSchooling, born: dt.date, size: int
    ) -> list[Child]:
        """The child, or twins, of one birth."""
        ids = [self._next_person_id() for _ in range(size)]
        made: list[Child] = []
        for position, person_id in enumerate(ids):
            twin_of = ids[1 - position] if size == 2 else None  # noqa: PLR2004 - a pair
            initial = made[0].given_name[:1] if made else ""
            made.append(
                self._child(
                    home,
                    lineage,
                    schooling,
                    person_id=person_id,
                    born=born,
                    twin_of=twin_of,
                    twin_initial=initial,
                )
            )
        return made

    def _next_person_id(self) -> str:
        self._people += 1
        return f"P{self._people:08d}"

    def _gender(self) -> Gender:
        return self._rng.choices(tuple(GENDER_SHARES), cum_weights=_GENDER_CUMULATIVE)[0]

    def _child(
        self,
        home: _Home,
        lineage: Lineage,
        schooling: HouseholdSchooling,
        *,
        person_id: str,
        born: dt.date,
        twin_of: str | None,
        twin_initial: str,
    ) -> Child:
        gender = self._gender()
        given = self._given_name(home, gender, twin_initial=twin_initial)
        enrolment, upn = schooling.enrol(born, moved_in=home.residences[0].since)
        age = _age(born, self._as_of)
        former = (home.birth_name,) if home.adoptive else lineage.former_family_names
        return Child(
            person_id=person_id,
            household_id=home.household_id,
            contactpoint_id=self._contactpoint_ids.issue(),
            given_name=given,
            middle_names=self._middle_names(home, gender, given),
            family_name=lineage.family_name,
            former_family_names=tuple(name for name in former if name != lineage.family_name),
            date_of_birth=born,
            gender=gender,
            date_of_death=self._date_of_death(born),
            nhs_number=self._nhs_numbers.issue(),
            upn=upn,
            school=enrolment,
            gp_practice_code=self._practice_code(home, born),
            residences=_lived_in(home.residences, born),
            carers=lineage.carers,
            twin_of=twin_of,
            shield=home.shield,
            involvements=self._involvements.for_child(
                la_code=home.area.la_code, born=born, age=age, family_workers=home.family_workers
            ),
        )

    def _practice_code(self, home: _Home, born: dt.date) -> str | None:
        if home.practice is None:
            return None
        newborn = self._today - born.toordinal() < NEWBORN_DAYS
        if newborn and self._rng.random() < 0.5:  # noqa: PLR2004
            return None
        return home.practice.ods_code

    def _date_of_death(self, born: dt.date) -> dt.date | None:
        if self._rng.random() >= CHILD_DEATH_RATE:
            return None
        return dt.date.fromordinal(
            self._rng.randint(max(born.toordinal(), self._today - 365), self._today)
        )

    # Names --------------------------------------------------------------------

    def _pool(self, origin: NameOrigin, gender: Gender) -> tuple[str, ...]:
        rng = self._rng
        if origin is not self._pools.origins[0] and rng.random() < BRITISH_NAME_RATE:
            origin = self._pools.origins[0]
        if gender is Gender.NOT_SPECIFIED:
            return origin.boys if rng.random() < 0.5 else origin.girls  # noqa: PLR2004
        return origin.boys if gender is Gender.MALE else origin.girls

    def _given_name(self, home: _Home, gender: Gender, *, twin_initial: str) -> str:
        """A name no sibling has; a twin's often shares the other twin's initial."""
        rng = self._rng
        pool = self._pool(home.origin, gender)
        same_initial = bool(twin_initial) and rng.random() < TWIN_SAME_INITIAL_RATE
        name = rng.choice(pool)
        for _ in range(40):
            fits = not same_initial or name.startswith(twin_initial)
            if fits and name not in home.used_names:
                break
            name = rng.choice(pool)
        while name in home.used_names:
            name = rng.choice(pool)
        home.used_names.add(name)
        return name

    def _middle_names(self, home: _Home, gender: Gender, given: str) -> tuple[str, ...]:
        rng = self._rng
        count = rng.choices(tuple(MIDDLE_NAME_COUNT_WEIGHTS), cum_weights=_MIDDLE_CUMULATIVE)[0]
        pool = self._pool(home.origin, gender)
        names = tuple(dict.fromkeys(rng.choice(pool) for _ in range(count)))
        return tuple(name for name in names if name != given)


_MATERNITY_CUMULATIVE: Final = tuple(accumulate(MATERNITY_COUNT_WEIGHTS.values()))
_GENDER_CUMULATIVE: Final = tuple(accumulate(GENDER_SHARES.values()))
_MIDDLE_CUMULATIVE: Final = tuple(accumulate(MIDDLE_NAME_COUNT_WEIGHTS.values()))


def _age(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _lived_in(residences: tuple[Residence, ...], born: dt.date) -> tuple[Residence, ...]:
    """The household's addresses since the child was born, the first from the birth."""
    kept = tuple(place for place in residences if place.until is None or place.until > born)
    oldest = kept[-1]
    if oldest.since >= born:
        return kept
    return (*kept[:-1], Residence(oldest.address, oldest.status, born, oldest.until))


def _moved_in(residence: Residence, since: int) -> Residence:
    return Residence(
        residence.address, residence.status, dt.date.fromordinal(since), residence.until
    )


def _moved_out(residence: Residence, until: int) -> Residence:
    return Residence(
        residence.address, residence.status, residence.since, dt.date.fromordinal(until)
    )


def _staff_by_service(staff: Sequence[Practitioner]) -> dict[str, list[Practitioner]]:
    grouped: dict[str, list[Practitioner]] = {}
    for person in staff:
        grouped.setdefault(person.service_code, []).append(person)
    return grouped


def _by_council(practices: Sequence[GpPractice]) -> dict[str, list[GpPractice]]:
    grouped: dict[str, list[GpPractice]] = {}
    for practice in practices:
        grouped.setdefault(practice.la_code, []).append(practice)
    return grouped
