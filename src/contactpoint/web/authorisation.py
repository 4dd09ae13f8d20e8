"""Every route declares its access requirement, and this module alone enforces it.

A route declares ``requires(permission)`` (or ``requires(PUBLIC)``) as a dependency.
On every request the guard resumes the session from its cookie
(:func:`contactpoint.access.sessions.resume_session`), asks
:func:`contactpoint.access.policy.decide`, and checks the form token of every POST.
It never decides anything itself. The outcomes:

- not signed in, or the session timed out: pages redirect to the sign-in page (which
  says why the session ended), JSON endpoints answer 401;
- a condition of access has lapsed: 403, saying which and who can restore it; the
  session has ended;
- signed in but not allowed: 403, and an ``access_denied`` event in the audit trail;
- allowed only after re-authenticating lately (a high-risk permission): pages record
  a ``reauthentication_required`` sign-in event (not ``access_denied``: nothing was
  denied that the user cannot have) and redirect (303) to ``/reauthenticate?next=...``;
  the API, which cannot re-authenticate, answers 403 and records ``access_denied``;
- a POST without its form token: 400.

On ``/api/`` routes a request may instead carry ``Authorization: Bearer <token>``: the
token is authenticated by :func:`contactpoint.access.tokens.authenticate_token`
(expiry, revocation, scopes, the holder's conditions of access) and then the policy
decides as for a session. Such a request reads no cookie, so it needs no form token
(CSRF rides on cookies). A missing, unknown, expired or revoked token answers 401 with
``WWW-Authenticate: Bearer``; a token whose holder's access has lapsed, 403.

A route with no declaration is refused at start-up (:func:`undeclared_routes`).
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Mount

from contactpoint.access import audit_trail
from contactpoint.access.permissions import AccessRequirement, Public
from contactpoint.access.policy import AccessDeniedError, Decision, Principal, decide
from contactpoint.access.sessions import (
    AccessStopped,
    ActiveSession,
    SessionEnded,
    check_csrf,
    resume_session,
)
from contactpoint.access.tokens import (
    TokenAccepted,
    TokenRefusal,
    TokenRefused,
    authenticate_token,
)
from contactpoint.web.cookies import Cookie, read_cookie
from contactpoint.web.dependencies import DatabaseSession, now_for
from contactpoint.web.errors import PROBLEM_JSON
from contactpoint.web.forms import (
    FORM_TOKEN_FIELD,
    BadFormError,
    ForgedFormError,
    FormForChecking,
    field,
    pre_session_form_is_genuine,
)
from contactpoint.web.request_ids import request_id
from contactpoint.web.templating import templates_of

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy.orm import Session
    from starlette.responses import Response
    from starlette.routing import BaseRoute

SIGN_IN_PATH: Final = "/sign-in"
REAUTHENTICATE_PATH: Final = "/reauthenticate"
API_PREFIX: Final = "/api/"
# Mounted static files and FastAPI's own schema route: public, and no view of ours.
PUBLIC_MOUNTS: Final = frozenset({"/assets", "/static", "/scripts"})
PUBLIC_FRAMEWORK_ROUTES: Final = frozenset({"/openapi.json"})
_MAX_RETURN_PATH: Final = 512
_MAX_BEARER_TOKEN: Final = 200
_BEARER: Final = "bearer"
_NO_TOKEN: Final = TokenRefused(
    TokenRefusal.UNKNOWN, "Send an API token in the header Authorization: Bearer <token>."
)


class NotSignedInError(Exception):
    def __init__(self, ended: SessionEnded, *, api: bool) -> None:
        super().__init__(ended.message)
        self.ended = ended
        self.api = api


class AccessStoppedError(Exception):
    def __init__(self, stopped: AccessStopped, *, api: bool) -> None:
        super().__init__(stopped.message)
        self.stopped = stopped
        self.api = api


class TokenRefusedError(Exception):
    """An API request whose bearer token was refused (401, or 403 when access lapsed)."""

    def __init__(self, refused: TokenRefused) -> None:
        super().__init__(refused.message)
        self.refused = refused


class RefusedError(Exception):
    def __init__(self, decision: Decision, *, api: bool) -> None:
        super().__init__(decision.reason)
        self.decision = decision
        self.api = api


@dataclass(frozen=True)
class Guard:
    """The dependency that enforces a route's declared requirement."""

    requirement: AccessRequirement
    api: bool = False
    touch: bool = True  # False: asking how long is left is not activity

    def __call__(
        self, request: Request, session: DatabaseSession, form: FormForChecking
    ) -> ActiveSession | None:
        api = self.api or request.url.path.startswith(API_PREFIX)
        posted = request.method == "POST"
        if isinstance(self.requirement, Public):
            if posted and not pre_session_form_is_genuine(request, form):
                raise ForgedFormError
            return None
        if _carries_bearer_token(request):
            # No cookie is read, so no form token is needed: CSRF rides on cookies.
            self._allow(request, session, _token_holder(request, session), api=True)
            return None
        active = self._resume(request, session, api=api)
        self._allow(request, session, active.principal, api=api)
        if posted and not check_csrf(active.user_session, field(form, FORM_TOKEN_FIELD)):
            raise ForgedFormError
        request.state.active_session = active
        return active

    def _allow(
        self, request: Request, session: Session, principal: Principal, *, api: bool
    ) -> None:
        decision = decide(principal, self.requirement)
        if not decision.allowed:
            prompt = decision.needs_reauthentication and not api
            _record_refusal(request, session, principal=principal, decision=decision, prompt=prompt)
            raise RefusedError(decision, api=api)
        request.state.principal = principal

    def _resume(self, request: Request, session: Session, *, api: bool) -> ActiveSession:
        token = read_cookie(request, Cookie.SESSION)
        state = resume_session(session, token=token, now=now_for(request), touch=self.touch)
        session.commit()  # the activity, or the end of a session that timed out
        if isinstance(state, SessionEnded):
            raise NotSignedInError(state, api=api)
        if isinstance(state, AccessStopped):
            raise AccessStoppedError(state, api=api)
        return state


def _carries_bearer_token(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX) and "authorization" in request.headers


def _token_holder(request: Request, session: Session) -> Principal:
    """Who the bearer token speaks for, or :class:`TokenRefusedError`."""
    scheme, _, token = request.headers["authorization"].strip().partition(" ")
    token = token.strip()
    outcome: TokenAccepted | TokenRefused = _NO_TOKEN
    if scheme.lower() == _BEARER and token and len(token) <= _MAX_BEARER_TOKEN:
        outcome = authenticate_token(session, token=token, now=now_for(request))
        session.commit()  # the token's last use
    if isinstance(outcome, TokenRefused):
        raise TokenRefusedError(outcome)
    return outcome.principal


def caller(request: Request) -> Principal:
    """Who is calling: set by the route's guard (declared before this), session or token."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:  # a route that forgot its guard is refused, never served
        raise NotSignedInError(SessionEnded(None, "Sign in to use this page."), api=True)
    return principal


Caller = Annotated[Principal, Depends(caller)]


def requires(requirement: AccessRequirement, *, api: bool = False, touch: bool = True) -> Any:
    """Declare a route's access requirement: ``dependencies=[requires(...)]`` or a parameter."""
    return Depends(Guard(requirement, api=api, touch=touch))


def declared_requirement(route: APIRoute) -> AccessRequirement | None:
    """The requirement a route declared, if any (found among its dependencies)."""
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        if isinstance(dependency.call, Guard):
            return dependency.call.requirement
        pending.extend(dependency.dependencies)
    return None


def route_table(app: FastAPI) -> list[tuple[str, BaseRoute]]:
    """Every route of the app as served (included routers flattened), with its path."""
    return [
        (context.path or "", context.original_route) for context in iter_route_contexts(app.routes)
    ]


def undeclared_routes(app: FastAPI) -> list[str]:
    """Every route that declares no access requirement (there must be none).

    A requirement counts only when declared on the route itself, where a reader sees it.
    """
    undeclared = []
    for path, route in route_table(app):
        if isinstance(route, APIRoute):
            declared = declared_requirement(route) is not None
        elif isinstance(route, Mount):
            declared = path in PUBLIC_MOUNTS
        else:
            declared = path in PUBLIC_FRAMEWORK_ROUTES
        if not declared:
            undeclared.append(path)
    return undeclared


def safe_return_path(candidate: str) -> str | None:
    """``candidate`` if it is a path on this service (never another site's address)."""
    if not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
        return None
    if len(candidate) > _MAX_RETURN_PATH or any(ord(c) < 0x20 or c == "\\" for c in candidate):  # noqa: PLR2004 - control characters
        return None
    return candidate


def install_access_handlers(app: FastAPI) -> None:
    app.add_exception_handler(NotSignedInError, _not_signed_in)
    app.add_exception_handler(AccessStoppedError, _access_stopped)
    app.add_exception_handler(RefusedError, _refused)
    app.add_exception_handler(TokenRefusedError, _token_refused)
    app.add_exception_handler(ForgedFormError, _forged_form)
    app.add_exception_handler(BadFormError, _bad_form)
    app.add_exception_handler(AccessDeniedError, _denied_by_service)


def _record_refusal(
    request: Request,
    session: Session,
    *,
    principal: Principal,
    decision: Decision,
    prompt: bool = False,
) -> None:
    """``prompt``: the user is being sent to re-authenticate, which is no denial."""
    route = request.scope.get("route")
    template = getattr(route, "path", None)
    record = audit_trail.reauthentication_required if prompt else audit_trail.access_denied
    record(session, principal=principal, decision=decision, route=template)
    session.commit()


def problem(
    request: Request,
    status: HTTPStatus,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {
        "type": "about:blank",
        "title": status.phrase,
        "status": status.value,
        "detail": detail,
        "request_id": request_id(request),
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _page(request: Request, template: str, status: HTTPStatus, **context: Any) -> Response:
    return templates_of(request).TemplateResponse(request, template, context, status_code=status)


async def _not_signed_in(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotSignedInError)  # noqa: S101 - registered for this class only
    if exc.api:
        challenge = {"WWW-Authenticate": "Bearer"}
        return problem(request, HTTPStatus.UNAUTHORIZED, exc.ended.message, headers=challenge)
    query = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return_to = safe_return_path(query) if request.method == "GET" else None
    target = SIGN_IN_PATH + (f"?{urlencode({'next': return_to})}" if return_to else "")
    return RedirectResponse(target, status_code=HTTPStatus.SEE_OTHER)


async def _access_stopped(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AccessStoppedError)  # noqa: S101 - registered for this class only
    if exc.api:
        return problem(request, HTTPStatus.FORBIDDEN, exc.stopped.message)
    lapsed = exc.stopped.lapsed
    return _page(request, "errors/access-stopped.html", HTTPStatus.FORBIDDEN, lapsed=lapsed)


async def _token_refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TokenRefusedError)  # noqa: S101 - registered for this class only
    refused = exc.refused
    if refused.refusal is TokenRefusal.ACCESS_LAPSED:
        return problem(request, HTTPStatus.FORBIDDEN, refused.message)
    challenge = "Bearer" if refused is _NO_TOKEN else 'Bearer error="invalid_token"'
    headers = {"WWW-Authenticate": challenge}
    return problem(request, HTTPStatus.UNAUTHORIZED, refused.message, headers=headers)


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RefusedError)  # noqa: S101 - registered for this class only
    if exc.api:
        return problem(request, HTTPStatus.FORBIDDEN, exc.decision.reason)
    if exc.decision.needs_reauthentication:
        return _to_reauthentication(request)
    reason = exc.decision.reason
    return _page(request, "errors/access-refused.html", HTTPStatus.FORBIDDEN, reason=reason)


async def _denied_by_service(request: Request, exc: Exception) -> Response:
    """A service's own policy check refused (the route's guard had let the caller in).

    Services call ``require(decide(...))`` themselves so that a forgotten check fails
    safe; their refusal is answered and audited like the guard's, never as a 500.
    """
    assert isinstance(exc, AccessDeniedError)  # noqa: S101 - registered for this class only
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is not None:
        with request.app.state.sessions() as session:
            _record_refusal(request, session, principal=principal, decision=exc.decision)
    if request.url.path.startswith(API_PREFIX):
        return problem(request, HTTPStatus.FORBIDDEN, exc.decision.reason)
    reason = exc.decision.reason
    return _page(request, "errors/access-refused.html", HTTPStatus.FORBIDDEN, reason=reason)


def _to_reauthentication(request: Request) -> Response:
    """A high-risk page, not confirmed lately: confirm who you are, then come back (GET)."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return_to = safe_return_path(here) if request.method == "GET" else None
    target = REAUTHENTICATE_PATH + (f"?{urlencode({'next': return_to})}" if return_to else "")
    return RedirectResponse(target, status_code=HTTPStatus.SEE_OTHER)


async def _forged_form(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ForgedFormError)  # noqa: S101 - registered for this class only
    status = HTTPStatus.BAD_REQUEST
    if request.url.path.startswith(API_PREFIX) or "json" in request.headers.get("accept", ""):
        return problem(request, status, "The form's security token is missing or out of date.")
    return _page(request, "errors/form-expired.html", status)


async def _bad_form(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BadFormError)  # noqa: S101 - registered for this class only
    status = HTTPStatus(exc.status)
    if request.url.path.startswith(API_PREFIX) or "json" in request.headers.get("accept", ""):
        return problem(request, status, "Send the form as the page does.")
    return _page(request, "errors/request-problem.html", status)
