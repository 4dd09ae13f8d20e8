"""Who looks after the children of a household, and which family names they carry.

A household is one of a few family types, at roughly England's shares of
families with dependent children. Each type yields carers and one or two
*lineages*: a family name and the carers' relationships to the children of that
lineage (a blended family's older children are the mother's from an earlier
relationship; the step-parent is the youngest child's father).
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate
from typing import Final

from contactpoint.synth.contact import mobile_phone, personal_email
from contactpoint.synth.names import NameOrigin
from contactpoint.synth.population import Carer, CareRelationship
from contactpoint.vocabulary import CarerRelationship


class FamilyType(enum.StrEnum):
    COUPLE = "couple"
    BLENDED = "blended"
    SAME_SEX_COUPLE = "same_sex_couple"
    LONE_MOTHER = "lone_mother"
    LONE_FATHER = "lone_father"
    KINSHIP = "kinship"  # grandparents bring the children up
    FOSTER = "foster"


FAMILY_TYPE_SHARES: Final = {
    FamilyType.COUPLE: 0.615,
    FamilyType.BLENDED: 0.07,
    FamilyType.SAME_SEX_COUPLE: 0.01,
    FamilyType.LONE_MOTHER: 0.235,
    FamilyType.LONE_FATHER: 0.03,
    FamilyType.KINSHIP: 0.015,
    FamilyType.FOSTER: 0.007,
}
_FAMILY_TYPES: Final = tuple(FAMILY_TYPE_SHARES)
_FAMILY_CUMULATIVE: Final = tuple(accumulate(FAMILY_TYPE_SHARES.values()))

CARER_PHONE_RATE: Final = 0.92
CARER_EMAIL_RATE: Final = 0.75
MARRIED_NAME_RATE: Final = 0.6  # a mother in a couple who took the father's name
# Of children whose parents have different family names, those given both: as
# such parents are about two in five, about 5% of children are double-barrelled.
DOUBLE_BARRELLED_HOUSEHOLD_RATE: Final = 0.13
LONE_MOTHER_OWN_NAME_RATE: Final = 0.45
STEP_PARENT_NAME_CHANGE_RATE: Final = 0.15
YOUNGEST_OF_NEW_COUPLE_RATE: Final = 0.4
SPECIAL_GUARDIANSHIP_RATE: Final = 0.4


@dataclass(frozen=True, slots=True)
class Lineage:
    """A family name and former names for some children, and their carers' relationships."""

    family_name: str
    former_family_names: tuple[str, ...]
    carers: tuple[CareRelationship, ...]


@dataclass(frozen=True, slots=True)
class Family:
    family_type: FamilyType
    carers: tuple[Carer, ...]
    first: Lineage  # for all children, or the older ones of a blended family
    youngest: Lineage | None  # the new couple's child in a blended family


class FamilyMaker:
    """Draws families for households; owns the carer id counter."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._carers = 0
        self._makers: dict[FamilyType, Callable[[NameOrigin], Family]] = {
            FamilyType.COUPLE: self._couple,
            FamilyType.BLENDED: self._blended,
            FamilyType.SAME_SEX_COUPLE: self._same_sex_couple,
            FamilyType.LONE_MOTHER: self._lone_mother,
            FamilyType.LONE_FATHER: self._lone_father,
            FamilyType.KINSHIP: self._kinship,
            FamilyType.FOSTER: self._foster,
        }

    def family(self, origin: NameOrigin, *, adoptive: bool = False) -> Family:
        """A family of a drawn type (adoptive families are couples)."""
        rng = self._rng
        family_type = (
            FamilyType.COUPLE
            if adoptive
            else rng.choices(_FAMILY_TYPES, cum_weights=_FAMILY_CUMULATIVE)[0]
        )
        return self._makers[family_type](origin)

    def _surname(self, origin: NameOrigin) -> str:
        return origin.family_name(self._rng)

    def _carer(self, given_name: str, family_name: str) -> Carer:
        rng = self._rng
        self._carers += 1
        phone = mobile_phone(rng) if rng.random() < CARER_PHONE_RATE else None
        email = (
            personal_email(rng, given_name, family_name)
            if rng.random() < CARER_EMAIL_RATE
            else None
        )
        return Carer(f"CA{self._carers:08d}", given_name, family_name, phone, email)

    def _woman(self, origin: NameOrigin, family_name: str) -> Carer:
        return self._carer(self._rng.choice(origin.women), family_name)

    def _man(self, origin: NameOrigin, family_name: str) -> Carer:
        return self._carer(self._rng.choice(origin.men), family_name)

    def _children_name(self, mother_name: str, father_name: str) -> str:
        if mother_name != father_name and self._rng.random() < DOUBLE_BARRELLED_HOUSEHOLD_RATE:
            return f"{mother_name}-{father_name}"
        return father_name

    def _couple(self, origin: NameOrigin) -> Family:
        father_name = self._surname(origin)
        married = self._rng.random() < MARRIED_NAME_RATE
        mother_name = father_name if married else self._surname(origin)
        mother, father = self._woman(origin, mother_name), self._man(origin, father_name)
        lineage = Lineage(
            self._children_name(mother_name, father_name),
            (),
            (
                _as(mother, CarerRelationship.MOTHER, pr=True),
                _as(father, CarerRelationship.FATHER, pr=True),
            ),
        )
        return Family(FamilyType.COUPLE, (mother, father), lineage, None)

    def _blended(self, origin: NameOrigin) -> Family:
        rng = self._rng
        mother_name, step_name = self._surname(origin), self._surname(origin)
        birth_name = mother_name if rng.random() < 0.5 else self._surname(origin)  # noqa: PLR2004
        mother, step = self._woman(origin, step_name), self._man(origin, step_name)
        renamed = rng.random() < STEP_PARENT_NAME_CHANGE_RATE
        older = Lineage(
            step_name if renamed else birth_name,
            (birth_name,) if renamed and birth_name != step_name else (),
            (
                _as(mother, CarerRelationship.MOTHER, pr=True),
                _as(step, CarerRelationship.STEP_PARENT, pr=False),
            ),
        )
        new_couple = Lineage(
            step_name,
            (),
            (
                _as(mother, CarerRelationship.MOTHER, pr=True),
                _as(step, CarerRelationship.FATHER, pr=True),
            ),
        )
        youngest = new_couple if rng.random() < YOUNGEST_OF_NEW_COUPLE_RATE else None
        return Family(FamilyType.BLENDED, (mother, step), older, youngest)

    def _same_sex_couple(self, origin: NameOrigin) -> Family:
        family_name = self._surname(origin)
        make = self._woman if self._rng.random() < 0.6 else self._man  # noqa: PLR2004
        first, second = make(origin, family_name), make(origin, self._surname(origin))
        lineage = Lineage(
            family_name,
            (),
            (
                _as(first, CarerRelationship.PARENT, pr=True),
                _as(second, CarerRelationship.PARENT, pr=True),
            ),
        )
        return Family(FamilyType.SAME_SEX_COUPLE, (first, second), lineage, None)

    def _lone_mother(self, origin: NameOrigin) -> Family:
        rng = self._rng
        mother_name, father_name = self._surname(origin), self._surname(origin)
        mother = self._woman(origin, mother_name)
        own_name = rng.random() < LONE_MOTHER_OWN_NAME_RATE
        name = mother_name if own_name else self._children_name(mother_name, father_name)
        renamed = own_name and rng.random() < STEP_PARENT_NAME_CHANGE_RATE
        lineage = Lineage(
            name,
            (father_name,) if renamed else (),
            (_as(mother, CarerRelationship.MOTHER, pr=True),),
        )
        return Family(FamilyType.LONE_MOTHER, (mother,), lineage, None)

    def _lone_father(self, origin: NameOrigin) -> Family:
        father_name = self._surname(origin)
        father = self._man(origin, father_name)
        lineage = Lineage(father_name, (), (_as(father, CarerRelationship.FATHER, pr=True),))
        return Family(FamilyType.LONE_FATHER, (father,), lineage, None)

    def _kinship(self, origin: NameOrigin) -> Family:
        rng = self._rng
        grand_name = self._surname(origin)
        children_name = grand_name if rng.random() < 0.5 else self._surname(origin)  # noqa: PLR2004
        guardian = rng.random() < SPECIAL_GUARDIANSHIP_RATE
        relationship = CarerRelationship.GUARDIAN if guardian else CarerRelationship.GRANDPARENT
        carers: tuple[Carer, ...] = (self._woman(origin, grand_name),)
        if rng.random() < 0.6:  # noqa: PLR2004 - most kinship carers are a couple
            carers = (*carers, self._man(origin, grand_name))
        links = tuple(_as(carer, relationship, pr=guardian) for carer in carers)
        return Family(FamilyType.KINSHIP, carers, Lineage(children_name, (), links), None)

    def _foster(self, origin: NameOrigin) -> Family:
        rng = self._rng
        carer_name = self._surname(origin)
        carers: tuple[Carer, ...] = (self._woman(origin, carer_name),)
        if rng.random() < 0.7:  # noqa: PLR2004 - most foster carers are a couple
            carers = (*carers, self._man(origin, carer_name))
        # The council, not the foster carer, holds parental responsibility.
        links = tuple(_as(carer, CarerRelationship.FOSTER_CARER, pr=False) for carer in carers)
        return Family(FamilyType.FOSTER, carers, Lineage(self._surname(origin), (), links), None)


def _as(carer: Carer, relationship: CarerRelationship, *, pr: bool) -> CareRelationship:
    return CareRelationship(carer, relationship, parental_responsibility=pr)
