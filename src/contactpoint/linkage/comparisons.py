"""The comparisons of the linkage model: for each, its levels, best first, and how to pick one.

Each comparison is written twice, on purpose: a Python function that scores a
pair fast, and the same rule as Splink SQL (DuckDB dialect) over the same
feature columns (:class:`~contactpoint.linkage.records.Features`), so that
Splink trains the very levels that are scored, and its predictions can be
checked against ours. Level 0 of each comparison is its null level (a value
missing on either side), which carries no weight; the levels after it are tried
in order and the first that holds is the pair's level. The last level of each
comparison (``other``) always holds.

A level's default m and u are sensible starting points for training; the
shipped model replaces them with trained values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from rapidfuzz.distance import OSA, JaroWinkler

if TYPE_CHECKING:
    from collections.abc import Callable

    from contactpoint.linkage.records import Features

SIMILAR_NAME: Final = 0.88  # Jaro-Winkler similarity at or above which names are "similar"
# Twins and siblings share a date of birth, a family name, an address and carers,
# and by independence those alone would outweigh anything; clearly different
# given names must outweigh them all, so that such children are never linked.
DIFFERENT_GIVEN_NAME_WEIGHT: Final = -50.0
# NHS numbers and UPNs are assigned one to a child, and feeds reject a number
# whose check digit fails, so two valid numbers that differ by more than a slip
# of one or two characters belong to two children. Unlabelled training cannot
# see that: the pairs it takes for matches include siblings and namesakes, whose
# numbers differ, and it learned a disagreement to be worth only about -3. We
# assume no more than about one child in 30,000 carries a second valid number
# (a duplicate registration), and cap the weight there: -15 outweighs a shared
# name, date of birth and family name, never a whole record that agrees.
DIFFERENT_IDENTIFIER_WEIGHT: Final = -15.0
_NOT_SAME_LENGTH: Final = 99
_PREFIX_SHORTEST: Final = 3


@dataclass(frozen=True, slots=True)
class Level:
    name: str
    sql: str  # the Splink condition, over columns suffixed _l and _r
    m: float  # defaults, replaced by training
    u: float
    fixed_weight: float | None = None  # training keeps m at u * 2**fixed_weight
    weight_at_most: float | None = None  # m is lowered to u * 2**weight_at_most if above it


@dataclass(frozen=True, slots=True)
class Comparison:
    name: str
    columns: tuple[str, ...]
    levels: tuple[Level, ...]  # levels[0] is the null level
    level_of: Callable[[Features, Features], int]

    @property
    def level_names(self) -> tuple[str, ...]:
        return tuple(level.name for level in self.levels)


def _differing(left: str, right: str) -> int:
    """How many characters differ between two strings of one length (Hamming distance)."""
    if len(left) != len(right):
        return _NOT_SAME_LENGTH
    return sum(1 for a, b in zip(left, right, strict=True) if a != b)


def _hamming_sql(column: str) -> str:
    return (
        f"(CASE WHEN length({column}_l) = length({column}_r) "
        f"THEN hamming({column}_l, {column}_r) ELSE {_NOT_SAME_LENGTH} END)"
    )


def _null_sql(column: str) -> str:
    return f"{column}_l = '' OR {column}_r = ''"


# Given and family names swapped ----------------------------------------------------------------
# Forms filled in by hand, and systems that order names differently (family name
# first, as in Chinese, Korean, Hungarian or Vietnamese naming), put a child's
# given name in the family name field and the family name in the given name
# field. Twins and siblings share a family name, and a swap needs the family
# names to differ, so this level never joins twins.


def _similar_names(left: str, right: str) -> bool:
    """The same name, or one typo apart, or similar (neither an initial)."""
    if left == right:
        return True
    if len(left) < 2 or len(right) < 2:  # noqa: PLR2004 - an initial is not a name
        return False
    return (
        OSA.distance(left, right, score_cutoff=1) <= 1
        or JaroWinkler.similarity(left, right) >= SIMILAR_NAME
    )


def names_swapped(a: Features, b: Features) -> bool:
    """One's given name is the other's family name and the other way round (typos allowed)."""
    if not (a.given and a.family and b.given and b.family) or a.family == b.family:
        return False
    return _similar_names(a.given, b.family) and _similar_names(a.family, b.given)


def _similar_names_sql(left: str, right: str) -> str:
    return (
        f"({left} = {right} OR (length({left}) > 1 AND length({right}) > 1"
        f" AND (damerau_levenshtein({left}, {right}) <= 1"
        f" OR jaro_winkler_similarity({left}, {right}) >= {SIMILAR_NAME})))"
    )


def _name_sql(side: str, part: int) -> str:
    return f"split_part(given_and_family_{side}, '|', {part})"


_NAMES_SWAPPED = (
    "given_and_family_l <> '' AND given_and_family_r <> ''"
    f" AND {_name_sql('l', 2)} <> {_name_sql('r', 2)}"
    f" AND {_similar_names_sql(_name_sql('l', 1), _name_sql('r', 2))}"
    f" AND {_similar_names_sql(_name_sql('l', 2), _name_sql('r', 1))}"
)


# Given names -----------------------------------------------------------------------------------


def _is_prefix(short: str, long: str) -> bool:
    return len(short) >= _PREFIX_SHORTEST and long.startswith(short)


def _middle_names_differ(a: Features, b: Features) -> bool:
    """Both have middle names, none shared, and the given names are not swapped with them.

    A child known by a middle name is recorded as Theo Toby one day and Toby
    Theo the next: each given name is among the other's middle names. When only
    one is (Toby Theo and Theo Finn, Sienna Iris and Iris Rachael), the records
    name two children who share a name, as twins often do. Names are compared
    allowing one typo (Isla Elizabeth and Elizabeth Isdla are one child).
    """
    return (
        bool(a.middles)
        and bool(b.middles)
        and a.middle_variants.isdisjoint(b.middle_variants)
        and not (
            not a.given_variants.isdisjoint(b.middle_variants)
            and not b.given_variants.isdisjoint(a.middle_variants)
        )
    )


def given_name_level(a: Features, b: Features) -> int:  # noqa: C901, PLR0911 - a level each
    left, right = a.given, b.given
    if not left or not right:
        return 0
    if left == right:
        return 1
    if names_swapped(a, b):
        return 2
    if a.gender and b.gender and a.gender != b.gender:
        # Near names of a boy and a girl (Jack and Jacqueline) are twins' names.
        return 8
    if _middle_names_differ(a, b):
        # So are near names with different middle names (Harrison Milo and Harry Muhammad).
        return 8
    if left in b.given_related or right in a.given_related:
        return 3
    if _is_prefix(left, right) or _is_prefix(right, left):
        return 3
    if left in b.middles or right in a.middles:
        return 4
    if len(left) > 1 and len(right) > 1:
        if OSA.distance(left, right, score_cutoff=1) <= 1:
            return 5
        if JaroWinkler.similarity(left, right) >= SIMILAR_NAME:
            return 6
    elif left[0] == right[0]:
        return 7
    return 8


_BOTH_LONGER_THAN_INITIAL = "length(given_l) > 1 AND length(given_r) > 1"
# Near names are not evidence for a match when gender or middle names say twins.
_NOT_TWINS_NAMES = (
    "NOT (gender_l <> '' AND gender_r <> '' AND gender_l <> gender_r)"
    " AND NOT (len(middles_l) > 0 AND len(middles_r) > 0"
    " AND NOT list_has_any(middle_variants_l, middle_variants_r)"
    " AND NOT (list_has_any(given_variants_l, middle_variants_r)"
    " AND list_has_any(given_variants_r, middle_variants_l)))"
)
GIVEN_NAME: Final = Comparison(
    name="given_name",
    columns=(
        "given",
        "given_related",
        "middles",
        "gender",
        "given_and_family",
        "given_variants",
        "middle_variants",
    ),
    levels=(
        Level("null", _null_sql("given"), 1.0, 1.0),
        Level("exact", "given_l = given_r", 0.85, 0.01),
        # Carries the evidence of both names (the family name's swap level is
        # neutral): about as strong as a nickname and a part of a family name.
        # Synthetic extracts have no swaps, so training on them keeps these values.
        Level("swapped_with_family", _NAMES_SWAPPED, 0.002, 0.00002),
        Level(
            "nickname",
            f"{_NOT_TWINS_NAMES} AND ("
            "list_contains(given_related_r, given_l) OR list_contains(given_related_l, given_r)"
            " OR (length(given_l) >= 3 AND starts_with(given_r, given_l))"
            " OR (length(given_r) >= 3 AND starts_with(given_l, given_r))"
            ")",
            0.05,
            0.002,
        ),
        Level(
            "swapped_with_middle",
            f"{_NOT_TWINS_NAMES} AND ("
            "list_contains(middles_r, given_l) OR list_contains(middles_l, given_r)"
            ")",
            0.03,
            0.001,
        ),
        Level(
            "typo",
            f"{_NOT_TWINS_NAMES} AND ("
            f"{_BOTH_LONGER_THAN_INITIAL} AND damerau_levenshtein(given_l, given_r) <= 1"
            ")",
            0.03,
            0.002,
        ),
        Level(
            "similar",
            f"{_NOT_TWINS_NAMES} AND ("
            f"{_BOTH_LONGER_THAN_INITIAL} AND jaro_winkler_similarity(given_l, given_r)"
            f" >= {SIMILAR_NAME}"
            ")",
            0.01,
            0.01,
        ),
        Level(
            "initial",
            f"{_NOT_TWINS_NAMES} AND ("
            "(length(given_l) = 1 OR length(given_r) = 1) AND left(given_l, 1) = left(given_r, 1)"
            ")",
            0.01,
            0.001,
        ),
        Level("other", "ELSE", 0.02, 0.97, fixed_weight=DIFFERENT_GIVEN_NAME_WEIGHT),
    ),
    level_of=given_name_level,
)


# Family names ----------------------------------------------------------------------------------


def family_name_level(a: Features, b: Features) -> int:  # noqa: PLR0911 - one return per level
    left, right = a.family, b.family
    if not left or not right:
        return 0
    if left == right:
        return 1
    if names_swapped(a, b):
        return 2
    if not a.family_parts.isdisjoint(b.family_parts):
        return 3
    if not a.family_all.isdisjoint(b.family_all):
        return 4
    if OSA.distance(left, right, score_cutoff=1) <= 1:
        return 5
    if JaroWinkler.similarity(left, right) >= SIMILAR_NAME:
        return 6
    return 7


FAMILY_NAME: Final = Comparison(
    name="family_name",
    columns=("family", "family_parts", "family_all", "given_and_family"),
    levels=(
        Level("null", _null_sql("family"), 1.0, 1.0),
        Level("exact", "family_l = family_r", 0.9, 0.005),
        # Neutral: the given name's swap level weighs both names, once.
        Level("swapped_with_given", _NAMES_SWAPPED, 0.002, 0.002, fixed_weight=0.0),
        Level("part", "list_has_any(family_parts_l, family_parts_r)", 0.03, 0.0005),
        Level("former", "list_has_any(family_all_l, family_all_r)", 0.02, 0.0001),
        Level("typo", "damerau_levenshtein(family_l, family_r) <= 1", 0.02, 0.001),
        Level(
            "similar",
            f"jaro_winkler_similarity(family_l, family_r) >= {SIMILAR_NAME}",
            0.01,
            0.01,
        ),
        Level("other", "ELSE", 0.02, 0.98),
    ),
    level_of=family_name_level,
)


# Date of birth ---------------------------------------------------------------------------------

_YEAR_IN_DAYS: Final = 366


def date_of_birth_level(a: Features, b: Features) -> int:
    left, right = a.dob, b.dob
    if not left or not right:
        return 0
    if left == right:
        return 1
    if left[:4] == right[:4] and left[4:6] == right[6:8] and left[6:8] == right[4:6]:
        return 2
    apart = abs(a.dob_day - b.dob_day)
    if apart == 1 or _differing(left, right) == 1:
        return 3
    if apart <= _YEAR_IN_DAYS:
        return 4
    return 5


DATE_OF_BIRTH: Final = Comparison(
    name="date_of_birth",
    columns=("dob", "dob_day"),
    levels=(
        Level("null", _null_sql("dob"), 1.0, 1.0),
        Level("exact", "dob_l = dob_r", 0.97, 0.0003),
        Level(
            "day_and_month_transposed",
            "substr(dob_l, 1, 4) = substr(dob_r, 1, 4)"
            " AND substr(dob_l, 5, 2) = substr(dob_r, 7, 2)"
            " AND substr(dob_l, 7, 2) = substr(dob_r, 5, 2)",
            0.005,
            0.00001,
        ),
        Level(
            "one_digit_or_day",
            "abs(dob_day_l - dob_day_r) = 1 OR hamming(dob_l, dob_r) = 1",
            0.01,
            0.002,
        ),
        Level("within_a_year", f"abs(dob_day_l - dob_day_r) <= {_YEAR_IN_DAYS}", 0.01, 0.1),
        Level("other", "ELSE", 0.005, 0.9),
    ),
    level_of=date_of_birth_level,
)


# Gender ----------------------------------------------------------------------------------------


def gender_level(a: Features, b: Features) -> int:
    if not a.gender or not b.gender:
        return 0
    return 1 if a.gender == b.gender else 2


GENDER: Final = Comparison(
    name="gender",
    columns=("gender",),
    levels=(
        Level("null", _null_sql("gender"), 1.0, 1.0),
        Level("exact", "gender_l = gender_r", 0.98, 0.5),
        Level("other", "ELSE", 0.02, 0.5),
    ),
    level_of=gender_level,
)


# Postcode, address and carers -----------------------------------------------------------------
# One comparison, not three: the same postcode, address line and carers say
# "the same household" three times over, and counted as independent evidence
# they would outweigh the date of birth and given name that tell siblings apart.


def _same(left: str, right: str) -> bool:
    return bool(left) and left == right


def household_level(a: Features, b: Features) -> int:  # noqa: PLR0911 - one return per level
    same_carer = not a.carer_names.isdisjoint(b.carer_names)
    same_postcode = _same(a.postcode, b.postcode)
    same_line = _same(a.address, b.address)
    if same_postcode and same_line:
        return 1 if same_carer else 2
    if same_postcode:
        return 3
    if same_carer:
        return 4
    if same_line:
        return 5
    if _same(a.postcode_sector, b.postcode_sector):
        return 6
    if _same(a.postcode_district, b.postcode_district):
        return 7
    if not a.carer_family_names.isdisjoint(b.carer_family_names):
        return 8
    known = (a.postcode and b.postcode) or (a.address and b.address)
    if not known and not (a.carer_family_names and b.carer_family_names):
        return 0
    return 9


def _same_sql(column: str) -> str:
    return f"({column}_l <> '' AND {column}_l = {column}_r)"


_SAME_ADDRESS = f"{_same_sql('postcode')} AND {_same_sql('address')}"
_SAME_CARER = "list_has_any(carer_names_l, carer_names_r)"
# Splink tests the null level first: nothing agrees, and nothing is known on both sides.
_HOUSEHOLD_UNKNOWN = (
    f"NOT ({_same_sql('postcode_district')} OR {_same_sql('address')}"
    " OR list_has_any(carer_family_names_l, carer_family_names_r))"
    " AND NOT ((postcode_l <> '' AND postcode_r <> '') OR (address_l <> '' AND address_r <> '')"
    " OR (len(carer_family_names_l) > 0 AND len(carer_family_names_r) > 0))"
)
HOUSEHOLD: Final = Comparison(
    name="household",
    columns=(
        "postcode",
        "postcode_sector",
        "postcode_district",
        "address",
        "carer_names",
        "carer_family_names",
    ),
    levels=(
        Level("null", _HOUSEHOLD_UNKNOWN, 1.0, 1.0),
        Level("address_and_carer", f"{_SAME_ADDRESS} AND {_SAME_CARER}", 0.4, 0.0002),
        Level("address", _SAME_ADDRESS, 0.4, 0.0005),
        Level("postcode", _same_sql("postcode"), 0.05, 0.0005),
        Level("carer", _SAME_CARER, 0.05, 0.0005),
        Level("address_line", _same_sql("address"), 0.01, 0.001),
        Level("sector", _same_sql("postcode_sector"), 0.02, 0.004),
        Level("district", _same_sql("postcode_district"), 0.02, 0.05),
        Level(
            "carer_family_name",
            "list_has_any(carer_family_names_l, carer_family_names_r)",
            0.01,
            0.005,
        ),
        Level("other", "ELSE", 0.1, 0.94),
    ),
    level_of=household_level,
)


# Identifiers -----------------------------------------------------------------------------------


def nhs_number_level(a: Features, b: Features) -> int:
    if not a.nhs_number or not b.nhs_number:
        return 0
    if a.nhs_number == b.nhs_number:
        return 1
    differing = _differing(a.nhs_number, b.nhs_number)
    if differing == 1:
        return 2
    if differing == 2:  # noqa: PLR2004 - two digits
        return 3
    return 4


NHS_NUMBER: Final = Comparison(
    name="nhs_number",
    columns=("nhs_number",),
    levels=(
        Level("null", _null_sql("nhs_number"), 1.0, 1.0),
        Level("exact", "nhs_number_l = nhs_number_r", 0.98, 0.0001),
        Level("one_digit", f"{_hamming_sql('nhs_number')} = 1", 0.002, 0.00001),
        Level("two_digits", f"{_hamming_sql('nhs_number')} = 2", 0.002, 0.0001),
        Level("other", "ELSE", 0.016, 0.9998, weight_at_most=DIFFERENT_IDENTIFIER_WEIGHT),
    ),
    level_of=nhs_number_level,
)


def upn_level(a: Features, b: Features) -> int:
    if not a.upn or not b.upn:
        return 0
    if a.upn == b.upn:
        return 1
    return 2 if _differing(a.upn, b.upn) == 1 else 3


UPN: Final = Comparison(
    name="upn",
    columns=("upn",),
    levels=(
        Level("null", _null_sql("upn"), 1.0, 1.0),
        Level("exact", "upn_l = upn_r", 0.98, 0.0001),
        Level("one_character", f"{_hamming_sql('upn')} = 1", 0.002, 0.00001),
        Level("other", "ELSE", 0.018, 0.9999, weight_at_most=DIFFERENT_IDENTIFIER_WEIGHT),
    ),
    level_of=upn_level,
)


COMPARISONS: Final = (
    GIVEN_NAME,
    FAMILY_NAME,
    DATE_OF_BIRTH,
    GENDER,
    HOUSEHOLD,
    NHS_NUMBER,
    UPN,
)
