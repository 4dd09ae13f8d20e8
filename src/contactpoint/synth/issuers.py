"""Identifiers issued to the synthetic population, unique by construction.

Random draws would collide (a million draws from the NHS test range repeat tens
of thousands of numbers), and remembering every issued number costs memory. So
each issuer walks a seeded permutation of its number space instead: an affine
map ``(step * index + offset) mod size`` with ``step`` coprime to ``size``
visits every number once.
"""

from __future__ import annotations

import math
import random
from typing import Final

from contactpoint.identifiers.contactpoint_id import damm_check_digit
from contactpoint.identifiers.nhs_number import nhs_check_digit
from contactpoint.identifiers.upn import upn_check_letter

NHS_TEST_RANGE_PREFIX: Final = "999"
NHS_TEST_RANGE_STEMS: Final = 1_000_000  # 999 000 000 to 999 999 999
# About one stem in eleven has no check digit, so the range holds about 909,091
# numbers; this is a little under that, so the estimate never promises too many.
NHS_TEST_RANGE_CAPACITY: Final = 909_000
CONTACTPOINT_ID_BODIES: Final = 90_000_000_000  # eleven digits, not starting with 0
UPN_SERIALS: Final = 1000
# DfE local-authority numbers 100-199 belong to no council, so synthetic UPNs
# issued under them can never equal a real pupil's (UPNs have no test range).
SYNTHETIC_UPN_LA_CODE_BASE: Final = 100


class _Permutation:
    """A seeded walk through ``range(size)`` that visits each number once."""

    def __init__(self, rng: random.Random, size: int) -> None:
        step = rng.randrange(1, size)
        while math.gcd(step, size) != 1:
            step = rng.randrange(1, size)
        self._step, self._offset, self._size = step, rng.randrange(size), size
        self._index = 0

    def next(self) -> int | None:
        """The next number, or None once every number has been given out."""
        if self._index >= self._size:
            return None
        value = (self._step * self._index + self._offset) % self._size
        self._index += 1
        return value


class NhsNumberIssuer:
    """NHS numbers from the test range, each issued at most once.

    When more children are expected (``demand``) than the range holds, numbers
    are rationed at random across the whole population, rather than running
    out for the last children made; ``exhausted`` counts the children left
    without one.
    """

    def __init__(self, rng: random.Random, *, demand: int) -> None:
        self._rng = rng
        self._stems = _Permutation(rng, NHS_TEST_RANGE_STEMS)
        self._demand = demand
        self._capacity = NHS_TEST_RANGE_CAPACITY
        self.exhausted = 0

    def issue(self) -> str | None:
        demand, capacity = self._demand, self._capacity
        self._demand = max(0, demand - 1)
        if demand > capacity and self._rng.random() * demand >= capacity:
            self.exhausted += 1
            return None
        self._capacity = max(0, capacity - 1)
        return self._next_number()

    def _next_number(self) -> str | None:
        while (suffix := self._stems.next()) is not None:
            stem = f"{NHS_TEST_RANGE_PREFIX}{suffix:06d}"
            check = nhs_check_digit(stem)
            if check is not None:
                return f"{stem}{check}"
        self.exhausted += 1
        return None


class ContactPointIdIssuer:
    """ContactPoint IDs (eleven digits and a Damm check digit), never repeated."""

    def __init__(self, rng: random.Random) -> None:
        self._bodies = _Permutation(rng, CONTACTPOINT_ID_BODIES)

    def issue(self) -> str:
        value = self._bodies.next()
        if value is None:
            raise RuntimeError("every ContactPoint ID has been issued")
        body = str(10_000_000_000 + value)
        return f"{body}{damm_check_digit(body)}"


class UpnIssuer:
    """Permanent UPNs: issuing LA, establishment, year, and a serial counted per school and year."""

    def __init__(self) -> None:
        self._serials: dict[tuple[int, int, int], int] = {}

    def issue(self, *, la_index: int, establishment: int, year: int) -> str:
        la_code = SYNTHETIC_UPN_LA_CODE_BASE + la_index
        year %= 100
        key = (la_code, establishment, year)
        serial = self._serials.get(key, 0)
        while serial >= UPN_SERIALS:  # a full cohort: borrow the next year's numbers
            year = (year + 1) % 100
            key = (la_code, establishment, year)
            serial = self._serials.get(key, 0)
        self._serials[key] = serial + 1
        body = f"{la_code:03d}{establishment:04d}{year:02d}{serial:03d}"
        return upn_check_letter(body) + body
