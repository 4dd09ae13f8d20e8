"""The truth of a synthetic population is realistic and internally consistent."""

import datetime as dt
import itertools
from collections import Counter

import pytest

from contactpoint.identifiers.contactpoint_id import is_valid_contactpoint_id
from contactpoint.identifiers.nhs_number import is_valid_nhs_number
from contactpoint.identifiers.upn import is_valid_upn
from contactpoint.synth import generate_population
from contactpoint.synth.generation import Population
from contactpoint.synth.households import TWIN_CHILD_RATE, YOUNG_ADULT_RATE
from contactpoint.synth.population import Child, Household
from contactpoint.vocabulary import AddressStatus, CarerRelationship

AS_OF = dt.date(2026, 1, 15)
SIZE = 8000


@pytest.fixture(scope="module", params=[1, 2], ids=["seed 1", "seed 2"])
def population(request: pytest.FixtureRequest) -> Population:
    return generate_population(children=SIZE, seed=request.param, as_of=AS_OF)


@pytest.fixture(scope="module")
def households(population: Population) -> list[Household]:
    return list(population.households())


@pytest.fixture(scope="module")
def children(households: list[Household]) -> list[Child]:
    return [child for household in households for child in household.children]


def test_the_population_has_exactly_the_children_asked_for(children):
    assert len(children) == SIZE
    assert len({child.person_id for child in children}) == SIZE


def test_a_population_of_no_children_has_no_households():
    assert list(generate_population(children=0, seed=1, as_of=AS_OF).households()) == []


def test_twins_share_birth_household_address_and_carers_but_never_a_given_name(children):
    by_id = {child.person_id: child for child in children}
    twins = [child for child in children if child.twin_of is not None]
    assert twins
    for child in twins:
        twin = by_id[child.twin_of]
        assert twin.twin_of == child.person_id
        assert twin.date_of_birth == child.date_of_birth
        assert twin.household_id == child.household_id
        assert twin.residences == child.residences
        assert twin.carers == child.carers
        assert twin.given_name != child.given_name


def test_about_three_children_in_a_hundred_are_twins(children):
    share = sum(child.twin_of is not None for child in children) / len(children)
    assert abs(share - TWIN_CHILD_RATE) < 0.012


def test_some_twins_share_an_initial_and_some_do_not(children):
    by_id = {child.person_id: child for child in children}
    pairs = [(child, by_id[child.twin_of]) for child in children if child.twin_of]
    same = sum(one.given_name[0] == other.given_name[0] for one, other in pairs)
    assert 0 < same < len(pairs)


def test_siblings_never_share_a_given_name(households):
    for household in households:
        names = [child.given_name for child in household.children]
        assert len(names) == len(set(names))


def test_children_are_aged_nought_to_seventeen_and_a_few_eighteen_or_nineteen(population, children):
    ages = Counter(child.age_on(population.as_of) for child in children)
    assert set(ages) <= set(range(20))
    assert min(ages) == 0
    young_adults = (ages[18] + ages[19]) / len(children)
    assert abs(young_adults - YOUNG_ADULT_RATE) < 0.01
    assert all(child.date_of_birth <= population.as_of for child in children)


def test_every_child_has_one_or_two_carers_and_a_mother_or_father_mostly(children):
    assert all(1 <= len(child.carers) <= 2 for child in children)
    relationships = Counter(link.relationship for child in children for link in child.carers)
    assert relationships[CarerRelationship.MOTHER] > relationships[CarerRelationship.FATHER] > 0
    assert relationships[CarerRelationship.FOSTER_CARER] > 0
    assert relationships[CarerRelationship.STEP_PARENT] > 0


def test_foster_carers_never_hold_parental_responsibility(children):
    for child in children:
        for link in child.carers:
            if link.relationship is CarerRelationship.FOSTER_CARER:
                assert not link.parental_responsibility


def test_identifiers_are_valid_and_never_shared_between_children(children):
    for issued in ("nhs_number", "upn", "contactpoint_id"):
        values = [getattr(child, issued) for child in children if getattr(child, issued)]
        assert len(values) == len(set(values)), issued
    assert all(is_valid_nhs_number(child.nhs_number or "") for child in children)
    assert all(is_valid_upn(child.upn) for child in children if child.upn)
    assert all(is_valid_contactpoint_id(child.contactpoint_id) for child in children)
    assert all(child.nhs_number and child.nhs_number.startswith("999") for child in children)


def test_pupils_have_a_school_and_upn_and_the_youngest_have_neither(population, children):
    for child in children:
        if child.age_on(population.as_of) < 4:
            assert child.school is None
            assert child.upn is None
        if child.upn is not None:
            assert child.school is not None
    pupils = sum(child.school is not None for child in children) / len(children)
    assert 0.6 < pupils < 0.75


def test_address_histories_run_newest_first_without_gaps(children):
    for child in children:
        history = child.residences
        assert history[0].until is None
        for newer, older in itertools.pairwise(history):
            assert older.until == newer.since
            assert older.since < older.until
        assert history[-1].since >= child.date_of_birth


def test_whereabouts_are_sometimes_unknown_or_abroad_with_a_last_known_address(children):
    away = [child for child in children if child.whereabouts.address is None]
    assert away
    for child in away:
        assert child.whereabouts.status is not AddressStatus.CURRENT
        if len(child.residences) > 1:
            assert child.residences[1].status is AddressStatus.LAST_KNOWN


def test_about_one_child_in_two_hundred_is_shielded_with_a_review_date_ahead(population, children):
    shielded = [child for child in children if child.shield is not None]
    assert 0.002 < len(shielded) / len(children) < 0.01
    for child in shielded:
        assert child.shield is not None
        assert child.shield.started_on <= population.as_of < child.shield.review_on


def test_a_few_per_cent_are_known_to_social_care(children):
    known = sum(
        any(involvement.service_type == "social_care" for involvement in child.involvements)
        for child in children
    )
    assert 0.02 < known / len(children) < 0.07


def test_sensitive_involvements_always_have_a_consent_basis(children):
    sensitive = [i for child in children for i in child.involvements if i.sensitive]
    assert sensitive
    assert all(involvement.consent_basis is not None for involvement in sensitive)
    others = [i for child in children for i in child.involvements if not i.sensitive]
    assert all(involvement.consent_basis is None for involvement in others)


def test_a_child_has_at_most_one_open_lead_professional(children):
    for child in children:
        leads = [i for i in child.involvements if i.lead_professional and i.end_date is None]
        assert len(leads) <= 1


def test_involvement_dates_are_in_order_and_not_in_the_future(population, children):
    for child in children:
        for involvement in child.involvements:
            assert child.date_of_birth <= involvement.start_date <= population.as_of
            if involvement.end_date is not None:
                assert involvement.start_date <= involvement.end_date <= population.as_of


def test_truth_points_only_to_reference_data_that_exists(population, children):
    reference = population.reference
    schools = {school.urn for school in reference.schools}
    practices = {practice.ods_code for practice in reference.gp_practices}
    services = reference.services_by_code()
    staff = reference.practitioners_by_id()
    for child in children:
        assert child.school is None or child.school.school_urn in schools
        assert child.gp_practice_code is None or child.gp_practice_code in practices
        for involvement in child.involvements:
            assert services[involvement.service_code].service_type == involvement.service_type
            assert involvement.practitioner_id is None or involvement.practitioner_id in staff


def test_about_five_in_a_hundred_family_names_are_double_barrelled(children):
    share = sum("-" in child.family_name for child in children) / len(children)
    assert 0.03 < share < 0.07


def test_names_come_from_many_origins_with_accents_and_apostrophes(children):
    names = [child.given_name + child.family_name for child in children]
    assert sum(not name.isascii() for name in names) / len(names) > 0.02
    assert any("'" in child.family_name for child in children)
