"""The demo's synthetic population written straight into the directory."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from contactpoint.directory.models import Child, ChildAddress, ChildName, Involvement, Shield
from contactpoint.directory.services import directory_statistics, reported_values
from contactpoint.identifiers.contactpoint_id import is_valid_contactpoint_id
from contactpoint.synth.generation import generate_population
from contactpoint.synth.seeding import seed_directory

AS_OF = dt.date(2026, 11, 25)


def seeded(database, children: int = 300):
    population = generate_population(children=children, seed=5, as_of=AS_OF)
    sessions = sessionmaker(bind=database.engine)
    summary = seed_directory(sessions, population)
    return population, sessions, summary


def test_every_child_of_the_population_gets_one_record_under_its_contactpoint_id(fresh_database):
    population, sessions, summary = seeded(fresh_database)
    truth = {child.contactpoint_id for child in population.each_child()}
    with sessions() as session:
        held = set(session.scalars(select(Child.contactpoint_id)))
    assert summary.children == len(truth)
    assert held == truth
    assert all(is_valid_contactpoint_id(identifier) for identifier in held)


def test_every_seeded_name_and_address_is_traceable_to_a_source_record(fresh_database):
    _, sessions, _ = seeded(fresh_database)
    with sessions() as session:
        for table in (ChildName, ChildAddress, Involvement):
            untraced = session.scalar(
                select(func.count()).select_from(table).where(table.source_record_id.is_(None))
            )
            assert untraced == 0, table.__tablename__
        child = session.scalars(select(Child).limit(1)).one()
        reported = reported_values(session, child=child, field="date_of_birth")
        assert [value.value for value in reported] == [child.date_of_birth]


def test_shields_and_involvements_of_the_truth_are_all_held(fresh_database):
    population, sessions, _ = seeded(fresh_database, children=1500)
    children = list(population.each_child())
    with sessions() as session:
        shields = session.scalar(select(func.count()).select_from(Shield))
        involvements = session.scalar(select(func.count()).select_from(Involvement))
    assert shields == sum(child.shield is not None for child in children)
    assert involvements == sum(len(child.involvements) for child in children)
    assert involvements > 0


def test_children_past_eighteen_are_seeded_archived(fresh_database):
    population, sessions, summary = seeded(fresh_database, children=1500)
    adults = sum(child.age_on(AS_OF) >= 18 for child in population.each_child())
    with sessions() as session:
        statistics = directory_statistics(session)
    assert adults > 0
    assert statistics.active_children == summary.children - adults
