"""Identifiers issued to synthetic children are valid, never repeat, and stay in safe ranges."""

import random

from contactpoint.identifiers.contactpoint_id import is_valid_contactpoint_id
from contactpoint.identifiers.nhs_number import is_valid_nhs_number
from contactpoint.identifiers.upn import is_valid_upn
from contactpoint.synth import issuers


def test_a_permutation_visits_every_number_once_and_then_stops():
    walk = issuers._Permutation(random.Random(1), 1000)  # noqa: SLF001 - the core of every issuer
    seen = [walk.next() for _ in range(1000)]
    assert sorted(seen) == list(range(1000))  # type: ignore[type-var]
    assert walk.next() is None


def test_nhs_numbers_come_from_the_test_range_valid_and_unique():
    issuer = issuers.NhsNumberIssuer(random.Random(2), demand=20_000)
    numbers = [issuer.issue() for _ in range(20_000)]
    assert all(
        number and number.startswith("999") and is_valid_nhs_number(number) for number in numbers
    )
    assert len(set(numbers)) == len(numbers)


def test_contactpoint_ids_are_valid_and_unique():
    issuer = issuers.ContactPointIdIssuer(random.Random(3))
    ids = [issuer.issue() for _ in range(20_000)]
    assert all(is_valid_contactpoint_id(value) for value in ids)
    assert len(set(ids)) == len(ids)


def test_upns_are_valid_unique_and_issued_under_no_real_councils_number():
    issuer = issuers.UpnIssuer()
    upns = [issuer.issue(la_index=0, establishment=2001, year=2019) for _ in range(2500)]
    assert all(is_valid_upn(upn) for upn in upns)
    assert len(set(upns)) == len(upns)
    assert {upn[1:4] for upn in upns} == {"100"}


def test_beyond_the_test_range_nhs_numbers_are_rationed_across_the_population():
    demand = 2 * issuers.NHS_TEST_RANGE_CAPACITY
    issuer = issuers.NhsNumberIssuer(random.Random(4), demand=demand)
    first = [issuer.issue() for _ in range(10_000)]
    without = sum(number is None for number in first)
    assert 4_500 < without < 5_500  # about half, from the start rather than at the end
    assert issuer.exhausted == without
