"""API tokens: stored as digests, scoped, expiring, revocable, and stopped with their owner."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from contactpoint.access.credentials import digest, new_token
from contactpoint.access.models import ApiToken
from contactpoint.access.permissions import Permission
from contactpoint.access.policy import (
    AccessDeniedError,
    PrincipalKind,
    Role,
    decide,
    principal_for_operator,
    principal_for_user,
)
from contactpoint.access.tokens import (
    TokenAccepted,
    TokenError,
    TokenRefusal,
    TokenRefused,
    authenticate_token,
    issue_token_for_service_account,
    issue_token_for_user,
    revoke_token,
    scopes_a_service_account_may_carry,
    scopes_a_token_may_carry,
    service_account_name_problem,
)
from contactpoint.audit.events import ActorKind, EventType, Outcome
from contactpoint.audit.models import AuditEventDetails, AuditEventRow
from contactpoint.organisations.models import AccreditationStatus

import factories
from factories import NOW

P = Permission
DAY = dt.timedelta(days=1)


def council_team_of(db_session, council):
    member = factories.council_team(db_session, of=council)
    return principal_for_user(member, acting_role=Role.COUNCIL_TEAM)


def practitioner_token(db_session, *, scopes=(P.DIRECTORY_CHILD_SEARCH,), **states):
    council = factories.council(db_session)
    user = factories.practitioner(
        db_session,
        organisation_of=factories.accredited_organisation(db_session, in_council=council),
        **states,
    )
    issued = issue_token_for_user(
        db_session,
        by=council_team_of(db_session, council),
        user=user,
        acting_role=Role.PRACTITIONER,
        scopes=scopes,
        now=NOW,
    )
    return user, issued


def test_a_token_is_shown_once_and_only_its_digest_is_kept(db_session):
    _, issued = practitioner_token(db_session)
    assert issued.token.startswith("cpt_")
    assert len(issued.token) > 40
    stored = db_session.scalars(select(ApiToken.token_hash)).all()
    assert issued.token not in stored
    assert digest(issued.token) in stored
    assert issued.api_token.prefix == issued.token[:12]


def test_a_valid_token_authenticates_its_user_limited_to_its_scopes(db_session):
    user, issued = practitioner_token(db_session)
    accepted = authenticate_token(db_session, token=issued.token, now=NOW + DAY)
    assert isinstance(accepted, TokenAccepted)
    assert accepted.principal.user_id == user.id
    assert accepted.principal.kind is PrincipalKind.USER
    assert decide(accepted.principal, P.DIRECTORY_CHILD_SEARCH).allowed
    assert accepted.api_token.last_used_at == NOW + DAY


def test_a_token_whose_scopes_do_not_cover_a_permission_is_refused_it(db_session):
    _, issued = practitioner_token(db_session)
    accepted = authenticate_token(db_session, token=issued.token, now=NOW)
    decision = decide(accepted.principal, P.DIRECTORY_CHILD_VIEW)
    assert not decision.allowed
    assert decision.reason == "This API token's scopes do not include directory:child:view."


def test_a_revoked_token_is_refused(db_session):
    _, issued = practitioner_token(db_session)
    revoke_token(db_session, by=principal_for_operator("root"), api_token=issued.api_token, now=NOW)
    refused = authenticate_token(db_session, token=issued.token, now=NOW + DAY)
    assert refused == TokenRefused(TokenRefusal.REVOKED, "The API token has been revoked.")


def test_an_expired_token_is_refused(db_session):
    _, issued = practitioner_token(db_session)
    refused = authenticate_token(db_session, token=issued.token, now=NOW + 90 * DAY)
    assert refused == TokenRefused(TokenRefusal.EXPIRED, "The API token has expired.")


@pytest.mark.parametrize("token", ["", "cpt_", "cpt_made-up", "not-even-ours", new_token()])
def test_an_unknown_token_is_refused(db_session, token):
    refused = authenticate_token(db_session, token=token, now=NOW)
    assert isinstance(refused, TokenRefused)
    assert refused.refusal is TokenRefusal.UNKNOWN


def test_a_suspended_users_token_stops_working_at_once(db_session):
    user, issued = practitioner_token(db_session)
    user.suspended_at = NOW
    refused = authenticate_token(db_session, token=issued.token, now=NOW + DAY)
    assert isinstance(refused, TokenRefused)
    assert refused.refusal is TokenRefusal.ACCESS_LAPSED
    assert "suspended" in refused.message


def test_a_token_of_a_user_whose_background_check_lapsed_is_refused(db_session):
    _, issued = practitioner_token(db_session, lapsed_check=True)
    refused = authenticate_token(db_session, token=issued.token, now=NOW)
    assert isinstance(refused, TokenRefused)
    assert "background check expired" in refused.message


def test_a_service_accounts_token_stops_when_its_organisation_loses_accreditation(db_session):
    council = factories.council(db_session)
    system = factories.accredited_organisation(db_session, in_council=council)
    issued = issue_token_for_service_account(
        db_session,
        by=council_team_of(db_session, council),
        name="Case management system",
        organisation=system,
        scopes=[P.DIRECTORY_INVOLVEMENT_RECORD],
        now=NOW,
    )
    accepted = authenticate_token(db_session, token=issued.token, now=NOW)
    assert isinstance(accepted, TokenAccepted)
    assert accepted.principal.kind is PrincipalKind.SERVICE_ACCOUNT
    system.accreditation_status = AccreditationStatus.SUSPENDED
    refused = authenticate_token(db_session, token=issued.token, now=NOW)
    assert isinstance(refused, TokenRefused)
    assert refused.refusal is TokenRefusal.ACCESS_LAPSED


def test_a_token_cannot_be_scoped_beyond_its_users_role(db_session):
    with pytest.raises(TokenError, match="audit:report:view"):
        practitioner_token(db_session, scopes=[P.DIRECTORY_CHILD_SEARCH, P.AUDIT_REPORT_VIEW])


def test_a_token_cannot_be_scoped_to_a_high_risk_action(db_session):
    council = factories.council(db_session)
    member = factories.council_team(db_session, of=council)
    with pytest.raises(TokenError, match="retention:subject_access:manage"):
        issue_token_for_user(
            db_session,
            by=principal_for_operator("root"),
            user=member,
            acting_role=Role.COUNCIL_TEAM,
            scopes=[P.RETENTION_SUBJECT_ACCESS_MANAGE],
            now=NOW,
        )


@pytest.mark.parametrize("lifetime", [dt.timedelta(0), 366 * DAY])
def test_every_token_expires_within_a_year(db_session, lifetime):
    user = factories.practitioner(db_session)
    with pytest.raises(TokenError, match="expire"):
        issue_token_for_user(
            db_session,
            by=principal_for_operator("root"),
            user=user,
            acting_role=Role.PRACTITIONER,
            scopes=[P.DIRECTORY_CHILD_SEARCH],
            now=NOW,
            lifetime=lifetime,
        )


def test_a_council_team_cannot_issue_tokens_for_another_councils_users(db_session):
    user = factories.practitioner(db_session)  # in a council of its own
    elsewhere = council_team_of(db_session, factories.council(db_session))
    with pytest.raises(AccessDeniedError, match="only in your council's area"):
        issue_token_for_user(
            db_session,
            by=elsewhere,
            user=user,
            acting_role=Role.PRACTITIONER,
            scopes=[P.DIRECTORY_CHILD_SEARCH],
            now=NOW,
        )


def test_a_practitioner_cannot_issue_tokens(db_session):
    user = factories.practitioner(db_session)
    with pytest.raises(AccessDeniedError):
        issue_token_for_user(
            db_session,
            by=principal_for_user(user, acting_role=Role.PRACTITIONER),
            user=user,
            acting_role=Role.PRACTITIONER,
            scopes=[P.DIRECTORY_CHILD_SEARCH],
            now=NOW,
        )


@given(token=st.text(min_size=1, max_size=80))
def test_a_tokens_digest_is_64_hex_characters_and_not_the_token(token):
    stored = digest(token)
    assert len(stored) == 64
    assert int(stored, 16) >= 0
    assert stored != token


def test_new_tokens_are_long_random_and_never_repeat():
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert all(len(token) >= 43 for token in tokens)


def test_nobody_issues_a_token_for_their_own_account(db_session):
    council = factories.council(db_session)
    member = factories.council_team(db_session, of=council)
    themselves = principal_for_user(member, acting_role=Role.COUNCIL_TEAM)
    with pytest.raises(AccessDeniedError, match="your own account"):
        issue_token_for_user(
            db_session,
            by=themselves,
            user=member,
            acting_role=Role.COUNCIL_TEAM,
            scopes=[P.DIRECTORY_CHILD_SEARCH],
            now=NOW,
        )


def test_a_token_may_carry_what_its_role_holds_but_never_a_high_risk_permission(db_session):
    officer = factories.child_protection_officer(db_session)
    carried = scopes_a_token_may_carry(officer, Role.PRACTITIONER)
    assert P.DIRECTORY_CHILD_SEARCH in carried
    assert P.DIRECTORY_SHIELD_OVERRIDE not in carried
    assert P.AUDIT_REPORT_VIEW not in carried


def _last_event(db_session):
    return db_session.scalars(select(AuditEventRow).order_by(AuditEventRow.sequence.desc())).first()


def _details(db_session, event):
    return json.loads(db_session.get(AuditEventDetails, event.sequence).details)


@pytest.mark.parametrize("refusal", ["revoked", "expired", "access_lapsed"])
def test_a_refused_token_is_recorded_as_a_denied_sign_in_by_its_holder(db_session, refusal):
    user, issued = practitioner_token(db_session)
    at = NOW + DAY
    if refusal == "revoked":
        revoke_token(
            db_session, by=principal_for_operator("root"), api_token=issued.api_token, now=NOW
        )
    elif refusal == "expired":
        at = NOW + 90 * DAY
    else:
        user.suspended_at = NOW

    refused = authenticate_token(db_session, token=issued.token, now=at)

    assert isinstance(refused, TokenRefused)
    event = _last_event(db_session)
    assert event.event_type is EventType.SIGN_IN
    assert event.outcome is Outcome.DENIED
    assert event.actor_kind is ActorKind.USER
    assert event.actor_user_id == user.id
    assert event.actor_role == "practitioner"
    assert event.actor_organisation_id == user.organisation_id
    assert event.session_ref == f"api_token:{issued.api_token.id}"
    assert _details(db_session, event) == {"method": "api_token", "failure": refusal}


def test_a_refused_service_account_token_is_recorded_by_organisation_never_by_name(db_session):
    council = factories.council(db_session)
    system = factories.accredited_organisation(db_session, in_council=council)
    issued = issue_token_for_service_account(
        db_session,
        by=council_team_of(db_session, council),
        name="Trafford case system",
        organisation=system,
        scopes=[P.DIRECTORY_CHILD_SEARCH],
        now=NOW,
    )
    system.accreditation_status = AccreditationStatus.SUSPENDED

    authenticate_token(db_session, token=issued.token, now=NOW)

    event = _last_event(db_session)
    assert event.outcome is Outcome.DENIED
    assert event.actor_kind is ActorKind.SERVICE
    assert event.actor_user_id is None
    assert event.actor_label is None
    assert event.actor_organisation_id == system.id
    assert "Trafford" not in json.dumps(_details(db_session, event))


def test_an_accepted_or_unknown_token_records_nothing(db_session):
    _, issued = practitioner_token(db_session)
    before = _last_event(db_session).sequence

    authenticate_token(db_session, token=issued.token, now=NOW)
    authenticate_token(db_session, token=new_token("cpt_"), now=NOW)

    assert _last_event(db_session).sequence == before


def test_a_service_accounts_token_is_scoped_only_to_what_a_system_may_do(db_session):
    council = factories.council(db_session)
    system = factories.accredited_organisation(db_session, in_council=council)
    assert scopes_a_service_account_may_carry() == {
        P.DIRECTORY_CHILD_SEARCH,
        P.DIRECTORY_CHILD_VIEW,
        P.DIRECTORY_INVOLVEMENT_RECORD,
        P.FEEDS_LOAD_SUBMIT,
    }
    with pytest.raises(TokenError, match="access:user:manage"):
        issue_token_for_service_account(
            db_session,
            by=council_team_of(db_session, council),
            name="Case system",
            organisation=system,
            scopes=[P.ACCESS_USER_MANAGE],
            now=NOW,
        )


@pytest.mark.parametrize(
    ("name", "problem"),
    [("   ", "Enter the name"), ("x" * 101, "100 characters"), ("Case\x00system", "plain text")],
)
def test_a_service_account_needs_a_plain_name_of_at_most_100_characters(db_session, name, problem):
    council = factories.council(db_session)
    system = factories.accredited_organisation(db_session, in_council=council)
    assert problem in (service_account_name_problem(name) or "")
    with pytest.raises(TokenError, match=problem):
        issue_token_for_service_account(
            db_session,
            by=council_team_of(db_session, council),
            name=name,
            organisation=system,
            scopes=[P.DIRECTORY_CHILD_SEARCH],
            now=NOW,
        )


def test_a_council_team_cannot_issue_a_token_for_another_councils_organisation(db_session):
    elsewhere = factories.accredited_organisation(db_session)  # in a council of its own
    with pytest.raises(AccessDeniedError, match="only in your council's area"):
        issue_token_for_service_account(
            db_session,
            by=council_team_of(db_session, factories.council(db_session)),
            name="Case system",
            organisation=elsewhere,
            scopes=[P.DIRECTORY_CHILD_SEARCH],
            now=NOW,
        )
