"""One-time links (first sign-in, password reset, second-factor reset) and setting up an app.

The link's page asks :func:`contactpoint.access.links.usable_link` what the link is for;
using it goes through :mod:`contactpoint.access.links`. A link that leaves the account
without a second factor leads on to setting up an authenticator app
(:func:`contactpoint.access.sign_in.set_up_totp`, then ``confirm_totp``).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Final

from fastapi import APIRouter, Request

from contactpoint.access.links import (
    LINK_PATH,
    LINK_UNUSABLE,
    PasswordSet,
    reset_second_factor_with_link,
    set_password_with_link,
    usable_link,
)
from contactpoint.access.models import LinkPurpose
from contactpoint.access.passwords import PasswordPolicyError, password_problems
from contactpoint.access.second_factor import SecondFactorSetUpError
from contactpoint.access.sign_in import SignInRefused, confirm_totp, set_up_totp
from contactpoint.web.cookies import Cookie, read_cookie, set_cookie
from contactpoint.web.dependencies import DatabaseSession, Now, client_key
from contactpoint.web.forms import PostedForm, field
from contactpoint.web.pages import error_summary, render
from contactpoint.web.sign_in_views import (
    ENTER_CODE,
    ENTER_PASSWORD,
    MAX_CODE,
    MAX_PASSWORD,
    Public,
    after_second_factor,
    redirect,
    refusal_status,
    sealer_of,
)

if TYPE_CHECKING:
    from starlette.responses import Response

    from contactpoint.access.models import OneTimeLink
    from contactpoint.access.sign_in import SecondFactorNeeded

router = APIRouter(include_in_schema=False)

SET_UP_PATH: Final = "/sign-in/set-up"
MAX_TOKEN: Final = 100
PASSWORDS_DIFFER: Final = "The passwords do not match"
CONFIRM_PASSWORD: Final = "Enter your password again"  # noqa: S105 - a message


@router.get(LINK_PATH)
def link_page(
    request: Request, _: Public, token: str, session: DatabaseSession, now: Now
) -> Response:
    link = usable_link(session, token=token, now=now) if len(token) <= MAX_TOKEN else None
    if link is None:
        return _unusable(request)
    return _link_form(request, link, {}, HTTPStatus.OK)


@router.post(LINK_PATH)
def use_link(
    request: Request, _: Public, token: str, form: PostedForm, session: DatabaseSession, now: Now
) -> Response:
    link = usable_link(session, token=token, now=now) if len(token) <= MAX_TOKEN else None
    if link is None:
        return _unusable(request)
    if link.purpose is LinkPurpose.SECOND_FACTOR_RESET:
        return _reset_second_factor(request, link, token, form, session=session, now=now)
    return _set_password(request, link, token, form, session=session, now=now)


def _set_password(
    request: Request,
    link: OneTimeLink,
    token: str,
    form: PostedForm,
    *,
    session: DatabaseSession,
    now: Now,
) -> Response:
    password = field(form, "password", strip=False)
    problems = _new_password_problems(password, field(form, "confirmation", strip=False), link)
    if problems:
        return _link_form(request, link, problems, HTTPStatus.BAD_REQUEST)
    try:
        outcome = set_password_with_link(session, token=token, new_password=password, now=now)
    except PasswordPolicyError as error:
        return _link_form(request, link, {"password": str(error)}, HTTPStatus.BAD_REQUEST)
    session.commit()
    if isinstance(outcome, SignInRefused):
        return _unusable(request, outcome.message)
    if isinstance(outcome, PasswordSet):
        return render(request, "account/password-set.html")
    return _on_to_set_up(request, outcome)


def _new_password_problems(password: str, confirmation: str, link: OneTimeLink) -> dict[str, str]:
    if not password:
        return {"password": ENTER_PASSWORD}
    policy = password_problems(password[: MAX_PASSWORD + 1], username=link.user.username)
    if policy:
        return {"password": " ".join(policy)}
    if not confirmation:
        return {"confirmation": CONFIRM_PASSWORD}
    if confirmation != password:
        return {"confirmation": PASSWORDS_DIFFER}
    return {}


def _reset_second_factor(
    request: Request,
    link: OneTimeLink,
    token: str,
    form: PostedForm,
    *,
    session: DatabaseSession,
    now: Now,
) -> Response:
    password = field(form, "password", strip=False)
    if not password or len(password) > MAX_PASSWORD:
        return _link_form(request, link, {"password": ENTER_PASSWORD}, HTTPStatus.BAD_REQUEST)
    outcome = reset_second_factor_with_link(
        session, token=token, password=password, client_key=client_key(request), now=now
    )
    session.commit()
    if isinstance(outcome, SignInRefused):
        return _link_form(request, link, {"password": outcome.message}, refusal_status(outcome))
    return _on_to_set_up(request, outcome)


def _on_to_set_up(request: Request, needed: SecondFactorNeeded) -> Response:
    response = redirect(SET_UP_PATH)
    set_cookie(request, response, Cookie.SIGN_IN, needed.pending_token)
    return response


def _link_form(
    request: Request, link: OneTimeLink, problems: dict[str, str], status: HTTPStatus
) -> Response:
    template = (
        "account/confirm-password.html"
        if link.purpose is LinkPurpose.SECOND_FACTOR_RESET
        else "account/set-password.html"
    )
    context = {"username": link.user.username, "problems": problems}
    return render(request, template, {**context, "summary": error_summary(problems)}, status=status)


def _unusable(request: Request, message: str = LINK_UNUSABLE) -> Response:
    return render(
        request, "account/link-unusable.html", {"message": message}, status=HTTPStatus.NOT_FOUND
    )


@router.get(SET_UP_PATH)
def set_up_page(request: Request, _: Public, session: DatabaseSession, now: Now) -> Response:
    pending_token = read_cookie(request, Cookie.SIGN_IN)
    if not pending_token:
        return redirect("/sign-in")
    try:
        set_up = set_up_totp(
            session, pending_token=pending_token, sealer=sealer_of(request), now=now
        )
    except SecondFactorSetUpError as error:
        set_up = SignInRefused(str(error))
    session.commit()
    if isinstance(set_up, SignInRefused):
        return _unusable(request, set_up.message)
    return render(request, "account/set-up-app.html", {"set_up": set_up})


@router.post(SET_UP_PATH)
def confirm_set_up(
    request: Request, _: Public, form: PostedForm, session: DatabaseSession, now: Now
) -> Response:
    code = field(form, "code")
    page = "account/set-up-app.html"
    if not code or len(code) > MAX_CODE:
        problems = {"code": ENTER_CODE}
        context = {"problems": problems, "summary": error_summary(problems)}
        return render(request, page, context, status=HTTPStatus.BAD_REQUEST)
    outcome = confirm_totp(
        session,
        pending_token=read_cookie(request, Cookie.SIGN_IN),
        code=code,
        sealer=sealer_of(request),
        client_key=client_key(request),
        now=now,
    )
    session.commit()
    return after_second_factor(request, session, outcome, now=now, page=page)
