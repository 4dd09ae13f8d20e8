"""The pages and endpoints that belong to no domain: the start page and the health check."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from contactpoint.access.permissions import PUBLIC
from contactpoint.web.authorisation import requires
from contactpoint.web.dependencies import DatabaseSession
from contactpoint.web.templating import templates_of

log = logging.getLogger(__name__)

router = APIRouter()


@router.get(
    "/", response_class=HTMLResponse, include_in_schema=False, dependencies=[requires(PUBLIC)]
)
async def start_page(request: Request) -> HTMLResponse:
    return templates_of(request).TemplateResponse(request, "start.html")


@router.get("/health", dependencies=[requires(PUBLIC, api=True)])
def health(session: DatabaseSession) -> JSONResponse:
    """Whether the service can reach its database; never why not (that goes to the log)."""
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.warning("health check: database unavailable (%s)", type(exc).__qualname__)
        return JSONResponse({"status": "unavailable", "database": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
