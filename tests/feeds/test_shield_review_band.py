"""A record scoring in the review band against a shielded child, sharing no number with it,
is held on a provisional child that is shielded from the start."""

from __future__ import annotations

from sqlalchemy import select
from test_shield_safety import (
    AMELIA,
    BARE_COLUMNS,
    loads,  # noqa: F401 - the fixture
    new_children_and_shields,
    shield_the_child_of,
)

from contactpoint.linkage.models import ReviewItem
from contactpoint.vocabulary import ShieldReason

from feed_files import child_csv


def test_a_record_in_the_review_band_of_a_shielded_child_is_held_on_a_shielded_child(loads):  # noqa: F811 - the fixture
    bare = {**AMELIA, **dict.fromkeys(BARE_COLUMNS, "")}  # no NHS number, no UPN
    loads.load("health", child_csv(bare))
    shielded = shield_the_child_of(loads, "H1", ShieldReason.RISK_OF_SIGNIFICANT_HARM)
    nearly = {**bare, "record_id": "S1", "date_of_birth": "2014-07-22", "postcode": "OX1 1AA"}

    report = loads.load("school_census", child_csv(nearly))

    assert report.counts["held_for_review"] == 1, report.counts
    (provisional,), shields = new_children_and_shields(loads, shielded)
    assert provisional in shields
    with loads.sessions() as session:
        item = session.scalar(select(ReviewItem))
        assert item is not None
        assert (item.provisional_child_id, item.candidate_child_id) == (provisional, shielded)


def test_the_same_record_without_a_shield_is_held_on_an_unshielded_child(loads):  # noqa: F811 - the fixture
    bare = {**AMELIA, **dict.fromkeys(BARE_COLUMNS, "")}
    loads.load("health", child_csv(bare))
    nearly = {**bare, "record_id": "S1", "date_of_birth": "2014-07-22", "postcode": "OX1 1AA"}

    report = loads.load("school_census", child_csv(nearly))

    assert report.counts["held_for_review"] == 1, report.counts
    _, shields = new_children_and_shields(loads, -1)
    assert shields == set()
