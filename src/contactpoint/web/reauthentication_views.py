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

from contactpoint.access.reauthentication import reauthenticate
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

NOT_CONFIRMED: Final = (
    "Your password or second factor is not right, or there have been too many attempts. "
    "Check them, wait for a new code, and try again."
)
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
    if rotated is None:
        problems = {"password": NOT_CONFIRMED}
        return confirm_page(
            request, has_passkey=has_passkey, return_to=return_to, problems=problems
        )
    return confirmed(request, rotated, return_to)


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
