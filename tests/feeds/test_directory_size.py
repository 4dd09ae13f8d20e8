"""The directory's size for the model's prior: counted by larger batches, kept for small ones."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from contactpoint.feeds.models import LoadMode
from contactpoint.linkage.index import SMALL_BATCH, directory_size
from contactpoint.linkage.model import Model
from contactpoint.linkage.models import LinkageIndexState, LinkDecision, LinkOutcome

from feed_files import child_csv
from loads import Loads

AMELIA = {"record_id": "H1", "upn": ""}
OLIVER = {"record_id": "H2", "given_name": "Oliver", "gender": "M", "nhs_number": "9998234786",
          "date_of_birth": "2016-03-02", "upn": ""}  # fmt: skip
A_MILLION_CHILDREN = 2_600_000  # live child records


@pytest.fixture
def loads(fresh_database, tmp_path) -> Loads:
    return Loads.with_sources(fresh_database.engine, tmp_path, "health", "school_census")


def _kept(loads: Loads) -> tuple[int | None, dt.datetime | None]:
    with loads.sessions() as session:
        state = session.get(LinkageIndexState, 1)
        assert state is not None
        return state.live_records, state.counted_at


def _keep(loads: Loads, records: int, *, counted: dt.timedelta) -> None:
    with loads.sessions() as session:
        state = session.get(LinkageIndexState, 1)
        assert state is not None
        state.live_records = records
        state.counted_at = dt.datetime.now(dt.UTC) - counted
        session.commit()


def _last_link_prior(loads: Loads) -> float:
    with loads.sessions() as session:
        decision = session.scalars(
            select(LinkDecision)
            .where(LinkDecision.outcome == LinkOutcome.LINKED)
            .order_by(LinkDecision.id.desc())
        ).first()
        assert decision is not None
        assert decision.explanation is not None
        return float(json.loads(decision.explanation)["prior"])


def test_a_load_keeps_the_count_it_took(loads):
    before = dt.datetime.now(dt.UTC)
    loads.load("health", child_csv(AMELIA, OLIVER))

    records, counted_at = _kept(loads)
    assert records == 2  # the load's own new records included, as they are linked
    assert counted_at is not None
    assert counted_at >= before - dt.timedelta(seconds=1)


def test_a_load_of_many_records_keeps_the_count_it_ends_with(loads, monkeypatch):
    """Its first chunk counted one record; the one-record loads of the next hour must not
    take the prior for that size, so the finished load counts again."""
    monkeypatch.setattr("contactpoint.feeds.loading.CHUNK_ROWS", 1)
    monkeypatch.setattr("contactpoint.feeds.loading.SMALL_BATCH", 2)
    loads.load("health", child_csv(AMELIA, OLIVER))
    assert _kept(loads)[0] == 2
    loads.load("health", child_csv(AMELIA), mode=LoadMode.DELTA)  # one record: no recount
    _keep(loads, A_MILLION_CHILDREN, counted=dt.timedelta(minutes=1))
    loads.load("school_census", child_csv({**AMELIA, "record_id": "S1"}))
    assert _kept(loads)[0] == A_MILLION_CHILDREN


def test_a_one_record_load_uses_a_count_from_the_last_hour_without_counting(loads):
    loads.load("health", child_csv(AMELIA))
    _keep(loads, A_MILLION_CHILDREN, counted=dt.timedelta(minutes=50))

    report = loads.load("school_census", child_csv({**AMELIA, "record_id": "S1"}))

    assert report.counts["linked_to_existing"] == 1
    assert _kept(loads)[0] == A_MILLION_CHILDREN  # not counted again
    sized = Model.default().for_records(A_MILLION_CHILDREN)
    assert _last_link_prior(loads) == pytest.approx(sized.prior_weight)
    assert sized.prior_weight < Model.default().prior_weight - 6  # the count made a difference


def test_an_older_count_is_taken_again(loads):
    loads.load("health", child_csv(AMELIA))
    _keep(loads, A_MILLION_CHILDREN, counted=dt.timedelta(minutes=70))

    loads.load("school_census", child_csv({**AMELIA, "record_id": "S1"}))

    assert _kept(loads)[0] == 2
    assert _last_link_prior(loads) == pytest.approx(Model.default().prior_weight)


@pytest.mark.parametrize(
    ("arrivals", "expected"),
    [(SMALL_BATCH - 1, A_MILLION_CHILDREN), (SMALL_BATCH, 1)],
    ids=["small: the kept count", "larger: counted again"],
)
def test_only_a_small_batch_takes_the_kept_count(loads, arrivals, expected):
    loads.load("health", child_csv(AMELIA))
    _keep(loads, A_MILLION_CHILDREN, counted=dt.timedelta(minutes=1))

    with loads.sessions() as session:
        assert directory_size(session, arrivals=arrivals) == expected
