"""Reading posted forms, and the token that proves a form came from our own page (CSRF).

Every POST is read here once (the form is cached on the request) and its token is
checked by the access guard (:mod:`contactpoint.web.authorisation`) before any view
runs. Signed-in forms send the session's own token
(:func:`contactpoint.access.sessions.csrf_token_for`). Forms shown before there is a
session (signing in, one-time links) use a signed double-submit token: a random value
in a cookie, and in the form its HMAC under a key derived from the service's secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING, Annotated, Final

from fastapi import Depends, Request
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from contactpoint.web.cookies import Cookie, read_cookie, set_cookie

if TYPE_CHECKING:
    from starlette.responses import Response

FORM_TOKEN_FIELD: Final = "csrf_token"  # noqa: S105 - a field name
_FORM_CONTENT_TYPES: Final = ("application/x-www-form-urlencoded", "multipart/form-data")
_FORM_KEY_CONTEXT: Final = b"contactpoint web: pre-session form tokens"
_MAX_FIELDS: Final = 20
_MAX_FIELD_BYTES: Final = 16 * 1024
_NONCE_BYTES: Final = 32


class BadFormError(Exception):
    """A POST that is not a form we could have sent: wrong content type, or malformed."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class ForgedFormError(Exception):
    """A POST whose CSRF token is missing or wrong."""


def form_key(secret: str) -> bytes:
    return hmac.new(secret.encode(), _FORM_KEY_CONTEXT, hashlib.sha256).digest()


async def read_posted_form(request: Request) -> FormData | None:
    """The posted form (``None`` for other methods); refuses what no page of ours sends."""
    if request.method != "POST":
        return None
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in _FORM_CONTENT_TYPES:
        raise BadFormError(415)
    form = await request.form(max_files=0, max_fields=_MAX_FIELDS, max_part_size=_MAX_FIELD_BYTES)
    if any(not isinstance(value, str) for value in form.values()):
        raise BadFormError(400)
    return form


async def form_for_checking(request: Request) -> FormData:
    """The posted form for the guard's token check: empty (so refused) when unreadable.

    Lenient, so that the guard first says who may post at all; the view's own
    :data:`PostedForm` then refuses a malformed form with its reason.
    """
    if request.method != "POST":
        return FormData()
    try:
        return await read_posted_form(request) or FormData()
    except (BadFormError, HTTPException):
        return FormData()


PostedForm = Annotated[FormData | None, Depends(read_posted_form)]
FormForChecking = Annotated[FormData, Depends(form_for_checking)]


def field(form: FormData | None, name: str, *, strip: bool = True) -> str:
    """A text field (stripped of surrounding spaces unless a password); empty when missing."""
    value = None if form is None else form.get(name)
    if not isinstance(value, str):
        return ""
    return value.strip() if strip else value


def pre_session_form_token(request: Request) -> str:
    """The token for a form shown before sign-in; its cookie is set by :func:`remember`."""
    nonce = read_cookie(request, Cookie.FORM)
    if len(nonce) < _NONCE_BYTES:
        nonce = secrets.token_urlsafe(_NONCE_BYTES)
        request.state.new_form_nonce = nonce
    return _signed(request, nonce)


def remember_form_nonce(request: Request, response: Response) -> None:
    nonce = getattr(request.state, "new_form_nonce", None)
    if nonce is not None:
        set_cookie(request, response, Cookie.FORM, nonce)


def pre_session_form_is_genuine(request: Request, form: FormData) -> bool:
    nonce = read_cookie(request, Cookie.FORM)
    submitted = field(form, FORM_TOKEN_FIELD)
    if len(nonce) < _NONCE_BYTES or not submitted:
        return False
    return hmac.compare_digest(submitted.encode(), _signed(request, nonce).encode())


def _signed(request: Request, nonce: str) -> str:
    key: bytes = request.app.state.form_key
    return hmac.new(key, nonce.encode(), hashlib.sha256).hexdigest()
