"""Sources, their loads and load reports as pages; uploads, and undoing a load.

- ``/sources`` lists the sources within reach of ``feeds:source:manage`` and registers
  one (local, for the user's own organisation; national, with national reach only);
- ``/sources/{name}`` lists its loads, newest first, and ``/sources/{name}/upload``
  takes an extract (``feeds:load:submit``): CSV (the child or involvement feed) or
  FHIR R4 Patients (a Bundle or NDJSON), streamed to a file under the size cap
  (:mod:`contactpoint.web.uploads`); ``/loads/{id}`` is a load's report, its problems
  paged and filtered by level; ``/loads/{id}/undo`` asks "are you sure?" and undoes
  the load (:func:`contactpoint.feeds.undo.undo_load`), or says why it cannot.
  These need ``feeds:load:run`` for the source's organisation: the services in
  :mod:`contactpoint.feeds.reports` and :mod:`contactpoint.feeds.undo` ask the policy,
  and a refusal is the audited 403 of :mod:`contactpoint.web.authorisation`.
"""

from __future__ import annotations

from functools import partial
from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from contactpoint.access.permissions import Permission
from contactpoint.access.sessions import ActiveSession, check_csrf
from contactpoint.feeds.loading import LoadCannotStartError
from contactpoint.feeds.models import LoadMode, LoadStatus
from contactpoint.feeds.problems import Level
from contactpoint.feeds.reports import (
    LARGEST_PAGE,
    PROBLEMS_PAGE_SIZE,
    NoSuchPageError,
    SourceFieldError,
    UnknownLoadError,
    UnknownSourceError,
    load_report,
    loads_of,
    may_register_national,
    page_of,
    register_source,
    source_for_loads,
    sources_within_reach,
)
from contactpoint.feeds.sources import TRUSTABLE_FIELDS
from contactpoint.feeds.undo import UndoRefusedError, undo_load
from contactpoint.provenance.models import Feed
from contactpoint.web.authorisation import requires
from contactpoint.web.dependencies import DatabaseSession, now_for
from contactpoint.web.forms import PostedForm, field
from contactpoint.web.load_forms import (
    DATE_FIELD,
    choice,
    default_file_name,
    options_from,
    plain_file_name,
    run_upload,
    upload_problem,
)
from contactpoint.web.pages import error_summary, render
from contactpoint.web.paging import pagination
from contactpoint.web.sign_in_views import redirect
from contactpoint.web.uploads import (
    EXTRACT_FIELD,
    StreamedUploadGuard,
    UploadFormError,
    UploadTooLargeError,
    describe_cap,
    size_cap_of,
    stream_form,
    temporary_extract,
)

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.orm import Session
    from starlette.datastructures import FormData
    from starlette.responses import Response

    from contactpoint.access.policy import Principal
    from contactpoint.feeds.models import FeedLoad
    from contactpoint.provenance.models import Source
    from contactpoint.web.load_forms import LoadOptions
    from contactpoint.web.uploads import StreamedForm

router = APIRouter(tags=["loads"])

SOURCES: Final = "/sources"
SOURCE: Final = SOURCES + "/{name}"
UPLOAD: Final = SOURCE + "/upload"
LOAD: Final = "/loads/{load_id}"
UNDO: Final = LOAD + "/undo"
LARGEST_ID: Final = 2**31 - 1
NO_SUCH_LOAD: Final = "There is no load with that number."

Managing = Annotated[ActiveSession, requires(Permission.FEEDS_SOURCE_MANAGE)]
Loading = Annotated[ActiveSession, requires(Permission.FEEDS_LOAD_RUN)]
Uploading = Annotated[ActiveSession, Depends(StreamedUploadGuard(Permission.FEEDS_LOAD_SUBMIT))]


# --- Sources ---------------------------------------------------------------------------


@router.get(SOURCES, include_in_schema=False)
def sources_page(request: Request, managing: Managing, session: DatabaseSession) -> Response:
    return _sources_page(request, session, managing.principal, problems={}, form=None)


@router.post(SOURCES, include_in_schema=False)
def register_from_form(
    request: Request, managing: Managing, form: PostedForm, session: DatabaseSession
) -> Response:
    by = managing.principal
    kind = field(form, "kind") or ("" if may_register_national(by) else "local")
    trusted = [] if form is None else [v for v in form.getlist("trusted_for") if isinstance(v, str)]
    try:
        added = register_source(
            session, by=by, name=field(form, "name"), kind=kind, trusted_for=trusted
        )
    except SourceFieldError as error:
        session.rollback()
        problems = {error.field: str(error)}
        return _sources_page(request, session, by, problems=problems, form=form)
    session.commit()
    return redirect(f"{SOURCES}?{urlencode({'registered': added.source.name})}")


def _sources_page(
    request: Request,
    session: Session,
    by: Principal,
    *,
    problems: dict[str, str],
    form: FormData | None,
) -> Response:
    sources = sources_within_reach(session, by=by)
    registered = request.query_params.get("registered", "")
    context = {
        "sources": sources,
        "registered": next((s.source.name for s in sources if s.source.name == registered), None),
        "national": may_register_national(by),
        "trustable": sorted(TRUSTABLE_FIELDS),
        "problems": problems,
        "summary": error_summary(problems),
        "posted": {} if form is None else {k: v for k, v in form.items() if isinstance(v, str)},
        "chosen_trusted": [] if form is None else form.getlist("trusted_for"),
    }
    status = HTTPStatus.BAD_REQUEST if problems else HTTPStatus.OK
    return render(request, "sources/list.html", context, status=status)


@router.get(SOURCE, include_in_schema=False)
def source_page(
    request: Request, name: str, loading: Loading, session: DatabaseSession
) -> Response:
    by = loading.principal
    try:
        source = source_for_loads(session, by=by, name=name)
    except UnknownSourceError as error:
        return _not_found(request, str(error))
    number = _page_number(request)
    if number is None:
        return _bad_request(request, "The page number must be a whole number from 1.")
    try:
        loads = loads_of(session, by=by, source=source, page=number)
    except NoSuchPageError as error:
        return _not_found(request, f"{str(error).capitalize()}.")
    context = {
        "source": source,
        "loads": loads,
        "pagination": pagination(request.query_params, loads),
    }
    return render(request, "sources/loads.html", context)


# --- Uploads ---------------------------------------------------------------------------


@router.get(UPLOAD, include_in_schema=False)
def upload_page(
    request: Request, name: str, loading: Loading, session: DatabaseSession
) -> Response:
    try:
        source = source_for_loads(session, by=loading.principal, name=name)
    except UnknownSourceError as error:
        return _not_found(request, str(error))
    today = now_for(request).date()
    posted = {
        "feed": Feed.CHILDREN.value,
        "mode": LoadMode.FULL.value,
        "format": "csv",
        f"{DATE_FIELD}-day": str(today.day),
        f"{DATE_FIELD}-month": str(today.month),
        f"{DATE_FIELD}-year": str(today.year),
    }
    return _upload_page(request, source, problems={}, posted=posted)


@router.post(UPLOAD, include_in_schema=False)
async def upload(
    request: Request, name: str, uploading: Uploading, session: DatabaseSession
) -> Response:
    by = uploading.principal
    try:
        source = await run_in_threadpool(
            partial(source_for_loads, permission=Permission.FEEDS_LOAD_SUBMIT),
            session, by=by, name=name,
        )  # fmt: skip
    except UnknownSourceError as error:
        return _not_found(request, str(error))
    finally:
        await run_in_threadpool(session.commit)  # SQLite: a load must not wait on our lock
    with temporary_extract(request) as (path, stream):
        try:
            form = await stream_form(
                request, stream, cap=size_cap_of(request),
                token_is_genuine=lambda token: check_csrf(uploading.user_session, token),
            )  # fmt: skip
        except UploadTooLargeError as error:
            problems = {EXTRACT_FIELD: str(error)}
            return _upload_page(
                request, source, problems, status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE
            )
        except (UploadFormError, ClientDisconnect) as error:
            return _bad_request(request, f"The upload could not be read: {error}.")
        # A form without the format (sent before FHIR was offered) is CSV, as it was then.
        fields = {"format": "csv", **form.fields}
        options, problems = options_from(fields, today=now_for(request).date())
        problem = upload_problem(form.file_name, form.file_bytes)
        if problem is not None:
            problems = {EXTRACT_FIELD: problem, **problems}
        if options is None or problems:
            return _upload_page(request, source, problems, posted=form.fields)
        return await _load_upload(request, by, source=source, path=path, options=options, form=form)


async def _load_upload(
    request: Request,
    by: Principal,
    *,
    source: Source,
    path: Path,
    options: LoadOptions,
    form: StreamedForm,
) -> Response:
    """The stored upload loaded: its load's page, or the dry run's report, or why not now."""
    default = default_file_name("upload", options.file_format)
    try:
        report = await run_upload(
            request, by, source=source, path=path, options=options,
            file_name=plain_file_name(form.file_name or default, default=default),
        )  # fmt: skip
    except LoadCannotStartError as error:
        problems = {EXTRACT_FIELD: f"The extract was not loaded: {error}"}
        return _upload_page(
            request, source, problems, posted=form.fields, status=HTTPStatus.CONFLICT
        )
    if report.load_id is not None:
        return redirect(f"/loads/{report.load_id}")
    context = {"source": source, "dry_run": report, "options": options}
    context["problems_page"] = page_of(report.problems, number=1, size=PROBLEMS_PAGE_SIZE)
    status = (
        HTTPStatus.UNPROCESSABLE_ENTITY if report.status is LoadStatus.REFUSED else HTTPStatus.OK
    )
    return render(request, "loads/dry-run.html", context, status=status)


def _upload_page(
    request: Request,
    source: Source,
    problems: dict[str, str],
    *,
    posted: dict[str, str] | None = None,
    status: HTTPStatus | None = None,
) -> Response:
    context = {
        "source": source,
        "problems": problems,
        "summary": error_summary(problems),
        "posted": posted or {},
        "cap": describe_cap(size_cap_of(request)),
        "date_field": DATE_FIELD,
    }
    chosen = status or (HTTPStatus.BAD_REQUEST if problems else HTTPStatus.OK)
    return render(request, "sources/upload.html", context, status=chosen)


# --- A load's report -------------------------------------------------------------------


@router.get(LOAD, include_in_schema=False)
def load_page(
    request: Request, load_id: str, loading: Loading, session: DatabaseSession
) -> Response:
    number = _page_number(request)
    level = (
        choice(Level, request.query_params.get("level", ""))
        if "level" in request.query_params
        else None
    )
    if not (load_id.isascii() and load_id.isdigit()) or not 1 <= int(load_id) <= LARGEST_ID:
        return _not_found(request, NO_SUCH_LOAD)
    if number is None or ("level" in request.query_params and level is None):
        return _bad_request(
            request,
            "The page must be a whole number from 1, and the level file, row, field or note.",
        )
    try:
        report = load_report(
            session, by=loading.principal, load_id=int(load_id), page=number, level=level
        )
    except UnknownLoadError:
        return _not_found(request, NO_SUCH_LOAD)
    except NoSuchPageError as error:
        return _not_found(request, f"{str(error).capitalize()}.")
    context = {
        "report": report,
        "load": report.load,
        "pagination": pagination(request.query_params, report.problems),
        "levels": list(Level),
        "undone": request.query_params.get("undone") == "yes",
    }
    return render(request, "loads/report.html", context)


# --- Undoing a load --------------------------------------------------------------------


@router.get(UNDO, include_in_schema=False)
def undo_page(
    request: Request, load_id: str, loading: Loading, session: DatabaseSession
) -> Response:
    load = _load_or_none(session, loading.principal, load_id)
    if load is None:
        return _not_found(request, NO_SUCH_LOAD)
    return render(request, "loads/undo.html", {"load": load, "summary": []})


@router.post(UNDO, include_in_schema=False)
def undo(request: Request, load_id: str, loading: Loading, session: DatabaseSession) -> Response:
    by = loading.principal
    load = _load_or_none(session, by, load_id)
    if load is None:
        return _not_found(request, NO_SUCH_LOAD)
    try:
        undo_load(session, by=by, load_id=load.id)
    except UndoRefusedError as error:
        session.rollback()
        reason = f"Load {load_id} cannot be undone: {error}."
        context = {"load": load, "summary": [{"text": reason, "href": "#undo"}]}
        return render(request, "loads/undo.html", context, status=HTTPStatus.CONFLICT)
    session.commit()
    return redirect(f"/loads/{load.id}?{urlencode({'undone': 'yes'})}")


def _load_or_none(session: Session, by: Principal, load_id: str) -> FeedLoad | None:
    """The load within the caller's reach (a load beyond it is the policy's audited 403)."""
    if not (load_id.isascii() and load_id.isdigit()) or not 1 <= int(load_id) <= LARGEST_ID:
        return None
    try:
        return load_report(session, by=by, load_id=int(load_id), page=1, level=None).load
    except UnknownLoadError:
        return None


# --- Shared ----------------------------------------------------------------------------


def _page_number(request: Request) -> int | None:
    text = request.query_params.get("page", "1")
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text[:8]) <= LARGEST_PAGE:
        return None
    return int(text)


def _not_found(request: Request, message: str) -> Response:
    context = {"heading": "Not found", "message": message}
    return render(request, "loads/problem.html", context, status=HTTPStatus.NOT_FOUND)


def _bad_request(request: Request, message: str) -> Response:
    context = {"heading": "There is a problem", "message": message}
    return render(request, "loads/problem.html", context, status=HTTPStatus.BAD_REQUEST)
