"""The demo's directory: reference data seeded, then synthetic extracts loaded through the feeds."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select

from contactpoint.access.policy import principal_for_operator
from contactpoint.directory.models import Child, Involvement, Shield
from contactpoint.organisations.models import Organisation, OrganisationKind, Practitioner
from contactpoint.provenance.models import Feed, Source, SourceKind
from contactpoint.storage.engine import session_factory
from contactpoint.synth.demo_loading import (
    LINKS_FILE,
    DemoLoaded,
    apply_truth_shields,
    load_demo_population,
    read_links,
    read_truth,
    truth_shields,
)
from contactpoint.synth.generation import generate_population
from contactpoint.synth.places import HOME_COUNCIL
from contactpoint.synth.seeding import seed_reference_data

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from sqlalchemy.orm import Session, sessionmaker

    from contactpoint.synth.generation import Population

AS_OF = dt.date(2026, 11, 25)
CHILDREN = 300
SEED = 3  # this population has shielded children (8 on AS_OF)
OPERATOR = principal_for_operator("tester")
# Linkage errors aside, one child per person: duplicates a record could not be linked
# to (held for review, or a new child) may add a few; a false merge takes one away.
CHILDREN_TOLERANCE = 0.02


def _population() -> Population:
    return generate_population(children=CHILDREN, seed=SEED, as_of=AS_OF)


@dataclass
class Demo:
    sessions: sessionmaker[Session]
    folder: Path
    loaded: DemoLoaded

    def truth(self) -> dict[str, list[tuple[str, str]]]:
        return read_truth(self.folder / "truth.csv")

    def links(self) -> dict[tuple[str, str], str]:
        return read_links(self.folder / LINKS_FILE)

    def count(self, statement: object) -> int:
        with self.sessions() as session:
            return int(session.scalar(statement) or 0)  # type: ignore[call-overload]


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", marks=pytest.mark.sqlite),
        pytest.param("postgresql", marks=pytest.mark.postgresql),
    ],
)
def demo(request, database_templates, tmp_path_factory) -> Iterator[Demo]:
    """One demo load per backend, shared by this module's tests: they only read it
    (shielding again changes nothing), and a load takes seconds."""
    templates = database_templates.for_backend(request.param)
    database = templates.clone()
    folder = tmp_path_factory.mktemp("demo")
    sessions = session_factory(database.engine)
    try:
        loaded = load_demo_population(
            sessions, children=CHILDREN, seed=SEED, folder=folder, by=OPERATOR, as_of=AS_OF
        )
        yield Demo(sessions, folder, loaded)
    finally:
        templates.drop(database)


def test_reference_data_is_seeded_once_however_often_it_is_written(db_session):
    reference = _population().reference
    first = seed_reference_data(db_session, reference)
    again = seed_reference_data(db_session, reference)
    db_session.flush()
    services = db_session.scalar(
        select(func.count())
        .select_from(Organisation)
        .where(Organisation.id.in_(list(first.services.values())))
    )
    practitioners = db_session.scalar(
        select(func.count())
        .select_from(Practitioner)
        .where(Practitioner.organisation_id.in_(list(first.services.values())))
    )
    assert again == first
    assert first.schools.keys() == {school.urn for school in reference.schools}
    assert services == len(reference.services)
    assert practitioners == len(reference.practitioners)
    assert db_session.scalar(select(func.count()).select_from(Child)) == 0


def test_the_four_sources_are_registered_with_their_kinds_trust_and_council(demo):
    with demo.sessions() as session:
        sources = {source.name: source for source in session.scalars(select(Source))}
        social_care = sources["oxfordshire_social_care"]
        assert social_care.kind is SourceKind.LOCAL
        assert social_care.organisation is not None
        assert social_care.organisation.kind is OrganisationKind.COUNCIL
        assert social_care.organisation.code == HOME_COUNCIL.la_code
    assert set(sources) == {"health", "school_census", "child_benefit", "oxfordshire_social_care"}
    assert {sources[name].kind for name in ("health", "school_census", "child_benefit")} == {
        SourceKind.NATIONAL
    }
    assert sources["health"].trusted_for == "date_of_birth date_of_death gender"


def test_the_directory_holds_about_one_child_per_person_of_the_truth(demo):
    people = len(demo.truth())
    children = demo.count(
        select(func.count()).select_from(Child).where(Child.merged_into_id.is_(None))
    )
    assert people > CHILDREN * 0.95
    assert abs(children - people) <= max(2, people * CHILDREN_TOLERANCE), (children, people)


def test_the_link_export_covers_every_accepted_child_record(demo):
    child_loads = [load.report for load in demo.loaded.loads if load.feed is Feed.CHILDREN]
    accepted = sum(report.counts["rows_read"] - report.counts["rejected"] for report in child_loads)
    links = demo.links()
    truth_records = {key for records in demo.truth().values() for key in records}
    assert len(child_loads) == 4
    assert len(links) == demo.loaded.links == accepted
    assert set(links) <= truth_records
    assert len(truth_records) - len(links) == sum(r.counts["rejected"] for r in child_loads)


def test_the_involvement_feeds_fill_the_childrens_involvements(demo):
    involvement_loads = [load for load in demo.loaded.loads if load.feed is Feed.INVOLVEMENTS]
    inserted = sum(load.report.counts["inserted"] for load in involvement_loads)
    held = demo.count(select(func.count()).select_from(Involvement))
    untraced = demo.count(
        select(func.count()).select_from(Involvement).where(Involvement.source_record_id.is_(None))
    )
    assert {load.source for load in involvement_loads} == {"health", "oxfordshire_social_care"}
    assert held == inserted > 0
    assert untraced == 0


def _shielded_children(demo: Demo) -> set[str]:
    with demo.sessions() as session:
        return set(
            session.scalars(
                select(Child.contactpoint_id).join(Shield).where(Shield.ended_on.is_(None))
            )
        )


def _expected_shielded(demo: Demo) -> tuple[set[str], int]:
    shields = truth_shields(
        generate_population(children=CHILDREN, seed=SEED, as_of=AS_OF).each_child()
    )
    truth, links = demo.truth(), demo.links()
    linked = {
        person_id: {links[key] for key in truth.get(person_id, ()) if key in links}
        for person_id in shields
    }
    return set().union(*linked.values()), sum(bool(children) for children in linked.values())


def test_the_truths_shielded_people_that_loaded_are_the_shielded_children(demo):
    expected, people = _expected_shielded(demo)
    assert len(expected) >= 1
    assert _shielded_children(demo) == expected
    assert demo.loaded.shields.shielded_people == people
    assert demo.loaded.shields.children_shielded == len(expected)


def test_shielding_again_keeps_each_childs_one_open_shield(demo):
    shields = truth_shields(
        generate_population(children=CHILDREN, seed=SEED, as_of=AS_OF).each_child()
    )
    with demo.sessions() as session:
        councils = {
            code: id_
            for code, id_ in session.execute(
                select(Organisation.code, Organisation.id).where(
                    Organisation.kind == OrganisationKind.COUNCIL
                )
            )
            if code is not None
        }
    again = apply_truth_shields(
        demo.sessions, shields=shields, truth=demo.truth(), links=demo.links(),
        councils=councils, by=OPERATOR,
    )  # fmt: skip
    assert again.children_shielded == 0
    assert again.already_shielded == demo.loaded.shields.children_shielded > 0
    assert demo.count(select(func.count()).select_from(Shield)) == again.already_shielded
