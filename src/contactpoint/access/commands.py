"""``contactpoint users``: bootstrap and look after user accounts from the server.

The command line acts as the local operator (it has the server's files, the
database and the secret key anyway), so the policy lets it do anything; every
change it makes is recorded in the audit trail against the operating-system
account that ran it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import os
import pwd
from collections.abc import Iterator
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import inspect
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from contactpoint.access import audit_trail
from contactpoint.access.accreditation import (
    add_organisation,
    find_organisation,
    set_accreditation,
)
from contactpoint.access.credentials import Sealer, UnsealError
from contactpoint.access.links import IssuedLink, issue_one_time_link, link_address
from contactpoint.access.models import LinkPurpose, UserAccount
from contactpoint.access.passwords import PasswordPolicyError
from contactpoint.access.permissions import Permission, permission_named
from contactpoint.access.policy import (
    AccessDeniedError,
    Principal,
    Role,
    access_conditions,
    principal_for_operator,
)
from contactpoint.access.second_factor import (
    TOTP_STEP_SECONDS,
    SecondFactorSetUpError,
    current_code,
)
from contactpoint.access.service_accounts import organisation_for_service_tokens
from contactpoint.access.tokens import (
    IssuedToken,
    TokenError,
    issue_token_for_service_account,
    issue_token_for_user,
    revoke_token,
    tokens_with_prefix,
)
from contactpoint.access.users import (
    UserManagementError,
    Vetting,
    create_user,
    find_user,
    list_users,
    record_vetting,
    reinstate_user,
    suspend_user,
)
from contactpoint.audit.events import LABEL_LENGTH
from contactpoint.organisations.models import AccreditationStatus, Organisation, OrganisationKind
from contactpoint.settings import SettingsError, load_settings
from contactpoint.storage.engine import describe, engine_from_settings, session_factory

__all__ = ["users_app"]

users_app = typer.Typer(
    help="Create and look after user accounts (as the local operator).", no_args_is_help=True
)
console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)


class UsersCommandError(Exception):
    """A failure the operator can act on; printed as one line."""


@contextlib.contextmanager
def _reported_failures() -> Iterator[None]:
    try:
        yield
    except (
        AccessDeniedError,
        PasswordPolicyError,
        SecondFactorSetUpError,
        SettingsError,
        TokenError,
        UnsealError,
        UserManagementError,
        UsersCommandError,
    ) as error:
        errors.print(f"[bold red]Error:[/] {error}")
        raise typer.Exit(1) from None
    except (OperationalError, ProgrammingError) as error:
        errors.print(
            f"[bold red]Error:[/] cannot use the database: {error.orig}. "
            "Check CONTACTPOINT_DATABASE_URL."
        )
        raise typer.Exit(1) from None


@contextlib.contextmanager
def _database() -> Iterator[Session]:
    engine = engine_from_settings(load_settings())
    try:
        if not inspect(engine).has_table("user_account"):
            raise UsersCommandError(
                f"the database {describe(engine)} has no user accounts yet: "
                "run `contactpoint db upgrade` first."
            )
        with session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def operator() -> Principal:
    """The operating-system account running the command, by user id (not $USER)."""
    try:
        name = pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # a container's user with no passwd entry
        name = f"uid {os.geteuid()} ({getpass.getuser()})"
    return principal_for_operator(name[:LABEL_LENGTH])


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


Username = Annotated[str, typer.Argument(help="The user's username.")]


@users_app.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Option("--username", help="The new administrator's username.")],
    organisation_name: Annotated[
        str,
        typer.Option("--organisation-name", help="Their organisation; made (accredited) if new."),
    ],
    display_name: Annotated[
        str, typer.Option("--display-name", help="Their name, as others see it.")
    ] = "",
) -> None:
    """Bootstrap a fresh installation with a national administrator.

    Prints a one-time link, once: the administrator opens it to choose their own
    password and set up their second factor. Nobody else ever knows the password.
    """
    with _reported_failures():
        settings = load_settings()
        settings.require_secret()  # their second factor will be sealed with it
        by, now = operator(), _now()
        with _database() as session:
            if find_user(session, username=username) is not None:
                raise UsersCommandError(f"a user named {username.strip().lower()} already exists.")
            organisation = _accredited_organisation(session, name=organisation_name, by=by)
            user = create_user(
                session,
                by=by,
                username=username,
                display_name=display_name or username,
                organisation=organisation,
                roles=[Role.NATIONAL_ADMINISTRATOR],
                now=now,
            )
            today = now.date()
            vetting = Vetting(
                training_completed_on=today,
                background_check_on=today,
                agreement_signed_on=today,
                employer_authorised_on=today,
            )
            record_vetting(session, by=by, user=user, vetting=vetting, today=today)
            issued = issue_one_time_link(
                session, by=by, user=user, purpose=LinkPurpose.FIRST_SIGN_IN, now=now
            )
            session.commit()
        console.print(f"Created the national administrator [bold]{user.username}[/].")
        _show_link(settings.public_url, issued)


@users_app.command("link")
def link(
    username: Username,
    purpose: Annotated[
        LinkPurpose, typer.Option("--purpose", help="What the link lets the user do.")
    ] = LinkPurpose.PASSWORD_RESET,
) -> None:
    """Issue a one-time link: a first sign-in, a password reset, or a second-factor reset."""
    with _reported_failures():
        settings = load_settings()
        with _database() as session:
            user = _user(session, username)
            issued = issue_one_time_link(
                session, by=operator(), user=user, purpose=purpose, now=_now()
            )
            session.commit()
        _show_link(settings.public_url, issued)


def _accredited_organisation(session: Session, *, name: str, by: Principal) -> Organisation:
    organisation = find_organisation(session, name=name)
    if organisation is None:
        organisation = add_organisation(session, by=by, kind=OrganisationKind.OTHER, name=name)
    if not organisation.is_accredited:
        set_accreditation(
            session,
            by=by,
            organisation=organisation,
            status=AccreditationStatus.ACCREDITED,
            today=_now().date(),
        )
    return organisation


def _show_link(public_url: str, issued: IssuedLink) -> None:
    purpose = issued.link.purpose.value.replace("_", " ")
    expires = issued.link.expires_at.strftime("%d %B %Y at %H:%M UTC")
    console.print(f"The {purpose} link, shown once; give it only to the user. It works once,")
    console.print(f"until {expires}:")
    console.print(f"  {link_address(public_url, issued.token)}")


@users_app.command("totp")
def totp(username: Username) -> None:
    """Print a user's current one-time code (for the demo and operators; recorded in the audit)."""
    with _reported_failures():
        sealer = Sealer(load_settings().require_secret())
        by, now = operator(), _now()
        with _database() as session:
            user = _user(session, username)
            code = current_code(user, sealer=sealer, now=now)
            audit_trail.user_changed(session, by=by, user=user, action="read_one_time_code")
            session.commit()
        left = TOTP_STEP_SECONDS - int(now.timestamp()) % TOTP_STEP_SECONDS
        console.print(f"{code}  (valid for {left} more seconds; each code works once)")


@users_app.command("issue-token")
def issue_token(
    username: Username,
    role: Annotated[str, typer.Option(help="The role the token acts in.")],
    scope: Annotated[
        list[str], typer.Option(help="A permission the token may use (repeat for more).")
    ],
    days: Annotated[int, typer.Option(min=1, max=365, help="Days until it expires.")] = 90,
) -> None:
    """Issue an API token for a user's case-management system; it is shown once."""
    with _reported_failures():
        by, now = operator(), _now()
        acting_role = _role_named(role)
        scopes = [_permission_named(name) for name in scope]
        with _database() as session:
            issued = issue_token_for_user(
                session,
                by=by,
                user=_user(session, username),
                acting_role=acting_role,
                scopes=scopes,
                now=now,
                lifetime=dt.timedelta(days=days),
            )
            session.commit()
            _show_token(issued)


@users_app.command("issue-service-token")
def issue_service_token(
    name: Annotated[str, typer.Option(help="The system that will use it, e.g. its product.")],
    scope: Annotated[
        list[str], typer.Option(help="A permission the token may use (repeat for more).")
    ],
    organisation_name: Annotated[
        str | None, typer.Option(help="The organisation whose system it is, by exact name.")
    ] = None,
    organisation_id: Annotated[
        int | None,
        typer.Option(min=1, max=2**31 - 1, help="The organisation, by id (when names repeat)."),
    ] = None,
    days: Annotated[int, typer.Option(min=1, max=365, help="Days until it expires.")] = 90,
) -> None:
    """Issue an API token for an organisation's system (a service account); shown once."""
    with _reported_failures():
        by, now = operator(), _now()
        scopes = [_permission_named(value) for value in scope]
        with _database() as session:
            organisation = _organisation(session, name=organisation_name, id_=organisation_id)
            issued = issue_token_for_service_account(
                session,
                by=by,
                name=name,
                organisation=organisation,
                scopes=scopes,
                now=now,
                lifetime=dt.timedelta(days=days),
            )
            session.commit()
            console.print(f"For {issued.api_token.service_account} of {organisation.name}.")
            _show_token(issued)


def _show_token(issued: IssuedToken) -> None:
    expires = issued.api_token.expires_at.date().isoformat()
    console.print(f"API token (shown once, keep it secret): {issued.token}")
    console.print(f"Known as {issued.api_token.prefix}; expires on {expires}.")


def _organisation(session: Session, *, name: str | None, id_: int | None) -> Organisation:
    if (name is None) == (id_ is None):
        raise UsersCommandError(
            "name the organisation with --organisation-name or --organisation-id."
        )
    if id_ is not None:
        found = organisation_for_service_tokens(session, by=operator(), organisation_id=id_)
        if found is None:
            raise UsersCommandError(f"no organisation has the id {id_}.")
        return found
    found = find_organisation(session, name=name or "")
    if found is None:
        raise UsersCommandError(f"no single organisation is named {name!r}; use --organisation-id.")
    return found


@users_app.command("revoke-token")
def revoke_token_command(
    prefix: Annotated[str, typer.Argument(help="The token's prefix, as shown when issued.")],
) -> None:
    """Revoke an API token at once."""
    with _reported_failures(), _database() as session:
        found = tokens_with_prefix(session, prefix)
        if len(found) != 1:
            raise UsersCommandError(f"{len(found)} tokens are known as {prefix!r}; expected one.")
        revoke_token(session, by=operator(), api_token=found[0], now=_now())
        session.commit()
        console.print(f"Revoked the token known as {prefix}.")


def _role_named(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        known = ", ".join(role.value for role in Role)
        raise UsersCommandError(f"--role {value!r} is not a role; use one of: {known}.") from None


def _permission_named(value: str) -> Permission:
    try:
        return permission_named(value)
    except ValueError:
        raise UsersCommandError(
            f"--scope {value!r} is not a permission (they are named scope:resource:action)."
        ) from None


@users_app.command("list")
def list_command() -> None:
    """List user accounts, their roles, and whether they may use the directory today."""
    with _reported_failures(), _database() as session:
        today = _now().date()
        table = Table("Username", "Name", "Organisation", "Roles", "Access")
        for user in list_users(session, by=operator()):
            lapsed = access_conditions(user, user.organisation, today=today)
            access = "yes" if not lapsed else "stopped: " + ", ".join(c.condition for c in lapsed)
            roles = ", ".join(role.label for role in sorted(user.roles))
            if user.is_child_protection_officer:
                roles += " (may override shields)"
            table.add_row(user.username, user.display_name, user.organisation.name, roles, access)
        console.print(table)


@users_app.command("suspend")
def suspend(
    username: Username,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit trail).")],
) -> None:
    """Suspend an account at once: all its sessions end and its API tokens stop working."""
    with _reported_failures(), _database() as session:
        user = _user(session, username)
        suspend_user(session, by=operator(), user=user, reason=reason, now=_now())
        session.commit()
        console.print(f"Suspended {user.username}; every session it had has ended.")


@users_app.command("reinstate")
def reinstate(username: Username) -> None:
    """Lift a suspension."""
    with _reported_failures(), _database() as session:
        user = _user(session, username)
        reinstate_user(session, by=operator(), user=user)
        session.commit()
        console.print(f"Reinstated {user.username}.")


def _user(session: Session, username: str) -> UserAccount:
    user = find_user(session, username=username)
    if user is None:
        raise UsersCommandError(f"no user is named {username.strip().lower()}.")
    return user
