"""Each link records the model version that made it; a load never retrains the model."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from contactpoint.linkage.model import Model
from contactpoint.linkage.models import LinkDecision

from feed_files import child_csv
from loads import Loads

AMELIA = {"record_id": "H1", "given_name": "Amelia", "family_name": "Barton",
          "date_of_birth": "2014-07-21", "nhs_number": "9991027610"}  # fmt: skip


@pytest.fixture
def loads(fresh_database, tmp_path) -> Loads:
    return Loads.with_sources(fresh_database.engine, tmp_path, "health", "school_census")


def test_every_decision_records_the_version_of_the_model_that_made_it(loads):
    loads.load("health", child_csv(AMELIA))
    loads.load("school_census", child_csv({**AMELIA, "record_id": "S1"}))

    with loads.sessions() as session:
        versions = list(session.scalars(select(LinkDecision.model_version)))
    assert versions == [Model.default().version] * 2


def test_a_load_never_changes_the_model_it_links_with(loads):
    """Loads of new and linking records leave the shipped model's weights as they were:
    a load scores with the model; only `contactpoint linkage train` makes a new one."""
    before = json.dumps(Model.default().to_json(), sort_keys=True)

    loads.load("health", child_csv(AMELIA, {**AMELIA, "record_id": "H2", "given_name": "Ava"}))
    loads.load("school_census", child_csv({**AMELIA, "record_id": "S1"}))

    assert json.dumps(Model.default().to_json(), sort_keys=True) == before
