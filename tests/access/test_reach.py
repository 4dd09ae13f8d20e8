"""Which organisations a permission reaches: the one translation of reach into ids."""

from __future__ import annotations

from contactpoint.access.permissions import Permission
from contactpoint.access.policy import Role, principal_for_user
from contactpoint.access.reach import organisations_within_reach

import factories


def test_a_council_team_reaches_its_council_and_the_organisations_in_its_area(db_session):
    council = factories.council(db_session)
    school = factories.accredited_organisation(db_session, in_council=council)
    factories.accredited_organisation(db_session, in_council=factories.council(db_session))
    team = principal_for_user(
        factories.council_team(db_session, of=council), acting_role=Role.COUNCIL_TEAM
    )
    reached = organisations_within_reach(
        db_session, principal=team, permission=Permission.ACCESS_USER_MANAGE
    )
    assert reached == {council.id, school.id}


def test_national_reach_means_every_organisation(db_session):
    admin = factories.national_administrator(db_session)
    principal = principal_for_user(admin, acting_role=Role.NATIONAL_ADMINISTRATOR)
    reached = organisations_within_reach(
        db_session, principal=principal, permission=Permission.ACCESS_ORGANISATION_MANAGE
    )
    assert reached is None


def test_a_permission_the_principal_lacks_reaches_no_organisation(db_session):
    principal = principal_for_user(
        factories.practitioner(db_session), acting_role=Role.PRACTITIONER
    )
    reached = organisations_within_reach(
        db_session, principal=principal, permission=Permission.ACCESS_USER_MANAGE
    )
    assert reached == frozenset()
