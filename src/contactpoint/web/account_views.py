"""The signed-in home page, and the session's remaining time (for the timeout warning)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from contactpoint.access.permissions import Permission
from contactpoint.access.sessions import ActiveSession
from contactpoint.web.authorisation import requires, safe_return_path
from contactpoint.web.dependencies import Now
from contactpoint.web.forms import PostedForm, field
from contactpoint.web.pages import render
from contactpoint.web.sign_in_views import HOME_PATH, SignedIn, redirect

if TYPE_CHECKING:
    from starlette.responses import Response

router = APIRouter(include_in_schema=False)

# Asking how long is left must not count as activity, or the page would keep itself alive.
Watching = Annotated[ActiveSession, requires(Permission.ACCESS_SELF_MANAGE, api=True, touch=False)]


@router.get(HOME_PATH)
def home_page(request: Request, signed_in: SignedIn) -> Response:
    permissions = sorted(signed_in.principal.grants, key=lambda permission: permission.value)
    return render(request, "account/home.html", {"permissions": permissions})


@router.get("/session/status")
def session_status(signed_in: Watching, now: Now) -> JSONResponse:
    return JSONResponse(
        {
            "seconds_left": signed_in.seconds_until_expiry(now),
            "warning_due": signed_in.expiry_warning_due(now),
        }
    )


@router.post("/session/extend")
def stay_signed_in(signed_in: SignedIn, form: PostedForm) -> Response:
    # The guard has already resumed (and so extended) the session.
    del signed_in
    return redirect(safe_return_path(field(form, "return_to")) or HOME_PATH)
