"""Confirming who you are again before a high-risk action (a shield override, subject access).

The guard sends a page whose permission needs recent re-authentication here
(``/reauthenticate?next=...``). The user gives their password and a new code (or a
passkey: :mod:`contactpoint.web.passkey_views`); :mod:`contactpoint.access.reauthentication`
checks them, counts failures against the sign-in throttles, and gives the session a
new token, which goes in the cookie before the user is sent back to ``next``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Final

from fastapi import APIRouter, Request

from contactpoint.access.reauthentication import (
    ReauthenticationRefused,
    Refusal,
    reauthenticate,
)
from contactpoint.web.authorisation import REAUTHENTICATE_PATH, safe_return_path
from contactpoint.web.cookies import Cookie, set_cookie
from contactpoint.web.dependencies import DatabaseSession, Now, client_key
from contactpoint.web.forms import PostedForm, field
from contactpoint.web.pages import error_summary, render
from contactpoint.web.sign_in_views import (
    ENTER_CODE,
    ENTER_PASSWORD,
    HOME_PATH,
    MAX_CODE,
    MAX_PASSWORD,
    SignedIn,
    redirect,
    sealer_of,
)

if TYPE_CHECKING:
    from starlette.responses import Response

    from contactpoint.access.sessions import StartedSession

router = APIRouter(include_in_schema=False)

PAGE: Final = "reauthentication/confirm.html"


@router.get(REAUTHENTICATE_PATH)
def reauthentication_page(
    request: Request,
    signed_in: SignedIn,
    next: str = "",  # noqa: A002 - the query's name
) -> Response:
    has_passkey = signed_in.user.passkeys != []
    return confirm_page(
        request, has_passkey=has_passkey, return_to=next, problems={}, status=HTTPStatus.OK
    )


@router.post(REAUTHENTICATE_PATH)
def confirm_with_code(
    request: Request, signed_in: SignedIn, form: PostedForm, session: DatabaseSession, now: Now
) -> Response:
    password, code = field(form, "password", strip=False), field(form, "code")
    return_to = field(form, "next")
    problems = {}
    if not password or len(password) > MAX_PASSWORD:
        problems["password"] = ENTER_PASSWORD
    if not code or len(code) > MAX_CODE:
        problems["code"] = ENTER_CODE
    has_passkey = signed_in.user.passkeys != []
    if problems:
        return confirm_page(
            request, has_passkey=has_passkey, return_to=return_to, problems=problems
        )
    rotated = reauthenticate(
        session,
        user_session=signed_in.user_session,
        password=password,
        code=code,
        sealer=sealer_of(request),
        client_key=client_key(request),
        now=now,
    )
    session.commit()  # the failure counts and the audit event, either way
    if isinstance(rotated, ReauthenticationRefused):
        return refused_page(request, rotated, has_passkey=has_passkey, return_to=return_to)
    return confirmed(request, rotated, return_to)


def refused_page(
    request: Request, refused: ReauthenticationRefused, *, has_passkey: bool, return_to: str
) -> Response:
    """The form again, saying why; 429 while throttled (with ``Retry-After``)."""
    response = confirm_page(
        request,
        has_passkey=has_passkey,
        return_to=return_to,
        problems={"password": refused.message},
        status=_STATUS[refused.refusal],
    )
    if refused.seconds_to_wait is not None:
        response.headers["Retry-After"] = str(refused.seconds_to_wait)
    return response


_STATUS: Final = {
    Refusal.WRONG_CODE: HTTPStatus.BAD_REQUEST,
    Refusal.WRONG_PASSKEY: HTTPStatus.BAD_REQUEST,
    Refusal.NO_PASSKEY: HTTPStatus.BAD_REQUEST,
    Refusal.SESSION_ENDED: HTTPStatus.BAD_REQUEST,
    Refusal.THROTTLED: HTTPStatus.TOO_MANY_REQUESTS,
}


def confirmed(request: Request, rotated: StartedSession, return_to: str) -> Response:
    """Back to where the user was going, with the session's new token in the cookie."""
    response = redirect(safe_return_path(return_to) or HOME_PATH)
    set_cookie(request, response, Cookie.SESSION, rotated.token)
    request.state.active_session = None  # the old session has ended
    return response


def confirm_page(
    request: Request,
    *,
    has_passkey: bool,
    return_to: str,
    problems: dict[str, str],
    status: HTTPStatus = HTTPStatus.BAD_REQUEST,
) -> Response:
    context = {
        "next": safe_return_path(return_to) or "",
        "has_passkey": has_passkey,
        "problems": problems,
        "summary": error_summary(problems),
    }
    return render(request, PAGE, context, status=status)
