"""Undo's note of confirmed records: runs of consecutive ids that had the same date before."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from contactpoint.feeds.records import confirmation_runs

BEFORE = dt.date(2026, 11, 20)


def test_consecutive_ids_with_the_same_date_before_make_one_run():
    confirmed = [(12, None), (10, None), (11, None), (13, BEFORE), (15, None)]
    assert confirmation_runs(confirmed) == [
        {"first_record_id": 10, "last_record_id": 12, "previous_confirmed_on": None},
        {"first_record_id": 15, "last_record_id": 15, "previous_confirmed_on": None},
        {"first_record_id": 13, "last_record_id": 13, "previous_confirmed_on": BEFORE},
    ]


@given(
    st.dictionaries(
        st.integers(min_value=1, max_value=200),
        st.sampled_from([None, BEFORE, BEFORE + dt.timedelta(days=3)]),
        max_size=80,
    )
)
def test_the_runs_give_back_exactly_each_record_and_its_date_before(confirmed):
    runs = [
        (run["first_record_id"], run["last_record_id"], run["previous_confirmed_on"])
        for run in confirmation_runs(list(confirmed.items()))
    ]
    expanded = {
        record_id: before for first, last, before in runs for record_id in range(first, last + 1)
    }
    assert expanded == confirmed
    assert sum(last - first + 1 for first, last, _ in runs) == len(confirmed)  # no overlaps
    # Maximal: no run goes on straight into another of the same date.
    ends = {(last, before) for _, last, before in runs}
    assert not any((first - 1, before) in ends for first, _, before in runs)
