"""Undoing a whole load while no later load depends on it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from contactpoint.audit.events import Actor, EventType, Outcome, record_view_event
from contactpoint.audit.models import AuditEventRow
from contactpoint.audit.services import record
from contactpoint.directory.models import Child, ChildAddress, Involvement
from contactpoint.feeds.models import FeedLoad, LoadMode, LoadStatus
from contactpoint.feeds.undo import UndoRefusedError, undo_load
from contactpoint.provenance.models import Feed

from feed_files import child_csv
from loads import OPERATOR, Loads

ROWS = [
    {"record_id": f"H{n}", "given_name": given, "family_name": family, "date_of_birth": born,
     "postcode": postcode}
    for n, (given, family, born, postcode) in enumerate([
        ("Amelia", "Barton", "2014-07-21", "OX5V 9JP"),
        ("Oliver", "Hughes", "2016-03-02", "OX2 6GG"),
        ("Isla", "Patel", "2012-11-30", "OX4 1AA"),
    ])
]  # fmt: skip


@pytest.fixture
def loads(fresh_database, tmp_path) -> Loads:
    directory = Loads(fresh_database.engine, tmp_path)
    directory.add_source("health")
    return directory


def undo(loads: Loads, load_id: int) -> None:
    with loads.sessions() as session:
        undo_load(session, by=OPERATOR, load_id=load_id)
        session.commit()


def children(loads: Loads) -> int:
    with loads.sessions() as session:
        return session.scalar(select(func.count()).select_from(Child)) or 0


def postcodes(loads: Loads) -> set[str | None]:
    with loads.sessions() as session:
        return set(session.scalars(select(ChildAddress.postcode)))


def test_undoing_a_first_load_leaves_the_directory_as_it_was(loads):
    report = loads.load("health", child_csv(*ROWS))
    assert report.load_id is not None
    undo(loads, report.load_id)
    assert (loads.links(), children(loads), postcodes(loads)) == ([], 0, set())
    with loads.sessions() as session:
        assert session.get(FeedLoad, report.load_id).status is LoadStatus.UNDONE  # type: ignore[union-attr]
        last = session.scalars(
            select(AuditEventRow)
            .where(AuditEventRow.event_type == EventType.ADMIN_ACTION)
            .order_by(AuditEventRow.sequence.desc())
            .limit(1)
        ).one()
        assert last.outcome is Outcome.SUCCESS  # the undo, which succeeded


def test_undoing_a_later_load_brings_back_the_previous_versions_and_ended_records(loads):
    loads.load("health", child_csv(*ROWS))
    before = (loads.links(), children(loads), postcodes(loads))
    moved = [{**ROWS[0], "postcode": "OX1 9JN"}, ROWS[1]]  # H2 ended, H0 moved
    second = loads.load("health", child_csv(*moved), allow_mass_end=True)
    assert (second.counts["updated"], second.counts["ended"]) == (1, 1)
    assert second.load_id is not None
    undo(loads, second.load_id)
    assert (loads.links(), children(loads), postcodes(loads)) == before
    again = loads.load("health", child_csv(*ROWS))
    assert again.counts["unchanged"] == 3


def test_undoing_an_involvement_load_removes_and_restores_involvements(loads):
    loads.load("health", child_csv(*ROWS))
    header = "record_id,child_record_id,service_name,service_type,start_date\n"
    first = loads.load(
        "health", (header + "I1,H1,Oxford Health Visiting,health_visiting,2025-01-01\n").encode(),
        feed=Feed.INVOLVEMENTS,
    )  # fmt: skip
    delta = (header + "I1,H1,Oxford Health Visiting,health_visiting,2025-02-01\n").encode()
    second = loads.load("health", delta, feed=Feed.INVOLVEMENTS, mode=LoadMode.DELTA)
    assert first.load_id is not None
    assert second.load_id is not None
    undo(loads, second.load_id)
    with loads.sessions() as session:
        starts = list(session.scalars(select(Involvement.start_date)))
    assert [str(start) for start in starts] == ["2025-01-01"]


def test_a_load_with_a_later_load_after_it_cannot_be_undone(loads):
    first = loads.load("health", child_csv(*ROWS))
    loads.load("health", child_csv(*ROWS))
    assert first.load_id is not None
    with pytest.raises(UndoRefusedError, match=r"came after load \d+ and may depend on it"):
        undo(loads, first.load_id)


def test_a_load_whose_child_was_opened_cannot_be_undone(loads):
    report = loads.load("health", child_csv(*ROWS))
    (_, _, contactpoint_id) = loads.links()[0]
    with loads.sessions() as session:
        record(session, record_view_event(Actor.operator("tester"), contactpoint_id=contactpoint_id,
                                          reason="a test"))  # fmt: skip
        session.commit()
    assert report.load_id is not None
    with pytest.raises(UndoRefusedError, match="appears in the audit trail"):
        undo(loads, report.load_id)
    assert len(loads.links()) == 3


def test_an_unknown_or_refused_load_cannot_be_undone(loads):
    with pytest.raises(UndoRefusedError, match="there is no load 999"):
        undo(loads, 999)
    refused = loads.load("health", b"record_id,given_name\n")
    assert refused.load_id is not None
    with pytest.raises(UndoRefusedError, match="only a completed load is undone"):
        undo(loads, refused.load_id)
