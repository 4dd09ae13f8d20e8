"""`contactpoint users ...` run as real commands, as the local operator."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactpoint.access.links import set_password_with_link
from contactpoint.access.models import ApiToken, UserAccount
from contactpoint.access.policy import PrincipalKind, Role
from contactpoint.access.second_factor import code_at
from contactpoint.access.sign_in import (
    SecondFactorAccepted,
    SecondFactorNeeded,
    confirm_totp,
    set_up_totp,
)
from contactpoint.access.tokens import TokenAccepted, TokenRefused, authenticate_token
from contactpoint.audit.events import ActorKind, EventType
from contactpoint.audit.models import AuditEventRow

import factories
from factories import TEST_SECRET_KEY

ADMIN_PASSWORD = "the administrator's own passphrase"  # noqa: S105 - test data


def run_users(*arguments: str, database_url: str, secret: str | None = TEST_SECRET_KEY):
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CONTACTPOINT_")},
        "CONTACTPOINT_DATABASE_URL": database_url,
        "CONTACTPOINT_MODE": "production",
        "COLUMNS": "200",
    }
    if secret is not None:
        environment["CONTACTPOINT_SECRET_KEY"] = secret
    return subprocess.run(
        [sys.executable, "-m", "contactpoint", "users", *arguments],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def create_admin(fresh_database, username="chief.admin"):
    return run_users(
        "create-admin",
        "--username",
        username,
        "--organisation-name",
        "ContactPoint national team",
        database_url=fresh_database.url,
    )


def test_create_admin_gives_a_one_time_link_to_choose_a_password_and_set_up_a_factor(
    fresh_database,
):
    result = create_admin(fresh_database)
    assert result.returncode == 0, result.stderr
    match = re.search(r"http://localhost:8000/account/links/(\S+)", result.stdout)
    assert match, result.stdout
    now = dt.datetime.now(dt.UTC)
    with Session(fresh_database.engine) as session:
        user = session.scalar(select(UserAccount).where(UserAccount.username == "chief.admin"))
        assert user.roles == {Role.NATIONAL_ADMINISTRATOR}
        assert user.organisation.is_accredited
        assert user.password_hash is None
        pending = set_password_with_link(
            session, token=match.group(1), new_password=ADMIN_PASSWORD, now=now
        )
        assert isinstance(pending, SecondFactorNeeded)
        set_up = set_up_totp(
            session, pending_token=pending.pending_token, sealer=factories.sealer(), now=now
        )
        accepted = confirm_totp(
            session,
            pending_token=pending.pending_token,
            code=code_at(set_up.secret, now),
            sealer=factories.sealer(),
            client_key="198.51.100.4",
            now=now,
        )
        assert isinstance(accepted, SecondFactorAccepted)
        session.commit()
    used_again = run_users("totp", "chief.admin", database_url=fresh_database.url)
    assert used_again.returncode == 0, used_again.stderr


def test_link_issues_a_reset_link_for_an_existing_user(fresh_database):
    with Session(fresh_database.engine) as session:
        factories.practitioner(session, username="pat.practitioner")
        session.commit()
    result = run_users(
        "link",
        "pat.practitioner",
        "--purpose",
        "second_factor_reset",
        database_url=fresh_database.url,
    )
    assert result.returncode == 0, result.stderr
    assert "second factor reset link" in result.stdout
    assert "/account/links/" in result.stdout


def test_create_admin_refuses_a_username_that_exists(fresh_database):
    assert create_admin(fresh_database).returncode == 0
    again = create_admin(fresh_database)
    assert again.returncode == 1
    assert "already exists" in again.stderr
    assert "Traceback" not in again.stderr


def test_create_admin_refuses_the_default_secret_in_production(fresh_database):
    result = run_users(
        "create-admin",
        "--username",
        "chief.admin",
        "--organisation-name",
        "National team",
        database_url=fresh_database.url,
        secret=None,
    )
    assert result.returncode == 1
    assert "CONTACTPOINT_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_totp_prints_the_users_current_code_and_is_audited(fresh_database):
    with Session(fresh_database.engine) as session:
        user = factories.practitioner(session, username="pat.practitioner")
        secret = factories.sealer().unseal(user.totp_secret_sealed)
        user_id = user.id
        session.commit()
    before = dt.datetime.now(dt.UTC)
    result = run_users("totp", "pat.practitioner", database_url=fresh_database.url)
    after = dt.datetime.now(dt.UTC)
    assert result.returncode == 0, result.stderr
    code = result.stdout.split()[0]
    assert code in {code_at(secret, before), code_at(secret, after)}
    with Session(fresh_database.engine) as session:
        event = session.scalars(
            select(AuditEventRow).order_by(AuditEventRow.sequence.desc())
        ).first()
        assert event.actor_kind is ActorKind.OPERATOR
        assert event.subject_ref == str(user_id)


def test_totp_for_an_unknown_user_says_so(fresh_database):
    result = run_users("totp", "nobody", database_url=fresh_database.url)
    assert result.returncode == 1
    assert "no user is named nobody" in result.stderr


def test_list_shows_each_user_their_roles_and_whether_they_have_access(fresh_database):
    with Session(fresh_database.engine) as session:
        factories.practitioner(session, username="pat.practitioner")
        factories.lapsed_check(session, username="lapsed.user")
        session.commit()
    result = run_users("list", database_url=fresh_database.url)
    assert result.returncode == 0, result.stderr
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if "│" in line}
    assert "practitioner" in rows["pat.practitioner"]
    assert "yes" in rows["pat.practitioner"]
    assert "stopped: background_check" in rows["lapsed.user"]


def test_suspend_stops_a_user_and_reinstate_restores_them(fresh_database):
    with Session(fresh_database.engine) as session:
        factories.practitioner(session, username="pat.practitioner")
        session.commit()
    suspended = run_users(
        "suspend", "pat.practitioner", "--reason", "Investigation", database_url=fresh_database.url
    )
    assert suspended.returncode == 0, suspended.stderr
    listed = run_users("list", database_url=fresh_database.url)
    assert "stopped: account_active" in listed.stdout
    reinstated = run_users("reinstate", "pat.practitioner", database_url=fresh_database.url)
    assert reinstated.returncode == 0, reinstated.stderr


def test_users_commands_before_db_upgrade_name_the_command_to_run(empty_database):
    result = run_users("list", database_url=empty_database.url)
    assert result.returncode == 1
    assert "contactpoint db upgrade" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_operator_issues_a_token_shown_once_and_revokes_it(fresh_database):
    with Session(fresh_database.engine) as session:
        user = factories.practitioner(session)
        username = user.username
        session.commit()
    issued = run_users(
        "issue-token",
        username,
        "--role",
        "practitioner",
        "--scope",
        "directory:child:search",
        "--days",
        "30",
        database_url=fresh_database.url,
    )
    assert issued.returncode == 0, issued.stderr
    token = re.search(r"keep it secret\): (\S+)", issued.stdout).group(1)
    prefix = re.search(r"Known as (\S+);", issued.stdout).group(1)
    with Session(fresh_database.engine) as session:
        assert isinstance(
            authenticate_token(session, token=token, now=factories.NOW), TokenAccepted
        )
    revoked = run_users("revoke-token", prefix, database_url=fresh_database.url)
    assert revoked.returncode == 0, revoked.stderr
    with Session(fresh_database.engine) as session:
        later = dt.datetime.now(dt.UTC)
        assert isinstance(authenticate_token(session, token=token, now=later), TokenRefused)


def test_issuing_a_token_with_an_unknown_role_or_scope_says_which_and_issues_nothing(
    fresh_database,
):
    with Session(fresh_database.engine) as session:
        username = factories.practitioner(session).username
        session.commit()
    bad_role = run_users(
        "issue-token",
        username,
        "--role",
        "headteacher",
        "--scope",
        "directory:child:search",
        database_url=fresh_database.url,
    )
    bad_scope = run_users(
        "issue-token",
        username,
        "--role",
        "practitioner",
        "--scope",
        "everything",
        database_url=fresh_database.url,
    )
    assert bad_role.returncode == 1
    assert "'headteacher' is not a role" in bad_role.stderr
    assert bad_scope.returncode == 1
    assert "'everything' is not a permission" in bad_scope.stderr
    assert "Traceback" not in bad_role.stderr + bad_scope.stderr


def _organisation_with_name(fresh_database, name: str) -> int:
    with Session(fresh_database.engine) as session:
        organisation = factories.accredited_organisation(session)
        organisation.name = name
        session.commit()
        return organisation.id


def test_the_operator_issues_a_service_accounts_token_shown_once_and_revokes_it(fresh_database):
    organisation_id = _organisation_with_name(fresh_database, "Northshire Children's Services")
    issued = run_users(
        "issue-service-token",
        "--organisation-name",
        "Northshire Children's Services",
        "--name",
        "Case system",
        "--scope",
        "directory:child:search",
        "--scope",
        "feeds:load:submit",
        "--days",
        "30",
        database_url=fresh_database.url,
    )
    assert issued.returncode == 0, issued.stderr
    token = re.search(r"keep it secret\): (\S+)", issued.stdout).group(1)
    prefix = re.search(r"Known as (\S+);", issued.stdout).group(1)
    with Session(fresh_database.engine) as session:
        accepted = authenticate_token(session, token=token, now=factories.NOW)
        assert isinstance(accepted, TokenAccepted)
        assert accepted.principal.kind is PrincipalKind.SERVICE_ACCOUNT
        assert accepted.principal.organisation_id == organisation_id
        assert accepted.api_token.service_account == "Case system"
        assert accepted.api_token.scopes == "directory:child:search feeds:load:submit"
        event = session.scalars(
            select(AuditEventRow).where(AuditEventRow.event_type == EventType.ADMIN_ACTION)
        ).one()
        assert event.actor_kind is ActorKind.OPERATOR
        assert event.subject_ref == str(organisation_id)
    revoked = run_users("revoke-token", prefix, database_url=fresh_database.url)
    assert revoked.returncode == 0, revoked.stderr
    with Session(fresh_database.engine) as session:
        later = dt.datetime.now(dt.UTC)
        assert isinstance(authenticate_token(session, token=token, now=later), TokenRefused)


def test_a_service_token_names_its_organisation_by_id_too(fresh_database):
    organisation_id = _organisation_with_name(fresh_database, "Riverside Academy")
    issued = run_users(
        "issue-service-token",
        "--organisation-id",
        str(organisation_id),
        "--name",
        "Feed sender",
        "--scope",
        "feeds:load:submit",
        database_url=fresh_database.url,
    )
    assert issued.returncode == 0, issued.stderr
    assert "For Feed sender of Riverside Academy." in issued.stdout


def test_a_bad_service_token_request_says_what_is_wrong_and_issues_nothing(fresh_database):
    organisation_id = _organisation_with_name(fresh_database, "Riverside Academy")
    good = ["--name", "Case system", "--scope", "directory:child:search"]
    by_id = ["--organisation-id", str(organisation_id)]
    cases = {
        "name the organisation with": good,
        "no single organisation is named 'Nowhere'": ["--organisation-name", "Nowhere", *good],
        "no organisation has the id 99999": ["--organisation-id", "99999", *good],
        "cannot be scoped to: access:user:manage": [
            *by_id,
            "--name",
            "Case system",
            "--scope",
            "access:user:manage",
        ],
        "Enter the name of the system": [*by_id, "--name", " ", "--scope", "feeds:load:submit"],
    }
    for message, arguments in cases.items():
        result = run_users("issue-service-token", *arguments, database_url=fresh_database.url)
        assert result.returncode == 1, message
        assert message in result.stderr, (message, result.stderr)
        assert "Traceback" not in result.stderr
    with Session(fresh_database.engine) as session:
        assert session.scalars(select(ApiToken)).all() == []
