"""Fixtures for the access tests: a relying party for passkeys, and the clock."""

from __future__ import annotations

import pytest

from contactpoint.access.passkeys import RelyingParty

from factories import NOW


@pytest.fixture
def relying_party() -> RelyingParty:
    return RelyingParty(id="localhost", name="ContactPoint", origin="http://localhost:8000")


@pytest.fixture
def now():
    return NOW
