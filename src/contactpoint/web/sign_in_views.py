"""Signing in (password, one-time code, role) and signing out.

Each step asks :mod:`contactpoint.access.sign_in`; the pages only carry its tokens in
cookies and show its messages. The database session is committed after a refusal too,
so that the throttle's counters and the audit trail keep every failed attempt.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated, Final

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from contactpoint.access.models import SessionEndReason
from contactpoint.access.permissions import PUBLIC, Permission
from contactpoint.access.policy import Role
from contactpoint.access.sessions import (
    AccessStopped,
    ActiveSession,
    SessionEnded,
    StartedSession,
    end_session,
    resume_session,
)
from contactpoint.access.sign_in import (
    WRONG_PASSWORD,
    SecondFactorAccepted,
    SecondFactorMethod,
    SecondFactorNeeded,
    SignInRefused,
    authenticate,
    pending_methods,
    start_session,
    verify_code,
)
from contactpoint.web.authorisation import requires, safe_return_path
from contactpoint.web.cookies import Cookie, delete_cookie, read_cookie, set_cookie
from contactpoint.web.dependencies import DatabaseSession, Now, client_key
from contactpoint.web.forms import PostedForm, field
from contactpoint.web.pages import error_summary, render

if TYPE_CHECKING:
    import datetime as dt

    from sqlalchemy.orm import Session
    from starlette.responses import Response

    from contactpoint.access.credentials import Sealer
    from contactpoint.access.sign_in import SecondFactorOutcome

router = APIRouter(include_in_schema=False)

HOME_PATH: Final = "/home"
CODE_PATH: Final = "/sign-in/code"
ROLE_PATH: Final = "/sign-in/role"
MAX_USERNAME: Final = 254
MAX_PASSWORD: Final = 1024
MAX_CODE: Final = 20
ENTER_USERNAME: Final = "Enter your username"
ENTER_PASSWORD: Final = "Enter your password"  # noqa: S105 - a message
ENTER_CODE: Final = "Enter the 6-digit code from your authenticator app"
CHOOSE_ROLE: Final = "Choose the role you are working in today"
_QUIET_ENDINGS: Final = frozenset({None, SessionEndReason.SIGNED_OUT, SessionEndReason.ROTATED})

Public = Annotated[None, requires(PUBLIC)]
SignedIn = Annotated[ActiveSession, requires(Permission.ACCESS_SELF_MANAGE)]


def sealer_of(request: Request) -> Sealer:
    sealer: Sealer = request.app.state.sealer
    return sealer


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=HTTPStatus.SEE_OTHER)


def refusal_status(refused: SignInRefused) -> HTTPStatus:
    return HTTPStatus.TOO_MANY_REQUESTS if refused.retry_at else HTTPStatus.BAD_REQUEST


# --- Step 1: username and password ---------------------------------------------------


@router.get("/sign-in")
def sign_in_page(
    request: Request,
    _: Public,
    session: DatabaseSession,
    now: Now,
    next: str = "",  # noqa: A002 - the query's name
) -> Response:
    state = resume_session(
        session, token=read_cookie(request, Cookie.SESSION), now=now, touch=False
    )
    session.commit()
    if isinstance(state, ActiveSession):
        return redirect(HOME_PATH)
    notice = None
    if isinstance(state, AccessStopped) or (
        isinstance(state, SessionEnded) and state.reason not in _QUIET_ENDINGS
    ):
        notice = state.message
    response = render(request, "sign-in/password.html", {"notice": notice})
    delete_cookie(request, response, Cookie.SESSION)
    return_to = safe_return_path(next)
    if return_to is not None:
        set_cookie(request, response, Cookie.RETURN_TO, return_to)
    return response


def _ending_notice(state: SessionEnded | AccessStopped) -> str | None:
    """Why the browser's last session ended, unless the user ended it themself."""
    if isinstance(state, SessionEnded) and state.reason in _QUIET_ENDINGS:
        return None
    return state.message


@router.post("/sign-in")
def sign_in(
    request: Request, _: Public, form: PostedForm, session: DatabaseSession, now: Now
) -> Response:
    username, password = field(form, "username"), field(form, "password", strip=False)
    problems = {}
    if not username:
        problems["username"] = ENTER_USERNAME
    if not password:
        problems["password"] = ENTER_PASSWORD
    if not problems and (len(username) > MAX_USERNAME or len(password) > MAX_PASSWORD):
        problems["username"] = WRONG_PASSWORD
    if problems:
        return _password_page(request, username, problems, HTTPStatus.BAD_REQUEST)
    outcome = authenticate(
        session, username=username, password=password, client_key=client_key(request), now=now
    )
    session.commit()
    if isinstance(outcome, SignInRefused):
        return _password_page(
            request, username, {"username": outcome.message}, refusal_status(outcome)
        )
    response = redirect(CODE_PATH)
    _begin_second_step(request, response, outcome)
    return response


def _password_page(
    request: Request, username: str, problems: dict[str, str], status: HTTPStatus
) -> Response:
    context = {"username": username[:MAX_USERNAME], "problems": problems}
    return render(
        request,
        "sign-in/password.html",
        {**context, "summary": error_summary(problems)},
        status=status,
    )


def _begin_second_step(request: Request, response: Response, needed: SecondFactorNeeded) -> None:
    set_cookie(request, response, Cookie.SIGN_IN, needed.pending_token)


# --- Step 2: the one-time code ---------------------------------------------------------


@router.get(CODE_PATH)
def code_page(request: Request, _: Public, session: DatabaseSession, now: Now) -> Response:
    if not read_cookie(request, Cookie.SIGN_IN):
        return redirect("/sign-in")
    return _code_page(request, session, {}, HTTPStatus.OK, now=now)


@router.post(CODE_PATH)
def check_code(
    request: Request, _: Public, form: PostedForm, session: DatabaseSession, now: Now
) -> Response:
    code = field(form, "code")
    if not code or len(code) > MAX_CODE:
        return _code_page(request, session, {"code": ENTER_CODE}, now=now)
    outcome = verify_code(
        session,
        pending_token=read_cookie(request, Cookie.SIGN_IN),
        code=code,
        sealer=sealer_of(request),
        client_key=client_key(request),
        now=now,
    )
    session.commit()
    return after_second_factor(request, session, outcome, now=now, page="sign-in/code.html")


def _code_page(
    request: Request,
    session: Session,
    problems: dict[str, str],
    status: HTTPStatus = HTTPStatus.BAD_REQUEST,
    page: str = "sign-in/code.html",
    *,
    now: dt.datetime,
) -> Response:
    # A passkey is offered only to a pending sign-in (after the password) whose user has one.
    methods = pending_methods(session, pending_token=read_cookie(request, Cookie.SIGN_IN), now=now)
    context = {
        "problems": problems,
        "summary": error_summary(problems),
        "has_passkey": SecondFactorMethod.PASSKEY in methods,
    }
    return render(request, page, context, status=status)


def after_second_factor(
    request: Request, session: Session, outcome: SecondFactorOutcome, *, now: dt.datetime, page: str
) -> Response:
    """What follows a code (or a confirmed set-up): the role, or straight into the service."""
    if isinstance(outcome, SignInRefused):
        problems = {"code": outcome.message}
        return _code_page(request, session, problems, refusal_status(outcome), page, now=now)
    if isinstance(outcome, AccessStopped):
        return _stopped(request, outcome)
    if len(outcome.roles) == 1:
        return _start(request, session, outcome.pending_token, outcome.roles[0], now=now)
    response = redirect(ROLE_PATH)
    set_cookie(request, response, Cookie.SIGN_IN_ROLES, _role_list(outcome))
    return response


def _role_list(accepted: SecondFactorAccepted) -> str:
    return " ".join(role.value for role in accepted.roles)


# --- Step 3: the role ------------------------------------------------------------------


@router.get(ROLE_PATH)
def role_page(request: Request, _: Public) -> Response:
    if not read_cookie(request, Cookie.SIGN_IN):
        return redirect("/sign-in")
    return _role_page(request, {}, HTTPStatus.OK)


@router.post(ROLE_PATH)
def choose_role(
    request: Request, _: Public, form: PostedForm, session: DatabaseSession, now: Now
) -> Response:
    chosen = field(form, "role")
    if chosen not in _offered_roles(request):
        return _role_page(request, {"role": CHOOSE_ROLE}, HTTPStatus.BAD_REQUEST)
    return _start(request, session, read_cookie(request, Cookie.SIGN_IN), Role(chosen), now=now)


def _offered_roles(request: Request) -> list[str]:
    # The cookie only lists the roles to show: start_session checks the chosen one.
    known = {role.value for role in Role}
    return [name for name in read_cookie(request, Cookie.SIGN_IN_ROLES).split() if name in known]


def _role_page(request: Request, problems: dict[str, str], status: HTTPStatus) -> Response:
    roles = [Role(name) for name in _offered_roles(request)]
    context = {"roles": roles, "problems": problems, "summary": error_summary(problems)}
    return render(request, "sign-in/role.html", context, status=status)


def _start(
    request: Request, session: Session, pending_token: str, role: Role, *, now: dt.datetime
) -> Response:
    started = start_session(session, pending_token=pending_token, acting_role=role, now=now)
    session.commit()
    if isinstance(started, AccessStopped):
        return _stopped(request, started)
    if isinstance(started, SignInRefused):
        return _role_page(request, {"role": started.message}, HTTPStatus.BAD_REQUEST)
    return _signed_in(request, started)


def _signed_in(request: Request, started: StartedSession) -> Response:
    response = redirect(safe_return_path(read_cookie(request, Cookie.RETURN_TO)) or HOME_PATH)
    # A brand-new token: whatever session id the browser held before is worthless now.
    set_cookie(request, response, Cookie.SESSION, started.token)
    for cookie in (Cookie.SIGN_IN, Cookie.SIGN_IN_ROLES, Cookie.RETURN_TO):
        delete_cookie(request, response, cookie)
    return response


def _stopped(request: Request, stopped: AccessStopped) -> Response:
    response = render(
        request,
        "errors/access-stopped.html",
        {"lapsed": stopped.lapsed},
        status=HTTPStatus.FORBIDDEN,
    )
    for cookie in (Cookie.SIGN_IN, Cookie.SIGN_IN_ROLES, Cookie.SESSION):
        delete_cookie(request, response, cookie)
    return response


# --- Signing out -----------------------------------------------------------------------


@router.post("/sign-out")
def sign_out(request: Request, signed_in: SignedIn, session: DatabaseSession, now: Now) -> Response:
    end_session(session, user_session=signed_in.user_session, now=now)
    session.commit()
    request.state.active_session = None
    response = redirect("/signed-out")
    delete_cookie(request, response, Cookie.SESSION)
    return response


@router.get("/signed-out")
def signed_out_page(request: Request, _: Public) -> Response:
    return render(request, "sign-in/signed-out.html")
