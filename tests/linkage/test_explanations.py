"""Why a source record belongs to its child: its decisions read back, weights that add up."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contactpoint.access.policy import Role, principal_for_user
from contactpoint.directory.models import Child
from contactpoint.linkage.explanations import (
    ShieldedRecordError,
    UnknownRecordError,
    explain_record,
)
from contactpoint.linkage.model import Model
from contactpoint.linkage.models import LinkOutcome
from feeds.loads import OPERATOR, Loads, one_girl_from_two_sources

import factories

WHY = "Checking why the school record joined this child"


@pytest.fixture
def loads(fresh_database, tmp_path) -> Loads:
    return one_girl_from_two_sources(fresh_database.engine, tmp_path)


def test_a_linked_record_is_explained_by_weights_that_add_up_to_its_match_weight(loads):
    with loads.sessions() as session:
        [decision] = explain_record(
            session, by=OPERATOR, source="school_census", record_id="S1", reason=WHY
        )
    [(_, _, child)] = [link for link in loads.links() if link[1] == "S1"]
    assert (decision.outcome, decision.contactpoint_id, decision.resolves_to) == (
        LinkOutcome.LINKED,
        child,
        child,
    )
    assert decision.model_version == Model.default().version
    assert decision.prior is not None
    assert decision.match_weight is not None
    total = decision.prior + sum(part.weight for part in decision.comparisons)
    assert total == pytest.approx(decision.match_weight, abs=1e-9)
    assert {part.comparison for part in decision.comparisons} >= {"given_name", "nhs_number"}


def test_the_first_record_was_a_new_child_with_no_candidate(loads):
    with loads.sessions() as session:
        [decision] = explain_record(
            session, by=OPERATOR, source="health", record_id="H1", reason=WHY
        )
    assert decision.outcome is LinkOutcome.NEW_CHILD
    assert (decision.match_weight, decision.comparisons) == (None, ())


def test_an_unknown_record_says_which(loads):
    with loads.sessions() as session, pytest.raises(UnknownRecordError, match="'S9'"):
        explain_record(session, by=OPERATOR, source="school_census", record_id="S9", reason=WHY)


def test_decisions_that_involve_a_shielded_child_are_not_shown_to_an_ordinary_user(loads):
    [(_, _, child)] = [link for link in loads.links() if link[1] == "S1"]
    with loads.sessions() as session:
        shielded = session.scalar(select(Child.id).where(Child.contactpoint_id == child))
        factories.shield(session, of=shielded)
        ordinary = principal_for_user(
            factories.data_manager(session), acting_role=Role.DATA_MANAGER
        )
        session.commit()
    with loads.sessions() as session, pytest.raises(ShieldedRecordError, match="shielded"):
        explain_record(session, by=ordinary, source="school_census", record_id="S1", reason=WHY)
    with loads.sessions() as session:  # the operator may see every shielded child's details
        [decision] = explain_record(
            session, by=OPERATOR, source="school_census", record_id="S1", reason=WHY
        )
    assert decision.resolves_to == child
