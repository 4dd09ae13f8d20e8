"""Passkeys (WebAuthn) in the browser: signing in, setting one up from a link, confirming
who you are.

Each ceremony is two requests, both POSTs carrying the page's form token:
``.../options`` answers the options JSON for ``navigator.credentials.get()`` or
``create()`` (a challenge is issued, so it is not a GET), and the form itself then posts
the browser's answer as JSON in its ``credential`` field (``scripts/passkeys.js``). The
answer is checked by :mod:`contactpoint.access.sign_in` or
:mod:`contactpoint.access.reauthentication`; the relying party is the host of
``settings.public_url`` (browsers refuse passkeys for a bare IP address).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Final

from fastapi import APIRouter, Request
from fastapi.responses import Response

from contactpoint.access.passkeys import RelyingParty, relying_party_from
from contactpoint.access.reauthentication import (
    ReauthenticationRefused,
    reauthenticate_with_passkey,
)
from contactpoint.access.reauthentication import passkey_options as reauthentication_options
from contactpoint.access.sign_in import (
    WRONG_PASSKEY,
    SignInRefused,
    passkey_options,
    passkey_set_up_options,
    register_passkey,
    verify_passkey,
)
from contactpoint.web.authorisation import REAUTHENTICATE_PATH, problem
from contactpoint.web.cookies import Cookie, read_cookie
from contactpoint.web.dependencies import DatabaseSession, Now, client_key
from contactpoint.web.forms import PostedForm, field
from contactpoint.web.link_views import SET_UP_PATH
from contactpoint.web.reauthentication_views import confirm_page, confirmed, refused_page
from contactpoint.web.sign_in_views import (
    ENTER_PASSWORD,
    MAX_PASSWORD,
    Public,
    SignedIn,
    after_second_factor,
)

if TYPE_CHECKING:
    from starlette.datastructures import FormData

router = APIRouter(include_in_schema=False)

SIGN_IN_PASSKEY_PATH: Final = "/sign-in/passkey"
SET_UP_PASSKEY_PATH: Final = f"{SET_UP_PATH}/passkey"
REAUTHENTICATE_PASSKEY_PATH: Final = f"{REAUTHENTICATE_PATH}/passkey"
MAX_CREDENTIAL: Final = 16 * 1024  # a passkey's answer is a few hundred bytes
_OPTIONS_JSON: Final = "application/json"


def relying_party_of(request: Request) -> RelyingParty:
    return relying_party_from(request.app.state.settings)


def _options(request: Request, options: str | SignInRefused | ReauthenticationRefused) -> Response:
    if isinstance(options, SignInRefused | ReauthenticationRefused):
        return problem(request, HTTPStatus.BAD_REQUEST, options.message)
    return Response(options, media_type=_OPTIONS_JSON)


def _credential(form: FormData | None) -> str:
    credential = field(form, "credential")
    return credential if len(credential) <= MAX_CREDENTIAL else ""


# --- Signing in: a passkey instead of the code --------------------------------------


@router.post(f"{SIGN_IN_PASSKEY_PATH}/options")
def sign_in_passkey_options(
    request: Request, _: Public, session: DatabaseSession, now: Now
) -> Response:
    options = passkey_options(
        session,
        pending_token=read_cookie(request, Cookie.SIGN_IN),
        relying_party=relying_party_of(request),
        now=now,
    )
    session.commit()
    return _options(request, options)


@router.post(SIGN_IN_PASSKEY_PATH)
def sign_in_with_passkey(
    request: Request, _: Public, form: PostedForm, session: DatabaseSession, now: Now
) -> Response:
    outcome = verify_passkey(
        session,
        pending_token=read_cookie(request, Cookie.SIGN_IN),
        credential_json=_credential(form) or "{}",
        relying_party=relying_party_of(request),
        client_key=client_key(request),
        now=now,
    )
    session.commit()
    return after_second_factor(request, session, outcome, now=now, page="sign-in/code.html")


# --- Setting one up from a one-time link ----------------------------------------------


@router.post(f"{SET_UP_PASSKEY_PATH}/options")
def set_up_passkey_options(
    request: Request, _: Public, session: DatabaseSession, now: Now
) -> Response:
    options = passkey_set_up_options(
        session,
        pending_token=read_cookie(request, Cookie.SIGN_IN),
        relying_party=relying_party_of(request),
        now=now,
    )
    session.commit()
    return _options(request, options)


@router.post(SET_UP_PASSKEY_PATH)
def set_up_passkey(
    request: Request, _: Public, form: PostedForm, session: DatabaseSession, now: Now
) -> Response:
    outcome = register_passkey(
        session,
        pending_token=read_cookie(request, Cookie.SIGN_IN),
        credential_json=_credential(form) or "{}",
        relying_party=relying_party_of(request),
        now=now,
    )
    session.commit()
    return after_second_factor(request, session, outcome, now=now, page="account/set-up-app.html")


# --- Confirming who you are before a high-risk action ---------------------------------


@router.post(f"{REAUTHENTICATE_PASSKEY_PATH}/options")
def reauthentication_passkey_options(
    request: Request, signed_in: SignedIn, session: DatabaseSession, now: Now
) -> Response:
    options = reauthentication_options(
        session,
        user_session=signed_in.user_session,
        relying_party=relying_party_of(request),
        now=now,
    )
    session.commit()
    return _options(request, options)


@router.post(REAUTHENTICATE_PASSKEY_PATH)
def confirm_with_passkey(
    request: Request, signed_in: SignedIn, form: PostedForm, session: DatabaseSession, now: Now
) -> Response:
    password, return_to = field(form, "password", strip=False), field(form, "next")
    credential = _credential(form)
    problems = {}
    if not password or len(password) > MAX_PASSWORD:
        problems["password"] = ENTER_PASSWORD
    elif not credential:
        problems["password"] = WRONG_PASSKEY
    else:
        rotated = reauthenticate_with_passkey(
            session,
            user_session=signed_in.user_session,
            password=password,
            credential_json=credential,
            relying_party=relying_party_of(request),
            client_key=client_key(request),
            now=now,
        )
        session.commit()
        if not isinstance(rotated, ReauthenticationRefused):
            return confirmed(request, rotated, return_to)
        has_passkey = signed_in.user.passkeys != []
        return refused_page(request, rotated, has_passkey=has_passkey, return_to=return_to)
    return confirm_page(request, has_passkey=True, return_to=return_to, problems=problems)
