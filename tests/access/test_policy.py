"""The policy table: what each role may do, how far it reaches, and who may override a shield.

Pure: built from unsaved objects, no database.
"""

from __future__ import annotations

import itertools

import pytest

from contactpoint.access.models import RoleGrant, UserAccount
from contactpoint.access.permissions import PUBLIC, Permission
from contactpoint.access.policy import (
    NEEDS_REAUTHENTICATION,
    OVERRIDE_GRANT,
    ROLE_GRANTS,
    SERVICE_ACCOUNT_GRANTS,
    AccessDeniedError,
    Reach,
    Role,
    Target,
    decide,
    may_grant,
    may_manage_user,
    permissions_for,
    principal_for_operator,
    principal_for_service_account,
    principal_for_user,
    require,
)
from contactpoint.organisations.models import AccreditationStatus, Organisation, OrganisationKind

P = Permission
_ids = itertools.count(1000)
CHILD_RECORDS = frozenset(
    {
        P.DIRECTORY_CHILD_CORRECT,
        P.DIRECTORY_CHILD_SEARCH,
        P.DIRECTORY_CHILD_VIEW,
        P.DIRECTORY_INVOLVEMENT_RECORD,
        P.DIRECTORY_SENSITIVE_SERVICE_VIEW,
        P.DIRECTORY_SHIELD_OVERRIDE,
        P.DIRECTORY_SHIELDED_CHILD_VIEW,
        P.RETENTION_ARCHIVED_CHILD_VIEW,
    }
)


def a_council() -> Organisation:
    return Organisation(
        id=next(_ids),
        kind=OrganisationKind.COUNCIL,
        name="Testshire County Council",
        accreditation_status=AccreditationStatus.ACCREDITED,
    )


def an_organisation(council: Organisation | None) -> Organisation:
    return Organisation(
        id=next(_ids),
        kind=OrganisationKind.SCHOOL,
        name="Test School",
        council_id=None if council is None else council.id,
        council=council,
        accreditation_status=AccreditationStatus.ACCREDITED,
    )


def a_user(
    *roles: Role, organisation: Organisation | None = None, child_protection: bool = False
) -> UserAccount:
    return UserAccount(
        id=next(_ids),
        username=f"user{next(_ids)}",
        organisation=organisation or an_organisation(a_council()),
        is_child_protection_officer=child_protection,
        role_grants=[RoleGrant(role=role) for role in roles],
    )


def acting(user: UserAccount, role: Role, **options):
    user.organisation_id = user.organisation.id
    return principal_for_user(user, acting_role=role, **options)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (
            Role.PRACTITIONER,
            {
                P.ACCESS_SELF_MANAGE,
                P.DIRECTORY_CHILD_SEARCH,
                P.DIRECTORY_CHILD_VIEW,
                P.DIRECTORY_INVOLVEMENT_RECORD,
            },
        ),
        (
            Role.COUNCIL_TEAM,
            {
                P.ACCESS_API_TOKEN_MANAGE,
                P.ACCESS_SELF_MANAGE,
                P.ACCESS_USER_MANAGE,
                P.AUDIT_REPORT_VIEW,
                P.DIRECTORY_CHILD_CORRECT,
                P.DIRECTORY_CHILD_SEARCH,
                P.DIRECTORY_CHILD_VIEW,
                P.DIRECTORY_SENSITIVE_SERVICE_VIEW,
                P.DIRECTORY_SHIELD_MANAGE,
                P.DIRECTORY_SHIELDED_CHILD_VIEW,
                P.LINKAGE_REVIEW_WORK,
                P.QUALITY_REPORT_VIEW,
                P.RETENTION_SUBJECT_ACCESS_MANAGE,
            },
        ),
        (
            Role.DATA_MANAGER,
            {
                P.ACCESS_SELF_MANAGE,
                P.FEEDS_LOAD_RUN,
                P.FEEDS_LOAD_SUBMIT,
                P.FEEDS_SOURCE_MANAGE,
                P.QUALITY_REPORT_VIEW,
                P.RETENTION_ARCHIVED_CHILD_VIEW,
            },
        ),
        (Role.AUDITOR, {P.ACCESS_SELF_MANAGE, P.AUDIT_ALERT_VIEW, P.AUDIT_REPORT_VIEW}),
        (
            Role.NATIONAL_ADMINISTRATOR,
            {
                P.ACCESS_API_TOKEN_MANAGE,
                P.ACCESS_ORGANISATION_MANAGE,
                P.ACCESS_SELF_MANAGE,
                P.ACCESS_USER_MANAGE,
                P.FEEDS_SOURCE_MANAGE,
            },
        ),
    ],
)
def test_each_role_holds_exactly_its_permissions(role, expected):
    assert set(ROLE_GRANTS[role]) == expected
    assert set(permissions_for(a_user(role), role)) == expected


def test_every_permission_is_granted_to_some_role_service_account_or_named_user():
    granted = {permission for grants in ROLE_GRANTS.values() for permission in grants}
    granted |= set(SERVICE_ACCOUNT_GRANTS) | {OVERRIDE_GRANT[0]}
    assert granted == set(Permission)


def test_every_role_may_manage_its_own_sign_in_and_nothing_else_about_itself():
    assert all(grants[P.ACCESS_SELF_MANAGE] is Reach.SELF for grants in ROLE_GRANTS.values())


def test_auditors_cannot_browse_childrens_records():
    assert not set(ROLE_GRANTS[Role.AUDITOR]) & CHILD_RECORDS


def test_national_administrators_see_no_childrens_records_by_default():
    assert not set(ROLE_GRANTS[Role.NATIONAL_ADMINISTRATOR]) & CHILD_RECORDS


def test_no_role_grants_the_shield_override():
    assert all(P.DIRECTORY_SHIELD_OVERRIDE not in grants for grants in ROLE_GRANTS.values())


def test_only_a_named_child_protection_user_may_override_a_shield():
    named = a_user(Role.PRACTITIONER, child_protection=True)
    ordinary = a_user(Role.PRACTITIONER)
    assert P.DIRECTORY_SHIELD_OVERRIDE in permissions_for(named, Role.PRACTITIONER)
    assert P.DIRECTORY_SHIELD_OVERRIDE not in permissions_for(ordinary, Role.PRACTITIONER)


def test_a_named_child_protection_user_acting_as_auditor_cannot_override_a_shield():
    user = a_user(Role.PRACTITIONER, Role.AUDITOR, child_protection=True)
    assert P.DIRECTORY_SHIELD_OVERRIDE not in permissions_for(user, Role.AUDITOR)


def test_the_override_needs_a_fresh_reauthentication():
    user = a_user(Role.PRACTITIONER, child_protection=True)
    stale = decide(acting(user, Role.PRACTITIONER), P.DIRECTORY_SHIELD_OVERRIDE)
    fresh = decide(
        acting(user, Role.PRACTITIONER, reauthenticated=True), P.DIRECTORY_SHIELD_OVERRIDE
    )
    assert not stale.allowed
    assert stale.needs_reauthentication
    assert fresh.allowed


def test_a_role_the_user_does_not_hold_grants_nothing():
    assert permissions_for(a_user(Role.PRACTITIONER), Role.COUNCIL_TEAM) == {}


def test_the_refusal_says_which_role_cannot_do_what():
    auditor = acting(a_user(Role.AUDITOR), Role.AUDITOR)
    decision = decide(auditor, P.DIRECTORY_CHILD_VIEW)
    assert not decision.allowed
    assert decision.reason == "Acting as auditor, you cannot open a child's record."


def test_nobody_signed_in_is_refused_anything_but_public_pages():
    assert decide(None, PUBLIC).allowed
    assert not decide(None, P.DIRECTORY_CHILD_SEARCH).allowed


def test_council_team_manages_users_of_its_own_councils_area():
    council = a_council()
    team = acting(a_user(Role.COUNCIL_TEAM, organisation=council), Role.COUNCIL_TEAM)
    school_in_area = an_organisation(council)
    assert may_manage_user(team, organisation=school_in_area).allowed
    assert may_manage_user(team, organisation=council).allowed


def test_council_team_cannot_manage_users_of_another_councils_area():
    team = acting(a_user(Role.COUNCIL_TEAM, organisation=a_council()), Role.COUNCIL_TEAM)
    elsewhere = an_organisation(a_council())
    decision = may_manage_user(team, organisation=elsewhere)
    assert not decision.allowed
    assert "only in your council's area" in decision.reason


def test_council_team_cannot_manage_users_of_a_national_body():
    team = acting(a_user(Role.COUNCIL_TEAM, organisation=a_council()), Role.COUNCIL_TEAM)
    assert not may_manage_user(team, organisation=an_organisation(None)).allowed


def test_nobody_manages_their_own_account():
    council = a_council()
    user = a_user(Role.COUNCIL_TEAM, organisation=council)
    team = acting(user, Role.COUNCIL_TEAM)
    assert not may_manage_user(team, organisation=council, user_id=user.id).allowed


def test_only_national_reach_may_make_national_administrators():
    council = a_council()
    team = acting(a_user(Role.COUNCIL_TEAM, organisation=council), Role.COUNCIL_TEAM)
    admin = acting(
        a_user(Role.NATIONAL_ADMINISTRATOR, organisation=an_organisation(None)),
        Role.NATIONAL_ADMINISTRATOR,
    )
    roles = [Role.NATIONAL_ADMINISTRATOR]
    assert not may_grant(team, roles, organisation=council).allowed
    assert may_grant(team, [Role.PRACTITIONER], organisation=council).allowed
    assert may_grant(admin, roles, organisation=council).allowed


def test_a_listing_without_a_target_is_told_how_far_it_reaches():
    council = a_council()
    team = acting(a_user(Role.COUNCIL_TEAM, organisation=council), Role.COUNCIL_TEAM)
    decision = decide(team, P.ACCESS_USER_MANAGE)
    assert decision.allowed
    assert decision.reach is Reach.COUNCIL
    assert decision.council_id == council.id


def test_data_managers_manage_only_their_own_organisations_sources():
    user = a_user(Role.DATA_MANAGER)
    manager = acting(user, Role.DATA_MANAGER)
    own = Target(organisation_id=user.organisation.id, council_id=None)
    other = Target(organisation_id=-1, council_id=None)
    assert decide(manager, P.FEEDS_SOURCE_MANAGE, target=own).allowed
    assert not decide(manager, P.FEEDS_SOURCE_MANAGE, target=other).allowed


def test_a_tokens_scopes_limit_what_its_user_may_do():
    user = a_user(Role.PRACTITIONER)
    principal = acting(user, Role.PRACTITIONER, scopes=[P.DIRECTORY_CHILD_SEARCH])
    assert decide(principal, P.DIRECTORY_CHILD_SEARCH).allowed
    refused = decide(principal, P.DIRECTORY_CHILD_VIEW)
    assert not refused.allowed
    assert refused.reason == "This API token's scopes do not include directory:child:view."


def test_a_tokens_scopes_never_widen_what_its_user_may_do():
    principal = acting(a_user(Role.PRACTITIONER), Role.PRACTITIONER, scopes=[P.AUDIT_REPORT_VIEW])
    assert not decide(principal, P.AUDIT_REPORT_VIEW).allowed


def test_a_token_can_never_do_a_high_risk_action():
    user = a_user(Role.COUNCIL_TEAM, organisation=a_council())
    principal = acting(user, Role.COUNCIL_TEAM, scopes=NEEDS_REAUTHENTICATION, reauthenticated=True)
    assert not decide(principal, P.RETENTION_SUBJECT_ACCESS_MANAGE).allowed


def test_a_service_account_may_only_search_read_record_and_send_loads():
    principal = principal_for_service_account(
        "case system", organisation=an_organisation(a_council()), scopes=list(Permission)
    )
    assert set(principal.grants) == {
        P.DIRECTORY_CHILD_SEARCH,
        P.DIRECTORY_CHILD_VIEW,
        P.DIRECTORY_INVOLVEMENT_RECORD,
        P.FEEDS_LOAD_SUBMIT,
    }


def test_the_local_operator_may_do_everything():
    operator = principal_for_operator("root")
    assert all(decide(operator, permission).allowed for permission in Permission)


def test_require_raises_with_the_reason_when_refused():
    auditor = acting(a_user(Role.AUDITOR), Role.AUDITOR)
    with pytest.raises(AccessDeniedError, match="you cannot search for a child"):
        require(decide(auditor, P.DIRECTORY_CHILD_SEARCH))
