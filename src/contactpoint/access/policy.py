"""The one place that decides who may do what, and whether a user may use the directory.

- :data:`ROLE_GRANTS`: each role's permissions, and how far each reaches (the
  whole country, the user's council area, the user's own organisation, or the
  user themself).
- :func:`decide`: whether a principal (a signed-in user acting in a role, an API
  client, or the local operator) may do a thing, with a reason when not.
- :func:`access_conditions`: which conditions of access have lapsed for a user,
  each with a message saying which, and who can restore it.

Pages, API endpoints, services and commands ask here; none re-implements a rule.
Pure: no database queries (the caller loads the user and organisation).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from contactpoint.access.permissions import AccessRequirement, Permission, Public

if TYPE_CHECKING:
    from collections.abc import Iterable

    from contactpoint.access.models import UserAccount
    from contactpoint.organisations.models import Organisation

BACKGROUND_CHECK_VALID_YEARS: Final = 3


class Role(enum.StrEnum):
    """What a user acts as; a user may hold several and chooses one at sign-in."""

    PRACTITIONER = "practitioner"
    COUNCIL_TEAM = "council_team"
    DATA_MANAGER = "data_manager"
    AUDITOR = "auditor"
    NATIONAL_ADMINISTRATOR = "national_administrator"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Reach(enum.StrEnum):
    """How far a granted permission extends."""

    NATIONAL = "national"
    COUNCIL = "council"  # the council area the user's organisation belongs to
    ORGANISATION = "organisation"  # the user's own organisation
    SELF = "self"  # the user's own account


class PrincipalKind(enum.StrEnum):
    USER = "user"
    SERVICE_ACCOUNT = "service_account"
    OPERATOR = "operator"  # the command line, audited as the operating-system user


P = Permission
_EVERY_ROLE: Final = {P.ACCESS_SELF_MANAGE: Reach.SELF}

ROLE_GRANTS: Final[Mapping[Role, Mapping[Permission, Reach]]] = MappingProxyType(
    {
        Role.PRACTITIONER: {
            **_EVERY_ROLE,
            P.DIRECTORY_CHILD_SEARCH: Reach.NATIONAL,
            P.DIRECTORY_CHILD_VIEW: Reach.NATIONAL,
            P.DIRECTORY_INVOLVEMENT_RECORD: Reach.NATIONAL,
        },
        Role.COUNCIL_TEAM: {
            **_EVERY_ROLE,
            P.ACCESS_API_TOKEN_MANAGE: Reach.COUNCIL,
            P.ACCESS_USER_MANAGE: Reach.COUNCIL,
            P.AUDIT_REPORT_VIEW: Reach.COUNCIL,
            P.DIRECTORY_CHILD_CORRECT: Reach.COUNCIL,
            P.DIRECTORY_CHILD_SEARCH: Reach.NATIONAL,
            P.DIRECTORY_CHILD_VIEW: Reach.NATIONAL,
            P.DIRECTORY_SENSITIVE_SERVICE_VIEW: Reach.COUNCIL,
            P.DIRECTORY_SHIELD_MANAGE: Reach.COUNCIL,
            P.DIRECTORY_SHIELDED_CHILD_VIEW: Reach.COUNCIL,
            P.LINKAGE_REVIEW_WORK: Reach.COUNCIL,
            P.QUALITY_REPORT_VIEW: Reach.COUNCIL,
            P.RETENTION_SUBJECT_ACCESS_MANAGE: Reach.COUNCIL,
        },
        Role.DATA_MANAGER: {
            **_EVERY_ROLE,
            P.FEEDS_LOAD_RUN: Reach.ORGANISATION,
            P.FEEDS_LOAD_SUBMIT: Reach.ORGANISATION,
            P.FEEDS_SOURCE_MANAGE: Reach.ORGANISATION,
            P.QUALITY_REPORT_VIEW: Reach.ORGANISATION,
            P.RETENTION_ARCHIVED_CHILD_VIEW: Reach.ORGANISATION,
        },
        Role.AUDITOR: {
            **_EVERY_ROLE,
            P.AUDIT_ALERT_VIEW: Reach.COUNCIL,
            P.AUDIT_REPORT_VIEW: Reach.COUNCIL,
        },
        Role.NATIONAL_ADMINISTRATOR: {
            **_EVERY_ROLE,
            P.ACCESS_API_TOKEN_MANAGE: Reach.NATIONAL,
            P.ACCESS_ORGANISATION_MANAGE: Reach.NATIONAL,
            P.ACCESS_USER_MANAGE: Reach.NATIONAL,
            P.FEEDS_SOURCE_MANAGE: Reach.NATIONAL,
        },
    }
)

# What an API token for a service account (a case-management system, a feed
# sender) may be scoped to; it reaches its own organisation's affairs only,
# except searching and reading, which are national as for practitioners.
SERVICE_ACCOUNT_GRANTS: Final[Mapping[Permission, Reach]] = MappingProxyType(
    {
        P.DIRECTORY_CHILD_SEARCH: Reach.NATIONAL,
        P.DIRECTORY_CHILD_VIEW: Reach.NATIONAL,
        P.DIRECTORY_INVOLVEMENT_RECORD: Reach.NATIONAL,
        P.FEEDS_LOAD_SUBMIT: Reach.ORGANISATION,
    }
)

# High-risk actions: the user must have confirmed who they are (password and
# second factor again) within the last few minutes. API tokens can never do them.
NEEDS_REAUTHENTICATION: Final = frozenset(
    {P.DIRECTORY_SHIELD_OVERRIDE, P.RETENTION_SUBJECT_ACCESS_MANAGE}
)

# A per-user grant, never part of a role: named child-protection users may
# override a shield, in any role that lets them open children's records.
OVERRIDE_GRANT: Final = (P.DIRECTORY_SHIELD_OVERRIDE, Reach.NATIONAL)


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user in a role, a service account, or the local operator."""

    kind: PrincipalKind
    name: str  # username, service account name, or operating-system user (for the audit)
    grants: Mapping[Permission, Reach]
    user_id: int | None = None
    organisation_id: int | None = None
    council_id: int | None = None
    acting_role: Role | None = None
    token_scopes: frozenset[Permission] | None = None  # set when authenticated by API token
    reauthenticated: bool = False  # confirmed who they are within the last few minutes
    session_ref: str | None = None  # names the session or token in the audit trail


@dataclass(frozen=True, slots=True)
class Decision:
    """Allowed or not; when allowed with a limited reach, listings must filter to it."""

    allowed: bool
    requirement: AccessRequirement
    reason: str = ""
    reach: Reach | None = None
    council_id: int | None = None
    organisation_id: int | None = None
    needs_reauthentication: bool = False  # denied only until the user confirms who they are


class AccessDeniedError(Exception):
    """The policy refused; the message is the decision's reason, fit to show the user."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.reason)
        self.decision = decision


def permissions_for(user: UserAccount, acting_role: Role) -> Mapping[Permission, Reach]:
    """What ``user`` may do acting as ``acting_role`` (nothing if the role is not theirs)."""
    if acting_role not in user.roles:
        return MappingProxyType({})
    grants = dict(ROLE_GRANTS[acting_role])
    if user.is_child_protection_officer and P.DIRECTORY_CHILD_VIEW in grants:
        permission, reach = OVERRIDE_GRANT
        grants[permission] = reach
    return MappingProxyType(grants)


def principal_for_user(
    user: UserAccount,
    *,
    acting_role: Role,
    scopes: Iterable[Permission] | None = None,
    reauthenticated: bool = False,
    session_ref: str | None = None,
) -> Principal:
    """A signed-in user; with ``scopes`` (an API token's), limited to what they cover."""
    grants = dict(permissions_for(user, acting_role))
    token_scopes = None if scopes is None else frozenset(scopes)
    if token_scopes is not None:
        grants = {p: reach for p, reach in grants.items() if p in token_scopes}
    return Principal(
        kind=PrincipalKind.USER,
        name=user.username,
        grants=MappingProxyType(grants),
        user_id=user.id,
        organisation_id=user.organisation_id,
        council_id=user.organisation.own_council_id,
        acting_role=acting_role,
        token_scopes=token_scopes,
        reauthenticated=reauthenticated and token_scopes is None,
        session_ref=session_ref,
    )


def principal_for_service_account(
    name: str,
    *,
    organisation: Organisation,
    scopes: Iterable[Permission],
    session_ref: str | None = None,
) -> Principal:
    token_scopes = frozenset(scopes)
    grants = {p: reach for p, reach in SERVICE_ACCOUNT_GRANTS.items() if p in token_scopes}
    return Principal(
        kind=PrincipalKind.SERVICE_ACCOUNT,
        name=name,
        grants=MappingProxyType(grants),
        organisation_id=organisation.id,
        council_id=organisation.own_council_id,
        token_scopes=token_scopes,
        session_ref=session_ref,
    )


def principal_for_operator(operating_system_user: str) -> Principal:
    """The command line: it has the server's files anyway, so it may do everything."""
    grants = dict.fromkeys(Permission, Reach.NATIONAL)
    return Principal(
        kind=PrincipalKind.OPERATOR,
        name=operating_system_user,
        grants=MappingProxyType(grants),
        reauthenticated=True,
    )


@dataclass(frozen=True, slots=True)
class Target:
    """What a decision is about: something of an organisation, in a council's area (or none)."""

    organisation_id: int | None
    council_id: int | None


def target_of(organisation: Organisation) -> Target:
    return Target(organisation_id=organisation.id, council_id=organisation.own_council_id)


def decide(
    principal: Principal | None, requirement: AccessRequirement, *, target: Target | None = None
) -> Decision:
    """Whether ``principal`` may meet ``requirement``, for ``target`` if given.

    Without a target, an allowed decision says how far the permission reaches
    (``reach``, with ``council_id`` or ``organisation_id``), and a listing must
    filter to it.
    """
    if isinstance(requirement, Public):
        return Decision(allowed=True, requirement=requirement, reach=Reach.NATIONAL)
    if principal is None:
        return _deny(requirement, "Sign in to use this page.")
    reach = principal.grants.get(requirement)
    if reach is None:
        return _deny(requirement, _not_granted(principal, requirement))
    if requirement in NEEDS_REAUTHENTICATION and not principal.reauthenticated:
        return Decision(
            allowed=False,
            requirement=requirement,
            reason="Confirm it is you: enter your password and your second factor again.",
            needs_reauthentication=True,
        )
    return _within_reach(principal, requirement, reach, target=target)


def require(decision: Decision) -> Decision:
    """The decision if allowed; otherwise :class:`AccessDeniedError` with its reason."""
    if not decision.allowed:
        raise AccessDeniedError(decision)
    return decision


def may_manage_user(
    principal: Principal, *, organisation: Organisation, user_id: int | None = None
) -> Decision:
    """Whether ``principal`` may create or change a user of ``organisation``.

    Nobody changes their own account (roles, vetting, the right to override a
    shield): another member of the team must.
    """
    permission = P.ACCESS_USER_MANAGE
    if user_id is not None and user_id == principal.user_id:
        return _deny(permission, "You cannot change your own account; ask another member.")
    return decide(principal, permission, target=target_of(organisation))


def may_issue_token(principal: Principal, *, organisation: Organisation, user_id: int) -> Decision:
    """Whether ``principal`` may issue an API token acting for user ``user_id``.

    As with other changes to an account, nobody issues a token for themselves: a
    token is a second way in, so another member of the team must agree to it.
    """
    permission = P.ACCESS_API_TOKEN_MANAGE
    if user_id == principal.user_id:
        return _deny(
            permission, "You cannot issue a token for your own account; ask another member."
        )
    return decide(principal, permission, target=target_of(organisation))


def may_grant(
    principal: Principal,
    roles: Iterable[Role],
    *,
    organisation: Organisation,
    user_id: int | None = None,
) -> Decision:
    """Whether ``principal`` may give ``roles`` to a user of ``organisation``.

    Only national reach may make national administrators.
    """
    decision = may_manage_user(principal, organisation=organisation, user_id=user_id)
    national = decision.reach is Reach.NATIONAL
    if decision.allowed and not national and Role.NATIONAL_ADMINISTRATOR in set(roles):
        return _deny(P.ACCESS_USER_MANAGE, "Only national administrators can grant that role.")
    return decision


def _within_reach(
    principal: Principal, permission: Permission, reach: Reach, *, target: Target | None
) -> Decision:
    if reach is Reach.COUNCIL:
        if principal.council_id is None:
            return _deny(permission, "Your organisation belongs to no council's area.")
        if target is not None and target.council_id != principal.council_id:
            return _deny(permission, f"You can {permission.meaning} only in your council's area.")
        return Decision(
            allowed=True, requirement=permission, reach=reach, council_id=principal.council_id
        )
    if reach is Reach.ORGANISATION:
        if target is not None and target.organisation_id != principal.organisation_id:
            return _deny(permission, f"You can {permission.meaning} only for your organisation.")
        return Decision(
            allowed=True,
            requirement=permission,
            reach=reach,
            organisation_id=principal.organisation_id,
        )
    return Decision(allowed=True, requirement=permission, reach=reach)


def _not_granted(principal: Principal, permission: Permission) -> str:
    if principal.token_scopes is not None and permission not in principal.token_scopes:
        return f"This API token's scopes do not include {permission.value}."
    if principal.acting_role is not None:
        return f"Acting as {principal.acting_role.label}, you cannot {permission.meaning}."
    return f"You cannot {permission.meaning}."


def _deny(requirement: AccessRequirement, reason: str) -> Decision:
    return Decision(allowed=False, requirement=requirement, reason=reason)


# --- Conditions of access ---------------------------------------------------------


class AccessCondition(enum.StrEnum):
    ACCOUNT_ACTIVE = "account_active"
    TRAINING = "training"
    BACKGROUND_CHECK = "background_check"
    USER_AGREEMENT = "user_agreement"
    EMPLOYER_AUTHORISATION = "employer_authorisation"
    ORGANISATION_ACCREDITED = "organisation_accredited"
    ROLE = "role"


@dataclass(frozen=True, slots=True)
class LapsedCondition:
    condition: AccessCondition
    message: str  # which condition lapsed, and who can restore it, as one paragraph
    restorer: str = field(default="")


def access_conditions(
    user: UserAccount, organisation: Organisation, *, today: dt.date
) -> list[LapsedCondition]:
    """The conditions of access that ``user`` does not meet today (none means access)."""
    team = _council_team(organisation)
    lapsed = [
        _suspension(user, team),
        _training(user, team),
        _background_check(user, team, today=today),
        _agreement(user, team),
        _employer_authorisation(user, team),
        _accreditation(organisation),
        _role(user, team),
    ]
    return [condition for condition in lapsed if condition is not None]


def background_check_expires_on(checked_on: dt.date) -> dt.date:
    """Checks last 3 years; one made on 29 February expires on 28 February."""
    year = checked_on.year + BACKGROUND_CHECK_VALID_YEARS
    try:
        return checked_on.replace(year=year)
    except ValueError:
        return dt.date(year, 2, 28)


def long_date(day: dt.date) -> str:
    """As GOV.UK writes dates: 3 March 2026."""
    return f"{day.day} {day:%B %Y}"


_NATIONAL_ADMINISTRATOR: Final = "A national administrator"


def _council_team(organisation: Organisation) -> str:
    if organisation.own_council_id is None:
        return _NATIONAL_ADMINISTRATOR
    council = organisation if organisation.council is None else organisation.council
    return f"Your council's ContactPoint team ({council.name})"


def _lapsed(
    condition: AccessCondition, problem: str, restorer: str, remedy: str
) -> LapsedCondition:
    return LapsedCondition(condition, f"{problem} {restorer} {remedy}", restorer)


def _suspension(user: UserAccount, team: str) -> LapsedCondition | None:
    if user.suspended_at is None:
        return None
    problem = f"Your account was suspended on {long_date(user.suspended_at.date())}."
    return _lapsed(AccessCondition.ACCOUNT_ACTIVE, problem, team, "can reinstate it.")


def _training(user: UserAccount, team: str) -> LapsedCondition | None:
    if user.training_completed_on is not None:
        return None
    problem = "Your ContactPoint training is not recorded as completed."
    remedy = "can record it when you have completed the training."
    return _lapsed(AccessCondition.TRAINING, problem, team, remedy)


def _background_check(user: UserAccount, team: str, *, today: dt.date) -> LapsedCondition | None:
    if user.background_check_on is None:
        problem = "No enhanced background check is recorded for you."
        return _lapsed(AccessCondition.BACKGROUND_CHECK, problem, team, "can record one.")
    expires_on = background_check_expires_on(user.background_check_on)
    if today < expires_on:
        return None
    problem = (
        f"Your enhanced background check expired on {long_date(expires_on)} "
        f"(checks are valid for {BACKGROUND_CHECK_VALID_YEARS} years)."
    )
    return _lapsed(AccessCondition.BACKGROUND_CHECK, problem, team, "can record a new check.")


def _agreement(user: UserAccount, team: str) -> LapsedCondition | None:
    if user.agreement_signed_on is not None:
        return None
    problem = "You have not signed the ContactPoint user agreement."
    remedy = "can record it when you have signed it."
    return _lapsed(AccessCondition.USER_AGREEMENT, problem, team, remedy)


def _employer_authorisation(user: UserAccount, team: str) -> LapsedCondition | None:
    if user.employer_authorised_on is not None:
        return None
    problem = "Your employer's authorisation for you to use ContactPoint is not recorded."
    remedy = "can record it when your employer authorises you."
    return _lapsed(AccessCondition.EMPLOYER_AUTHORISATION, problem, team, remedy)


def _role(user: UserAccount, team: str) -> LapsedCondition | None:
    if user.roles:
        return None
    problem = "You have no role in ContactPoint."
    return _lapsed(AccessCondition.ROLE, problem, team, "can give you one.")


def _accreditation(organisation: Organisation) -> LapsedCondition | None:
    if organisation.is_accredited:
        return None
    problem = (
        f"Your organisation, {organisation.name}, is not accredited to use ContactPoint "
        f"(its accreditation is {organisation.accreditation_status.value})."
    )
    remedy = "can accredit it."
    return _lapsed(
        AccessCondition.ORGANISATION_ACCREDITED, problem, _NATIONAL_ADMINISTRATOR, remedy
    )
