"""`contactpoint linkage explain`: the decisions printed, the view audited with its reason."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contactpoint.audit.events import EventType
from contactpoint.audit.models import AuditEventDetails, AuditEventRow
from contactpoint.directory.models import Child
from feeds.loads import Loads, one_girl_from_two_sources

import factories
from cli_commands import run_command


@pytest.fixture
def loads(fresh_database, tmp_path) -> Loads:
    return one_girl_from_two_sources(fresh_database.engine, tmp_path)


def test_the_command_prints_the_weights_and_audits_the_view_with_its_reason(loads, fresh_database):
    result = run_command("linkage", "explain", "S1", "--source", "school_census",
                         "--reason", "checking a link the school queried",
                         database_url=fresh_database.url)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "linked: child" in result.stdout
    assert "total" in result.stdout
    with loads.sessions() as session:
        views = session.execute(
            select(AuditEventRow.subject_ref, AuditEventDetails.details)
            .join(AuditEventDetails, AuditEventDetails.sequence == AuditEventRow.sequence)
            .where(AuditEventRow.event_type == EventType.RECORD_VIEW)
        ).all()
    [(child, details)] = views
    assert child == next(link[2] for link in loads.links() if link[1] == "S1")
    assert "checking a link the school queried" in details
    refused = run_command("linkage", "explain", "S1", "--source", "school_census",
                          "--reason", " ", database_url=fresh_database.url)  # fmt: skip
    assert refused.returncode == 1
    assert "--reason is empty" in refused.stderr
    too_long = run_command("linkage", "explain", "S1", "--source", "school_census",
                           "--reason", "x" * 5000, database_url=fresh_database.url)  # fmt: skip
    assert too_long.returncode == 1
    assert "--reason" in too_long.stderr
    assert "Traceback" not in too_long.stderr


def test_the_operator_is_shown_a_shielded_childs_decisions_as_the_review_queue_shows_them(
    loads, fresh_database
):
    """The command acts as the operator, whom the shield policy lets see every shielded
    child's details (as it lets it work every review item); the view is still audited."""
    [child] = [link[2] for link in loads.links() if link[1] == "S1"]
    with loads.sessions() as session:
        shielded = session.scalars(select(Child.id).where(Child.contactpoint_id == child)).one()
        factories.shield(session, of=shielded)
        session.commit()
    result = run_command("linkage", "explain", "S1", "--source", "school_census",
                         "--reason", "a shielded link queried",
                         database_url=fresh_database.url)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"linked: child {child}" in result.stdout
    with loads.sessions() as session:
        views = session.scalars(
            select(AuditEventRow.subject_ref).where(
                AuditEventRow.event_type == EventType.RECORD_VIEW
            )
        ).all()
    assert views == [child]
