"""Each source error is small, plausible, and changes only what it says it changes."""

import datetime as dt
import random
import string

from hypothesis import given
from hypothesis import strategies as st

from contactpoint.identifiers.nhs_number import is_valid_nhs_number
from contactpoint.identifiers.postcode import normalise_postcode
from contactpoint.synth import noise
from contactpoint.synth.names import NICKNAMES

seeds = st.integers(min_value=0, max_value=2**32)
# Letters of the names we draw: ASCII and the accented Latin letters of Faker's lists.
letters = st.sampled_from(string.ascii_letters + "àáâäçèéêëíîïñóôöùúûüýłśźżćńęąşğÀÁÉÍÓÚÑŁŚŻ")
names = st.text(alphabet=letters, min_size=1, max_size=20).map(str.capitalize)
dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31))


def edit_distance(first: str, second: str) -> int:
    """Levenshtein distance: substitutions, insertions and deletions."""
    previous = list(range(len(second) + 1))
    for row, char in enumerate(first, start=1):
        current = [row]
        for column, other in enumerate(second, start=1):
            cost = 0 if char == other else 1
            current.append(min(previous[column] + 1, current[-1] + 1, previous[column - 1] + cost))
        previous = current
    return previous[-1]


def is_adjacent_swap(first: str, second: str) -> bool:
    if len(first) != len(second):
        return False
    differ = [
        index for index, (one, two) in enumerate(zip(first, second, strict=True)) if one != two
    ]
    return (
        len(differ) == 2
        and differ[1] == differ[0] + 1
        and first[differ[0]] == second[differ[1]]
        and first[differ[1]] == second[differ[0]]
    )


@given(seeds, names)
def test_a_typo_is_one_edit_or_a_swap_of_adjacent_letters(seed, name):
    typed = noise.typo(random.Random(seed), name)
    folded, original = typed.casefold(), name.casefold()
    assert typed != name
    assert edit_distance(folded, original) == 1 or is_adjacent_swap(folded, original)


@given(seeds, names)
def test_a_typo_keeps_the_name_non_empty_and_its_capital(seed, name):
    typed = noise.typo(random.Random(seed), name)
    assert typed
    assert typed[0].isupper() == name[0].isupper()


@given(dates)
def test_swapping_day_and_month_gives_another_valid_date_or_nothing(born):
    swapped = noise.transpose_day_and_month(born)
    if swapped is None:
        assert born.day > 12 or born.day == born.month
    else:
        assert swapped != born
        assert (swapped.day, swapped.month, swapped.year) == (born.month, born.day, born.year)


@given(seeds, dates)
def test_a_misrecorded_date_of_birth_is_wrong_but_close_and_never_after_the_extract(seed, born):
    latest = dt.date(2031, 1, 1)
    wrong = noise.misrecord_date_of_birth(random.Random(seed), born, latest=latest)
    assert wrong != born
    assert wrong <= latest
    swapped = noise.transpose_day_and_month(born)
    assert wrong == swapped or abs((wrong - born).days) <= 366


@given(seeds)
def test_a_misrecorded_date_of_birth_never_falls_after_the_extract_date(seed):
    today = dt.date(2026, 1, 15)
    wrong = noise.misrecord_date_of_birth(random.Random(seed), today, latest=today)
    assert wrong < today


@given(names, st.lists(names, max_size=2))
def test_swapping_given_and_middle_names_keeps_every_name(first, middles):
    swapped_given, swapped_middles = noise.swap_given_and_middle(first, tuple(middles))
    assert sorted([swapped_given, *swapped_middles]) == sorted([first, *middles])
    if middles:
        assert swapped_given == middles[0]


@given(seeds, names, names)
def test_a_double_barrelled_name_loses_at_most_one_half_or_its_hyphen(seed, first, second):
    family = f"{first}-{second}"
    varied = noise.vary_double_barrelled(random.Random(seed), family)
    assert varied in {family, first, second, f"{first} {second}"}


@given(seeds, names)
def test_a_single_family_name_is_never_cut(seed, family):
    assert noise.vary_double_barrelled(random.Random(seed), family) == family


@given(seeds)
def test_an_apostrophe_is_dropped_spaced_or_curled(seed):
    assert noise.vary_apostrophe(random.Random(seed), "O'Brien") in {
        "OBrien", "O Brien", "O\u2019Brien",
    }  # fmt: skip


def test_stripping_accents_leaves_ascii_for_the_names_we_draw():
    for name, plain in [
        ("Zoë", "Zoe"),
        ("Łukasz", "Lukasz"),
        ("Siobhán", "Siobhan"),
        ("Y\u0131ld\u0131r\u0131m", "Yildirim"),
    ]:
        assert noise.strip_accents(name) == plain


@given(seeds, st.sampled_from(sorted(NICKNAMES)), st.lists(names, max_size=2))
def test_a_pupil_with_a_short_form_is_known_by_one(seed, formal, middles):
    known_as, kept = noise.preferred_names(random.Random(seed), formal, tuple(middles))
    assert known_as in NICKNAMES[formal]
    assert kept == tuple(middles)


@given(seeds, names)
def test_a_pupil_without_a_short_form_is_known_by_the_first_middle_name(seed, middle):
    known_as, kept = noise.preferred_names(random.Random(seed), "Xanthe", (middle, "Rose"))
    assert (known_as, kept) == (middle, ("Rose",))


@given(seeds, st.sampled_from(["OX2 7JD", "SW1A 1AA", "B1 1AA", "M60 2LA"]))
def test_a_reformatted_postcode_is_the_same_postcode(seed, postcode):
    varied = noise.vary_postcode_format(random.Random(seed), postcode)
    assert varied != postcode
    assert normalise_postcode(varied) == postcode


@given(seeds, st.sampled_from(["9434765919", "9990000018", "9997654323"]))
def test_a_mistyped_nhs_number_always_fails_its_check(seed, number):
    assert is_valid_nhs_number(number)
    mistyped = noise.mistype_nhs_number(random.Random(seed), number)
    assert len(mistyped) == 10
    assert mistyped != number
    assert not is_valid_nhs_number(mistyped)


def test_substitutions_mostly_hit_a_neighbouring_key():
    rng = random.Random(5)
    neighbours = 0
    substitutions = 0
    for _ in range(2000):
        typed = noise.typo(rng, "Kate")
        if len(typed) == 4 and not is_adjacent_swap(typed.casefold(), "kate"):
            substitutions += 1
            index = next(
                i for i, (a, b) in enumerate(zip(typed.lower(), "kate", strict=True)) if a != b
            )
            neighbours += typed[index].lower() in noise.KEYBOARD_NEIGHBOURS["kate"[index]]
    assert neighbours / substitutions > noise.KEYBOARD_SUBSTITUTION_SHARE
