"""Known answer: every pair within a block scored against the synthetic truth."""

import itertools
from collections import defaultdict

import pytest

from contactpoint.linkage import DEFAULT_THRESHOLDS, Model, blocking_keys

pytestmark = pytest.mark.slow


def _pairs(groups):
    return {pair for members in groups for pair in itertools.combinations(sorted(members), 2)}


def test_pairwise_precision_and_recall_within_blocks_and_no_twin_merges(synthetic_extracts):
    extracts = synthetic_extracts
    model = Model.default()
    blocks = defaultdict(set)
    for index, record in enumerate(extracts.records):
        for key in blocking_keys(record):
            blocks[key].add(index)
    candidates = _pairs(blocks.values())
    people = defaultdict(set)
    for index, person in enumerate(extracts.persons):
        people[person].add(index)
    true_pairs = _pairs(people.values())
    linked = {
        (a, b)
        for a, b in candidates
        if model.score(extracts.records[a], extracts.records[b]).match_weight
        >= DEFAULT_THRESHOLDS.link
    }
    found = len(linked & true_pairs)
    precision, recall = found / len(linked), found / len(true_pairs)
    print(  # noqa: T201 - the figures are the point
        f"\nblocking recall {len(candidates & true_pairs) / len(true_pairs):.4f}, "
        f"{len(candidates)} candidate pairs; at the link threshold: "
        f"precision {precision:.4f}, recall {recall:.4f}"
    )
    assert precision > 0.99
    assert recall > 0.97
    twin_merges = [
        (a, b) for a, b in linked - true_pairs if _twins(extracts.records[a], extracts.records[b])
    ]
    assert twin_merges == []


def _twins(left, right):
    """Different children born the same day to one family at one address."""
    a, b = left.features, right.features
    same_home = (a.postcode and a.postcode == b.postcode) or (a.address and a.address == b.address)
    return a.dob == b.dob and not a.family_all.isdisjoint(b.family_all) and bool(same_home)
