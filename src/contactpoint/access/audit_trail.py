"""What access records in the audit trail, as typed events of :mod:`contactpoint.audit`.

One function per thing that happens, called where it happens, late in the
transaction (the audit trail holds its chain lock until commit). Events name
users and organisations by identifier; a failed sign-in for a name that matches
no account is recorded with an anonymous actor, and the typed name is never
kept (it is often a mistyped password).

The web layer must commit after a failed sign-in too, so that the throttle's
counters and these events are kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from contactpoint.access.credentials import digest
from contactpoint.access.policy import PrincipalKind
from contactpoint.audit import events
from contactpoint.audit.events import ADDRESS_LENGTH, Actor, Outcome, Subject
from contactpoint.audit.services import record

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from contactpoint.access.models import ApiToken, UserAccount, UserSession
    from contactpoint.access.policy import Decision, Principal, Role

Changes = Mapping[str, tuple[object, object]]


def actor_for(principal: Principal, *, address: str | None = None) -> Actor:
    """The audit trail's actor for a principal."""
    if principal.kind is PrincipalKind.OPERATOR:
        return Actor.operator(principal.name)
    if principal.kind is PrincipalKind.SERVICE_ACCOUNT or principal.user_id is None:
        return Actor(
            events.ActorKind.SERVICE,
            label=principal.name,
            organisation_id=principal.organisation_id,
            session_ref=principal.session_ref,
            address=_address(address),
        )
    return Actor(
        events.ActorKind.USER,
        user_id=principal.user_id,
        role=None if principal.acting_role is None else principal.acting_role.value,
        organisation_id=principal.organisation_id,
        session_ref=principal.session_ref,
        address=_address(address),
    )


def session_ref(user_session: UserSession) -> str:
    """How the trail names a session: a digest of its id (itself a digest of the token)."""
    return digest(user_session.id)


def sign_in_succeeded(
    session: Session, *, user: UserAccount, user_session: UserSession, method: str
) -> None:
    actor = _user_actor(user, role=user_session.acting_role, user_session=user_session)
    record(session, events.sign_in_event(actor, method=method))


def sign_in_failed(
    session: Session, *, user: UserAccount | None, client_key: str, method: str, failure: str
) -> None:
    """A wrong password or code, or a refusal while throttled (``failure="throttled"``)."""
    actor = _attempt_actor(user, client_key=client_key)
    outcome = Outcome.DENIED if failure == "throttled" else Outcome.FAILURE
    record(session, events.sign_in_event(actor, outcome=outcome, method=method, failure=failure))


def access_stopped(
    session: Session,
    *,
    user: UserAccount,
    user_session: UserSession | None = None,
    method: str = "password",
) -> None:
    """A condition of access has lapsed: at sign-in (refused) or mid-session (signed out).

    ``method`` is how the refused sign-in began and went on (``password_totp``,
    ``link_passkey``...), as for a successful one.
    """
    if user_session is None:
        actor = _user_actor(user)
        event = events.sign_in_event(
            actor, outcome=Outcome.DENIED, method=method, failure="access_lapsed"
        )
    else:
        actor = _user_actor(user, role=user_session.acting_role, user_session=user_session)
        event = events.sign_out_event(actor, cause="access_lapsed")
    record(session, event)


def session_ended(
    session: Session, *, user: UserAccount, user_session: UserSession, cause: str
) -> None:
    """``cause``: ``user``, ``idle_timeout``, ``absolute_timeout``, ``suspended``..."""
    actor = _user_actor(user, role=user_session.acting_role, user_session=user_session)
    record(session, events.sign_out_event(actor, cause=cause))


def api_token_refused(
    session: Session, *, api_token: ApiToken, organisation_id: int, failure: str
) -> None:
    """A known API token refused (``revoked``, ``expired``, ``access_lapsed``).

    Recorded as a refused sign-in by the token's holder, named by identifier only
    (a service account by its organisation and token, never by its name), with the
    same session reference an accepted call through the token carries.
    """
    role = None if api_token.acting_role is None else api_token.acting_role.value
    actor = Actor(
        events.ActorKind.SERVICE if api_token.user_id is None else events.ActorKind.USER,
        user_id=api_token.user_id,
        role=role,
        organisation_id=organisation_id,
        session_ref=token_ref(api_token),
    )
    event = events.sign_in_event(actor, outcome=Outcome.DENIED, method="api_token", failure=failure)
    record(session, event)


def token_ref(api_token: ApiToken) -> str:
    """How the trail names an API token: by its id (the token itself is never kept)."""
    return f"api_token:{api_token.id}"


def second_factor_set_up(session: Session, *, user: UserAccount, method: str) -> None:
    record(session, events.second_factor_set_up_event(_user_actor(user), method=method))


def reauthenticated(
    session: Session,
    *,
    user: UserAccount,
    user_session: UserSession,
    succeeded: bool,
    method: str,
) -> None:
    """``method``: ``reauthenticate_totp`` or ``reauthenticate_passkey``."""
    actor = _user_actor(user, role=user_session.acting_role, user_session=user_session)
    outcome = Outcome.SUCCESS if succeeded else Outcome.FAILURE
    failure = None if succeeded else "wrong_credentials"
    event = events.sign_in_event(actor, outcome=outcome, method=method, failure=failure)
    record(session, event)


def reauthentication_required(
    session: Session, *, principal: Principal, decision: Decision, route: str | None = None
) -> None:
    """For the web layer: a page sent the user to confirm who they are (not a denial)."""
    permission = str(getattr(decision.requirement, "value", decision.requirement))
    event = events.reauthentication_required_event(
        actor_for(principal), permission=permission, route=route
    )
    record(session, event)


def housekeeping_done(session: Session, *, by: Principal, counts: Mapping[str, int]) -> None:
    """Expired sign-in records deleted (:mod:`.housekeeping`): how many of each, nothing more."""
    record(session, events.housekeeping_event(actor_for(by), deleted=counts))


def user_changed(
    session: Session,
    *,
    by: Principal,
    user: UserAccount,
    action: str,
    changes: Changes | None = None,
) -> None:
    """An administrative change to a user: ``create_user``, ``suspend_user``, ``grant_role``..."""
    event = events.admin_action_event(
        actor_for(by), action=action, subject=Subject.user(user.id), changes=changes
    )
    record(session, event)


def own_account_changed(session: Session, *, user: UserAccount, action: str) -> None:
    """A change the user made to their own account (a password, through a one-time link)."""
    event = events.admin_action_event(
        _user_actor(user), action=action, subject=Subject.user(user.id)
    )
    record(session, event)


def organisation_changed(
    session: Session, *, by: Principal, organisation_id: int, action: str, changes: Changes
) -> None:
    event = events.admin_action_event(
        actor_for(by),
        action=action,
        subject=Subject.organisation(organisation_id),
        changes=changes,
    )
    record(session, event)


def access_denied(
    session: Session, *, principal: Principal, decision: Decision, route: str | None = None
) -> None:
    """For the web layer: a request the policy refused (``route`` is the route's template)."""
    permission = str(getattr(decision.requirement, "value", decision.requirement))
    event = events.access_denied_event(actor_for(principal), permission=permission, route=route)
    record(session, event)


def _user_actor(
    user: UserAccount,
    *,
    role: Role | None = None,
    user_session: UserSession | None = None,
    address: str | None = None,
) -> Actor:
    return Actor(
        events.ActorKind.USER,
        user_id=user.id,
        role=None if role is None else role.value,
        organisation_id=user.organisation_id,
        session_ref=None if user_session is None else session_ref(user_session),
        address=_address(address),
    )


def _attempt_actor(user: UserAccount | None, *, client_key: str) -> Actor:
    if user is None:
        return Actor.anonymous(address=_address(client_key))
    return _user_actor(user, address=client_key)


def _address(client_key: str | None) -> str | None:
    """The client's address, when the client key is one (it is, from the web layer)."""
    if client_key is None or not 0 < len(client_key) <= ADDRESS_LENGTH:
        return None
    return client_key
