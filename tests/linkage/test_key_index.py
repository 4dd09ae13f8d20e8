"""Blocking keys are indexed as stable signed 64-bit hashes."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from contactpoint.linkage.index import key_hash
from contactpoint.linkage.records import blocking_keys, linkage_record
from contactpoint.vocabulary import Gender

SIGNED_64 = range(-(2**63), 2**63)


def test_a_key_hashes_the_same_in_every_process_and_release():
    # Fixed: the index and migration 0007 hold these values; a change would lose every key.
    assert key_hash("n:9990000018") == -6498380190841593878


@given(st.text(max_size=80))
def test_every_key_hashes_into_a_signed_bigint_and_deterministically(key):
    assert key_hash(key) in SIGNED_64
    assert key_hash(key) == key_hash(str(key))


@given(st.sets(st.text(min_size=1, max_size=40), min_size=2, max_size=50))
def test_distinct_keys_hash_apart(keys):
    assert len({key_hash(key) for key in keys}) == len(keys)


def test_with_the_postcode_only_the_first_given_name_is_keyed():
    """Siblings share a postcode: keys there on middle names would pair them up."""
    child = linkage_record(given_name="Oliver", middle_names="Jack", family_name="Hughes",
                           date_of_birth=dt.date(2016, 3, 2), postcode="OX2 6GG")  # fmt: skip
    sibling = linkage_record(given_name="Jack", family_name="Hughes",
                             date_of_birth=dt.date(2018, 5, 9), postcode="OX2 6GG")  # fmt: skip
    assert [key for key in blocking_keys(child) if key.startswith("pg:")] == ["pg:OX2 6GG:O416"]
    assert not blocking_keys(child) & blocking_keys(sibling)
    moved = linkage_record(given_name="Ollie", family_name="Hughes-Patel",
                           date_of_birth=dt.date(2016, 3, 2), postcode="OX2 6GG")  # fmt: skip
    assert blocking_keys(child) & blocking_keys(moved)  # the same child: the date still finds it


def test_the_widest_keys_carry_the_gender_and_a_record_of_unknown_gender_carries_both():
    """Year of birth and whole date with a given name only: halved by the gender.

    A record whose gender is not known must still meet boys and girls alike.
    """
    born = dt.date(2016, 3, 2)

    def widest(gender: Gender) -> set[str]:
        record = linkage_record(given_name="Sam", family_name="Hughes", date_of_birth=born,
                                gender=gender)  # fmt: skip
        return {key for key in blocking_keys(record) if key.startswith(("ygf:", "dbg:"))}

    boy, girl, unknown = widest(Gender.MALE), widest(Gender.FEMALE), widest(Gender.NOT_KNOWN)
    assert boy
    assert girl
    assert not boy & girl
    assert boy | girl == unknown
