"""The record linkage compares, its normalised forms, and its blocking keys.

A :class:`LinkageRecord` is built once per source record (or held child
record); its :class:`Features` (normalised names, date strings, postcode parts)
are computed then, so that scoring a pair does no normalising at all. The same
features are the columns Splink compares, so both sides compare alike.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

import jellyfish

from contactpoint.identifiers.names import compact_name, name_tokens
from contactpoint.linkage.given_names import related_given_names
from contactpoint.vocabulary import Gender

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

_KNOWN_GENDERS: Final = frozenset({Gender.MALE, Gender.FEMALE})
_NOT_ADDRESS_CHARACTERS: Final = re.compile(r"[^a-z0-9]+")
_INWARD_LENGTH: Final = 3


@dataclass(frozen=True, slots=True)
class Features:
    """Normalised forms of one record; an empty string or set means "not known"."""

    given: str  # the first given name
    middles: tuple[str, ...]  # further given names and the middle names, in order
    given_related: frozenset[str]  # nicknames of the given name and what it is short for
    family: str  # the family name without spaces or hyphens
    family_parts: frozenset[str]  # the words of a double-barrelled family name
    family_all: frozenset[str]  # current and former family names, whole and in parts
    dob: str  # YYYYMMDD
    dob_day: int  # proleptic Gregorian ordinal; 0 when not known
    gender: str  # "male" or "female"
    postcode: str  # "OX2R 0JD"
    postcode_sector: str  # "OX2R 0"
    postcode_district: str  # "OX2R"
    address: str  # address line 1, lower case words
    nhs_number: str
    upn: str
    carer_names: frozenset[str]  # "given family" of each carer with both known
    carer_family_names: frozenset[str]
    # "given|family", for the swapped-names levels: a column of its own, so that
    # Splink's training, blocked on the given or the family name, still trains
    # the other name's comparison (it leaves out any comparison using a blocked column).
    given_and_family: str = ""
    # The given name and each middle name, with each of their one-letter-shorter
    # forms (names of four letters or more): two names one typo apart share one.
    given_variants: frozenset[str] = frozenset()
    middle_variants: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class LinkageRecord:
    """One child's identifying details, as one source or the directory holds them."""

    given_name: str
    middle_names: str | None
    family_name: str
    former_family_names: tuple[str, ...]
    date_of_birth: dt.date | None
    gender: Gender
    postcode: str | None  # normalised: "OX2R 0JD"
    address_line_1: str | None
    nhs_number: str | None  # ten digits
    upn: str | None
    carer_family_names: tuple[str, ...] = ()
    carer_given_names: tuple[str, ...] = ()  # in step with carer_family_names
    features: Features = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "features", _features(self))

    def shares_a_number(self, other: LinkageRecord) -> bool:
        """Both hold the same NHS number, or the same UPN: one child, or a mistyped number."""
        return bool(self.nhs_number and self.nhs_number == other.nhs_number) or bool(
            self.upn and self.upn == other.upn
        )


def linkage_record(
    *,
    given_name: str,
    family_name: str,
    middle_names: str | None = None,
    former_family_names: Iterable[str] = (),
    date_of_birth: dt.date | None = None,
    gender: Gender = Gender.NOT_KNOWN,
    postcode: str | None = None,
    address_line_1: str | None = None,
    nhs_number: str | None = None,
    upn: str | None = None,
    carers: Iterable[tuple[str | None, str | None]] = (),
) -> LinkageRecord:
    """A record from plain values, as a feed row holds them (carers as (given, family) pairs).

    Values are expected already checked (postcode normalised, NHS number of ten
    digits); empty strings count as missing.
    """
    carer_pairs = [(given or "", family or "") for given, family in carers if given or family]
    return LinkageRecord(
        given_name=given_name,
        middle_names=middle_names or None,
        family_name=family_name,
        former_family_names=tuple(name for name in former_family_names if name),
        date_of_birth=date_of_birth,
        gender=gender,
        postcode=postcode or None,
        address_line_1=address_line_1 or None,
        nhs_number=(nhs_number or "").replace(" ", "") or None,
        upn=(upn or "").strip().upper() or None,
        carer_family_names=tuple(family for _, family in carer_pairs),
        carer_given_names=tuple(given for given, _ in carer_pairs),
    )


def _family_forms(name: str) -> set[str]:
    forms = set(name_tokens(name))
    compact = compact_name(name)
    if compact:
        forms.add(compact)
    return forms


# Names, households' carers and addresses repeat from record to record, and a load
# builds a record for every candidate it meets: the parts made from them are kept.
_CACHED_FORMS: Final = 1 << 16


@functools.lru_cache(maxsize=_CACHED_FORMS)
def _given_parts(
    given_name: str,
) -> tuple[str, tuple[str, ...], frozenset[str], frozenset[str]]:
    """The first given name, any further ones, its related names and its typo forms."""
    given_tokens = name_tokens(given_name)
    given = given_tokens[0] if given_tokens else ""
    return given, given_tokens[1:], related_given_names(given), _typo_forms(given)


@functools.lru_cache(maxsize=_CACHED_FORMS)
def _family_parts(
    family_name: str, former_family_names: tuple[str, ...]
) -> tuple[str, frozenset[str], frozenset[str]]:
    """The compact family name, its words, and every current and former form."""
    family_all = _family_forms(family_name)
    for former in former_family_names:
        family_all |= _family_forms(former)
    return compact_name(family_name), frozenset(name_tokens(family_name)), frozenset(family_all)


@functools.lru_cache(maxsize=_CACHED_FORMS)
def _carers(
    given_names: tuple[str, ...], family_names: tuple[str, ...]
) -> tuple[frozenset[str], frozenset[str]]:
    names: set[str] = set()
    families: set[str] = set()
    for given, family in zip(given_names, family_names, strict=False):
        family_compact = compact_name(family)
        given_tokens = name_tokens(given)
        if family_compact:
            families.add(family_compact)
            if given_tokens:
                names.add(f"{given_tokens[0]} {family_compact}")
    return frozenset(names), frozenset(families)


@functools.lru_cache(maxsize=_CACHED_FORMS)
def _address_words(line: str) -> str:
    return _NOT_ADDRESS_CHARACTERS.sub(" ", line.lower()).strip()


def _postcode_parts(postcode: str | None) -> tuple[str, str, str]:
    if not postcode or " " not in postcode:
        return "", "", ""
    return postcode, postcode[: 1 - _INWARD_LENGTH], postcode.split(" ")[0]


_SHORTEST_TYPO_FORMS: Final = 4  # "Ada" less a letter is "da", as "Ida" is: too short to tell


def _one_typo_forms(names: Sequence[str]) -> frozenset[str]:
    """Each name and each form of it with one letter left out.

    Two names one keying error apart (a letter substituted, added, dropped, or
    two swapped) have a form in common, so "shares a typo form" is a set test.
    """
    if len(names) == 1:
        return _typo_forms(names[0])
    return frozenset().union(*(_typo_forms(name) for name in names))


@functools.lru_cache(maxsize=_CACHED_FORMS)
def _typo_forms(name: str) -> frozenset[str]:
    if not name:
        return frozenset()
    if len(name) < _SHORTEST_TYPO_FORMS:
        return frozenset({name})
    return frozenset({name, *(name[:at] + name[at + 1 :] for at in range(len(name)))})


def _features(record: LinkageRecord) -> Features:
    given, further, related, given_variants = _given_parts(record.given_name)
    middles = further + name_tokens(record.middle_names) if record.middle_names else further
    family, family_words, family_all = _family_parts(record.family_name, record.former_family_names)
    born = record.date_of_birth
    carer_names, carer_family_names = _carers(record.carer_given_names, record.carer_family_names)
    postcode, sector, district = _postcode_parts(record.postcode)
    return Features(
        given=given,
        middles=middles,
        given_related=related,
        family=family,
        family_parts=family_words,
        family_all=family_all,
        dob=born.isoformat().replace("-", "") if born else "",  # YYYYMMDD, cheaper than strftime
        dob_day=born.toordinal() if born else 0,
        gender=record.gender.value if record.gender in _KNOWN_GENDERS else "",
        postcode=postcode,
        postcode_sector=sector,
        postcode_district=district,
        address=_address_words(record.address_line_1 or ""),
        nhs_number=record.nhs_number or "",
        upn=record.upn or "",
        carer_names=carer_names,
        carer_family_names=carer_family_names,
        given_and_family=f"{given}|{family}" if given and family else "",
        given_variants=given_variants,
        middle_variants=_one_typo_forms(middles),
    )


# Blocking keys ---------------------------------------------------------------------------------


def _sound(name: str) -> str:
    return jellyfish.soundex(name) if name else ""


def _given_sounds(features: Features) -> set[str]:
    """The given name, the middle names (swapped with it) and what the given name is short for."""
    names = {features.given, *features.middles[:2], *features.given_related}
    return {_sound(name) for name in names if name}


def _family_sounds(features: Features) -> set[str]:
    return {_sound(name) for name in features.family_all if len(name) > 1}


# Changes whenever blocking_keys makes other keys for the same record: an index made
# with other keys misses candidates, so loads wait for ``contactpoint linkage reindex``.
KEYS_VERSION: Final = "2026.12-k3"


def blocking_keys(record: LinkageRecord) -> frozenset[str]:
    """Short strings; two records that may be the same child share at least one.

    Each key is narrow enough that, among a million children, few records share
    it, and together they survive the usual errors: a typo or a transposed day
    and month in the date of birth (keys on the year, and on the day and month,
    with the names), a nickname or swapped given and middle names (keys on every
    given name and what it is short for), a double-barrelled name in part or a
    former family name (keys on each), a typo in a name (keys on sounds, and on
    the identifiers and postcode without that name), given and family names
    swapped (keys on the two names in either order).
    """
    features = record.features
    keys: set[str] = set()
    if features.nhs_number:
        keys.add(f"n:{features.nhs_number}")
    if features.upn:
        keys.add(f"u:{features.upn}")
    keys.update(_date_keys(features))
    keys.update(_swap_keys(features))
    if features.postcode:
        keys.update(_postcode_keys(features))
    return frozenset(keys)


_EITHER_GENDER: Final = ("f", "m")


def _genders(features: Features) -> tuple[str, ...]:
    """The gender as a key part; a record whose gender is not known carries both."""
    return (features.gender[0],) if features.gender else _EITHER_GENDER


def _date_keys(features: Features) -> Iterable[str]:
    """Keys on the date of birth, or either half of it, with names.

    The two widest keys (the year of birth, and the whole date with a given
    name only) also carry the gender: among a million children each holds tens
    of thousands of records a year, and the gender halves them at the cost of
    a record whose gender is wrong, which the other keys still find.
    """
    dob = features.dob
    givens = _given_sounds(features)
    families = _family_sounds(features)
    genders = _genders(features)
    if dob:
        yield from (f"dbf:{dob}:{family}" for family in families)
        yield from (f"dbg:{dob}:{given}:{gender}" for given in givens for gender in genders)
    year, day_month = dob[:4], dob[4:]
    for given in givens:
        for family in families:
            # Either half of the date of birth may be wrong, not both.
            if dob:
                yield from (f"ygf:{year}:{given}:{family}:{gender}" for gender in genders)
                yield f"mgf:{day_month}:{given}:{family}"
            elif features.postcode_district:
                yield f"gfd:{given}:{family}:{features.postcode_district}"


def _swap_keys(features: Features) -> Iterable[str]:
    """A key on the given and family name as an unordered pair, so that a swap keeps it.

    With the year of birth (a mistyped day or month still shares it), or the
    postcode district when the date is not known. One key, not the two halves
    of the date as for names in order: every record carries it, and the other
    keys (identifiers, postcode and date of birth) also find most swaps.
    """
    given, family = _sound(features.given), _sound(features.family)
    if not given or not family or len(features.family) < 2:  # noqa: PLR2004 - not an initial
        return
    names = ":".join(sorted((given, family)))
    dob = features.dob
    if dob:
        yield f"sy:{dob[:4]}:{names}"
    elif features.postcode_district:
        yield f"sd:{names}:{features.postcode_district}"


def _postcode_keys(features: Features) -> Iterable[str]:
    """The postcode with the date of birth, and with the sound of the first given name.

    Only the first given name with the postcode: a household's children share
    the postcode, so keys on every middle name and nickname there would make
    siblings candidates of each other (about two in five candidate pairs, at no
    gain: the keys on the date of birth already carry those names).
    """
    postcode = features.postcode
    if features.dob:
        yield f"pd:{postcode}:{features.dob}"
    if features.given:
        yield f"pg:{postcode}:{_sound(features.given)}"


def candidate_keys(records: Sequence[LinkageRecord]) -> frozenset[str]:
    """Every blocking key of several records (a child held from several sources)."""
    return frozenset(key for record in records for key in blocking_keys(record))
