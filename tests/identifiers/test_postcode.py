"""UK postcodes: format validation, normalisation, parts and synthetic postcodes."""

import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contactpoint.identifiers import InvalidIdentifierError
from contactpoint.identifiers.postcode import (
    generate_postcode,
    is_valid_postcode,
    normalise_postcode,
    outward_code,
    postcode_sector,
)

FIRST = "ABCDEFGHIJKLMNOPRSTUWYZ"
SECOND = "ABCDEFGHKLMNOPQRSTUVWXY"
THIRD = "ABCDEFGHJKPSTUW"
FOURTH = "ABEHMNPRVWXY"
INWARD = "ABDEFGHJLNPQRSTUWXYZ"
DIGITS = "0123456789"

CANONICAL = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}")


def letters_from(alphabet: str, size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=size, max_size=size)


areas = st.one_of(
    letters_from(FIRST, 1), st.builds(str.__add__, letters_from(FIRST, 1), letters_from(SECOND, 1))
)
districts = st.one_of(
    letters_from(DIGITS, 1),
    letters_from(DIGITS, 2),
)
outward_codes = st.one_of(
    st.builds(str.__add__, areas, districts),
    st.builds(
        lambda a, d, e: a + d + e,
        letters_from(FIRST, 1),
        letters_from(DIGITS, 1),
        letters_from(THIRD, 1),
    ),
    st.builds(
        lambda a, d, e: a + d + e,
        st.builds(str.__add__, letters_from(FIRST, 1), letters_from(SECOND, 1)),
        letters_from(DIGITS, 1),
        letters_from(FOURTH, 1),
    ),
)
inward_codes = st.builds(str.__add__, letters_from(DIGITS, 1), letters_from(INWARD, 2))
valid_postcodes = st.one_of(
    st.builds(lambda outward, inward: f"{outward} {inward}", outward_codes, inward_codes),
    st.just("GIR 0AA"),
)
whitespace = st.text(alphabet=" \t\u00a0", max_size=3)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ox2r0jd", "OX2R 0JD"),
        (" SW1A  1aa ", "SW1A 1AA"),
        ("M1 1AE", "M1 1AE"),
        ("M60 1NW", "M60 1NW"),
        ("CR2 6XH", "CR2 6XH"),
        ("DN55 1PT", "DN55 1PT"),
        ("W1A 1HQ", "W1A 1HQ"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("ec1v9hq", "EC1V 9HQ"),
        ("gir 0aa", "GIR 0AA"),
        ("SW1A\t1AA\n", "SW1A 1AA"),
    ],
)
def test_a_valid_postcode_normalises_to_capitals_with_one_space(value, expected):
    assert normalise_postcode(value) == expected
    assert is_valid_postcode(value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "is blank"),
        ("SW1A-1AA", "should contain only letters, digits and spaces, not '-'"),
        ("SW 1A", "should have 5 to 7 letters and digits, not 4"),
        ("SW1A1 1AA", "should have 5 to 7 letters and digits, not 8"),
        ("QX1 1AA", "no postcode starts with Q, V or X"),
        ("VA1 1AA", "no postcode starts with Q, V or X"),
        ("AI1 1AA", "I, J and Z are never the second letter"),
        ("AZ11 1AA", "I, J and Z are never the second letter"),
        ("A1I 1AA", "ends with one of ABCDEFGHJKPSTUW, not I"),
        ("AB1C 1AA", "ends with one of ABEHMNPRVWXY, not C"),
        ("SW1A 1CA", "C, I, K, M, O and V are never among the last two letters"),
        ("SW1A 1AV", "C, I, K, M, O and V are never among the last two letters"),
        ("1A1 1AA", "should look like one of A9, A99, AA9, AA99, A9A, AA9A, not 9A9"),
        ("SW1A AAA", "the last three characters should look like 9AA, not AAA"),
        ("GIR 0AB", "should look like one of"),
    ],
)
def test_an_invalid_postcode_is_rejected_with_a_reason(value, reason):
    with pytest.raises(InvalidIdentifierError, match=re.escape(reason)):
        normalise_postcode(value)
    assert not is_valid_postcode(value)


def test_a_message_about_a_malformed_postcode_does_not_repeat_the_value():
    with pytest.raises(InvalidIdentifierError) as raised:
        normalise_postcode("Smith")
    assert "smith" not in str(raised.value).lower()


def test_the_outward_code_and_sector_are_parts_of_the_normalised_postcode():
    assert outward_code("sw1a1aa") == "SW1A"
    assert postcode_sector("sw1a1aa") == "SW1A 1"
    assert outward_code("M1 1AE") == "M1"
    assert postcode_sector("M1 1AE") == "M1 1"


def test_the_parts_of_an_invalid_postcode_are_refused():
    with pytest.raises(InvalidIdentifierError):
        outward_code("not a postcode")
    with pytest.raises(InvalidIdentifierError):
        postcode_sector("QX1 1AA")


@given(valid_postcodes)
def test_every_postcode_of_a_uk_format_is_valid(postcode):
    assert normalise_postcode(postcode) == postcode
    assert postcode == "GIR 0AA" or CANONICAL.fullmatch(postcode)


@given(valid_postcodes)
def test_the_outward_code_and_sector_rebuild_the_postcode(postcode):
    assert postcode == f"{outward_code(postcode)} {postcode.split(' ')[1]}"
    assert postcode.startswith(postcode_sector(postcode))
    assert postcode_sector(postcode) == f"{outward_code(postcode)} {postcode[-3]}"


@given(st.integers())
def test_every_generated_postcode_is_valid(seed):
    postcode = generate_postcode(random.Random(seed))
    assert normalise_postcode(postcode) == postcode


@given(st.integers(), areas)
def test_a_postcode_generated_in_an_area_is_valid_and_in_that_area(seed, area):
    postcode = generate_postcode(random.Random(seed), area=area.lower())
    assert normalise_postcode(postcode) == postcode
    assert re.fullmatch(rf"{area}[0-9].*", postcode)


@pytest.mark.parametrize("area", ["", "Q", "OXF", "XA", "AI", "O1", "\u0131"])
def test_generating_a_postcode_in_an_impossible_area_raises(area):
    with pytest.raises(ValueError, match="is not a postcode area"):
        generate_postcode(random.Random(0), area=area)


@given(st.one_of(valid_postcodes, st.text()))
def test_normalising_a_postcode_is_idempotent(value):
    try:
        normalised = normalise_postcode(value)
    except InvalidIdentifierError:
        return
    assert normalise_postcode(normalised) == normalised


@given(
    valid_postcodes,
    st.lists(st.booleans(), min_size=8, max_size=8),
    st.lists(whitespace, min_size=9, max_size=9),
)
def test_a_postcode_normalises_the_same_whatever_its_case_and_spacing(postcode, uppers, gaps):
    recased = "".join(
        char.lower() if upper else char for char, upper in zip(postcode, uppers, strict=False)
    )
    spaced = (
        "".join(gap + char for gap, char in zip(gaps, recased.replace(" ", ""), strict=False))
        + gaps[-1]
    )
    assert normalise_postcode(spaced) == postcode


def outcome(value: str) -> str | None:
    try:
        return normalise_postcode(value)
    except InvalidIdentifierError:
        return None


@given(st.text(alphabet=st.characters(codec="ascii")), st.integers(0, 10), whitespace)
def test_case_and_whitespace_never_change_whether_text_is_a_postcode(text, position, gap):
    # ASCII only: beyond it, upper() can turn a non-ASCII letter (such as the
    # dotless i) into an ASCII one, and such text is rightly rejected before it.
    expected = outcome(text)
    assert outcome(text.upper()) == expected
    assert outcome(text.lower()) == expected
    assert outcome(text[:position] + gap + text[position:]) == expected


@given(st.text())
def test_any_text_is_either_rejected_or_normalises_to_a_valid_postcode(text):
    normalised = outcome(text)
    if normalised is not None:
        assert is_valid_postcode(normalised)
        assert normalised == "GIR 0AA" or CANONICAL.fullmatch(normalised)
