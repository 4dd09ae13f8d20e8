"""Ready-made users for the demo: one per role, and a named child-protection officer.

Development mode only. Every demo user has the same obviously-fake password and
an authenticator secret derived from their username, so that
``contactpoint users totp USERNAME`` prints their current code. Running it again
puts the demo users back as they were (password, code, vetting, roles).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from sqlalchemy import select

from contactpoint.access.accreditation import set_accreditation
from contactpoint.access.credentials import Sealer
from contactpoint.access.models import RoleGrant, UserAccount
from contactpoint.access.policy import Principal, Role, principal_for_operator
from contactpoint.access.second_factor import set_up_known_totp
from contactpoint.access.users import (
    Vetting,
    create_user,
    find_user,
    name_child_protection_officer,
    record_vetting,
    set_password,
)
from contactpoint.organisations.models import (
    AccreditationStatus,
    Organisation,
    OrganisationKind,
)
from contactpoint.settings import Mode

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from contactpoint.settings import Settings

DEMO_PASSWORD: Final = "demo-password-not-for-real-use"  # noqa: S105 - development mode only
DEMO_OPERATOR: Final = "contactpoint demo"


class DemoRefusedError(Exception):
    """Demo users are made only in development mode."""


@dataclass(frozen=True, slots=True)
class DemoUser:
    username: str
    password: str
    display_name: str
    roles: tuple[Role, ...]
    organisation: str
    child_protection_officer: bool = False

    @property
    def totp_command(self) -> str:
        return f"contactpoint users totp {self.username}"


@dataclass(frozen=True, slots=True)
class _Account:
    username: str
    display_name: str
    role: Role
    organisation: str  # "council", "service", "police" or "national"
    child_protection_officer: bool = False


_ACCOUNTS: Final = (
    _Account("demo-practitioner", "Pat Practitioner", Role.PRACTITIONER, "service"),
    _Account("demo-council-team", "Chris Council-Team", Role.COUNCIL_TEAM, "council"),
    _Account("demo-data-manager", "Dana Data-Manager", Role.DATA_MANAGER, "council"),
    _Account("demo-auditor", "Alex Auditor", Role.AUDITOR, "council"),
    _Account(
        "demo-national-administrator", "Nat Administrator", Role.NATIONAL_ADMINISTRATOR, "national"
    ),
    _Account(
        "demo-child-protection",
        "Sam Child-Protection",
        Role.PRACTITIONER,
        "police",
        child_protection_officer=True,
    ),
)


def demo_totp_secret(username: str) -> str:
    """A secret anyone can work out from the username: fit for the demo and nothing else."""
    seed = hashlib.sha256(f"contactpoint demo authenticator: {username}".encode()).digest()
    return base64.b32encode(seed[:20]).decode()


def create_demo_users(
    session: Session, *, settings: Settings, council_id: int, now: dt.datetime
) -> list[DemoUser]:
    """Make (or put back) one ready user per role, in the council ``council_id``'s area."""
    if settings.mode is not Mode.DEVELOPMENT:
        raise DemoRefusedError(
            f"Demo users have a published password; they are made only in development mode, "
            f"not {settings.mode.value}."
        )
    sealer = Sealer(settings.require_secret())
    council = session.get(Organisation, council_id)
    if council is None or council.kind is not OrganisationKind.COUNCIL:
        raise DemoRefusedError(f"Organisation {council_id} is not a council.")
    operator = principal_for_operator(DEMO_OPERATOR)
    organisations = _demo_organisations(session, by=operator, council=council, today=now.date())
    made = []
    for account in _ACCOUNTS:
        organisation = organisations[account.organisation]
        user = _ready_user(
            session, account=account, organisation=organisation, by=operator, now=now
        )
        set_password(user, DEMO_PASSWORD, now=now)
        set_up_known_totp(user, secret=demo_totp_secret(user.username), sealer=sealer, now=now)
        made.append(_described(account, organisation=organisation))
    session.flush()
    return made


def _ready_user(
    session: Session,
    *,
    account: _Account,
    organisation: Organisation,
    by: Principal,
    now: dt.datetime,
) -> UserAccount:
    user = find_user(session, username=account.username)
    if user is None:
        user = create_user(
            session,
            by=by,
            username=account.username,
            display_name=account.display_name,
            organisation=organisation,
            roles=[account.role],
            now=now,
        )
    user.organisation = organisation
    user.suspended_at = None
    user.suspended_reason = None
    if user.roles != {account.role}:
        user.role_grants[:] = [g for g in user.role_grants if g.role is account.role]
        if not user.role_grants:
            user.role_grants.append(RoleGrant(role=account.role, granted_at=now))
    today = now.date()
    vetting = Vetting(
        training_completed_on=today,
        background_check_on=today,
        agreement_signed_on=today,
        employer_authorised_on=today,
    )
    record_vetting(session, by=by, user=user, vetting=vetting, today=today)
    named = account.child_protection_officer
    if user.is_child_protection_officer != named:
        name_child_protection_officer(session, by=by, user=user, named=named)
    return user


def _demo_organisations(
    session: Session, *, by: Principal, council: Organisation, today: dt.date
) -> dict[str, Organisation]:
    organisations = {
        "council": council,
        "service": _organisation(
            session,
            kind=OrganisationKind.SERVICE,
            name="Demo family support service",
            council=council,
        ),
        "police": _organisation(
            session,
            kind=OrganisationKind.POLICE_FORCE,
            name="Demo police child protection unit",
            council=council,
        ),
        "national": _organisation(
            session, kind=OrganisationKind.OTHER, name="ContactPoint national team (demo)"
        ),
    }
    for organisation in organisations.values():
        if not organisation.is_accredited:
            set_accreditation(
                session,
                by=by,
                organisation=organisation,
                status=AccreditationStatus.ACCREDITED,
                today=today,
            )
    return organisations


def _organisation(
    session: Session, *, kind: OrganisationKind, name: str, council: Organisation | None = None
) -> Organisation:
    found = session.scalar(
        select(Organisation).where(Organisation.kind == kind, Organisation.name == name)
    )
    if found is not None:
        return found
    made = Organisation(kind=kind, name=name, council_id=None if council is None else council.id)
    session.add(made)
    session.flush()
    return made


def _described(account: _Account, *, organisation: Organisation) -> DemoUser:
    return DemoUser(
        username=account.username,
        password=DEMO_PASSWORD,
        display_name=account.display_name,
        roles=(account.role,),
        organisation=organisation.name,
        child_protection_officer=account.child_protection_officer,
    )
