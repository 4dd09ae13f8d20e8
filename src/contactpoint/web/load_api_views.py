"""The feeds API, version 1: sources, loads sent as the request body, and load reports.

- ``GET /api/v1/sources`` and ``POST /api/v1/sources`` (``feeds:source:manage``): the
  sources within reach, and registering one (local for the caller's organisation, or
  national with national reach); registering the same source again changes nothing.
- ``POST /api/v1/sources/{name}/loads`` (``feeds:load:run``): the extract is the body,
  ``Content-Type: text/csv``, streamed to a temporary file under the size cap (413
  naming the cap when passed) and loaded at once; the options are query parameters
  (``feed``, ``mode``, ``extracted_on``, ``dry_run``, ``allow_mass_end``, ``file_name``).
  A completed load answers 201 with its report and ``Location``; a refused one 422
  with its report and reason; a dry run 200.
- ``GET /api/v1/loads/{id}`` (``feeds:load:run``): the report, its problems 100 a page
  (``page`` from 1, ``level`` to filter), with ``links`` to the next and previous pages.
- ``POST /api/v1/loads/{id}/undo`` (``feeds:load:run``): undo the load
  (:func:`contactpoint.feeds.undo.undo_load`, audited as the command line's undo);
  200 with what it removed and restored, or 409 saying why it cannot be undone.

A session's cookie or a bearer token (a user's) is accepted, as on every ``/api/``
route. Bad input is problem details naming the parameter or field; an unknown source
is a 404 that says how to register it; a source beyond reach an audited 403.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from http import HTTPStatus
from typing import IO, TYPE_CHECKING, Annotated, Any, Final
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from python_multipart.multipart import parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from contactpoint.access.permissions import Permission
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
    counts_of,
    load_report,
    page_of,
    register_source,
    source_for_loads,
    sources_within_reach,
)
from contactpoint.feeds.undo import UndoRefusedError, undo_load
from contactpoint.feeds.values import iso_date
from contactpoint.provenance.models import Feed, SourceKind
from contactpoint.web.authorisation import Caller, problem, requires
from contactpoint.web.dependencies import DatabaseSession, now_for
from contactpoint.web.errors import error_response
from contactpoint.web.load_forms import (
    LoadOptions,
    choice,
    default_file_name,
    format_problem,
    options_problems,
    run_upload,
)
from contactpoint.web.uploads import (
    UploadTooLargeError,
    size_cap_of,
    stream_body,
    temporary_extract,
)

if TYPE_CHECKING:
    from starlette.responses import Response

    from contactpoint.access.policy import Principal
    from contactpoint.feeds.loading import LoadReport
    from contactpoint.feeds.models import FeedLoad
    from contactpoint.feeds.problems import Problem
    from contactpoint.feeds.reports import Page, SourceSummary
    from contactpoint.provenance.models import Source

router = APIRouter(tags=["feeds"])

API_SOURCES: Final = "/api/v1/sources"
API_LOADS_OF_SOURCE: Final = API_SOURCES + "/{name}/loads"
API_LOAD: Final = "/api/v1/loads/{load_id}"
API_UNDO: Final = API_LOAD + "/undo"
MANAGING: Final = [requires(Permission.FEEDS_SOURCE_MANAGE)]
LOADING: Final = [requires(Permission.FEEDS_LOAD_RUN)]
SUBMITTING: Final = [requires(Permission.FEEDS_LOAD_SUBMIT)]
CSV: Final = b"text/csv"
BODY_TYPES: Final = {
    "csv": (CSV,),
    "fhir": (b"application/fhir+json", b"application/fhir+ndjson", b"application/json",
             b"application/x-ndjson"),
}  # fmt: skip

LoadId = Annotated[int, Field(ge=1, le=2**31 - 1)]
PageNumber = Annotated[int, Query(ge=1, le=LARGEST_PAGE, description="Which page, from 1")]


class NewSourceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=64)
    kind: SourceKind
    trusted_for: list[str] = Field(default_factory=list, max_length=10)


class SourceOut(BaseModel):
    name: str
    kind: SourceKind
    organisation_id: int | None
    trusted_for: list[str]
    created_at: dt.datetime
    last_load_id: int | None = None


class ProblemOut(BaseModel):
    level: Level
    line: int | None
    column: str | None
    reason: str


class PageLinks(BaseModel):
    self: str
    next: str | None
    previous: str | None


class ProblemsOut(BaseModel):
    level: Level | None
    page: int
    pages: int
    page_size: int
    total: int
    links: PageLinks | None
    rows: list[ProblemOut]


class LoadOut(BaseModel):
    id: int | None = Field(description="None for a dry run, which keeps nothing.")
    source: str
    feed: Feed
    mode: LoadMode
    status: LoadStatus
    dry_run: bool
    extracted_on: dt.date
    file_name: str | None
    refusal: str | None
    counts: dict[str, int]
    problems: ProblemsOut


# --- Sources ---------------------------------------------------------------------------


@router.get(API_SOURCES, dependencies=MANAGING, response_model=list[SourceOut])
def list_sources(caller: Caller, session: DatabaseSession) -> Any:
    """The sources you manage, by name."""
    return [_source_out(summary) for summary in sources_within_reach(session, by=caller)]


@router.post(API_SOURCES, dependencies=MANAGING, response_model=SourceOut)
def register(
    request: Request, new_source: NewSourceIn, caller: Caller, session: DatabaseSession
) -> Any:
    """Register a source: 201 when new, 200 when the very same one is registered already."""
    try:
        added = register_source(
            session,
            by=caller,
            name=new_source.name,
            kind=new_source.kind.value,
            trusted_for=new_source.trusted_for,
        )
    except SourceFieldError as error:
        session.rollback()
        status = HTTPStatus.CONFLICT if "already registered" in str(error) else None
        return _invalid(request, "body", {error.field: str(error)}, status=status)
    session.commit()
    source = added.source
    body = SourceOut(
        name=source.name,
        kind=source.kind,
        organisation_id=source.organisation_id,
        trusted_for=source.trusted_for.split(),
        created_at=source.created_at,
    )
    status = HTTPStatus.CREATED if added.created else HTTPStatus.OK
    return JSONResponse(body.model_dump(mode="json"), status_code=status)


def _source_out(summary: SourceSummary) -> SourceOut:
    source = summary.source
    return SourceOut(
        name=source.name,
        kind=source.kind,
        organisation_id=source.organisation_id,
        trusted_for=source.trusted_for.split(),
        created_at=source.created_at,
        last_load_id=None if summary.last_load is None else summary.last_load.id,
    )


# --- Loads -----------------------------------------------------------------------------


@router.post(
    API_LOADS_OF_SOURCE,
    dependencies=SUBMITTING,
    response_model=LoadOut,
    status_code=HTTPStatus.CREATED,
    openapi_extra={
        "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}
    },
)
async def submit_load(
    request: Request,
    *,
    name: str,
    caller: Caller,
    session: DatabaseSession,
    feed: Annotated[str, Query(max_length=20)] = Feed.CHILDREN.value,
    mode: Annotated[str, Query(max_length=20)] = LoadMode.FULL.value,
    extracted_on: Annotated[str | None, Query(max_length=10)] = None,
    dry_run: bool = False,
    allow_mass_end: bool = False,
    file_name: Annotated[str | None, Query(max_length=255)] = None,
    file_format: Annotated[str, Query(alias="format", max_length=10)] = "csv",
) -> Any:
    """Load the extract sent as the body for the source ``name``: the CSV child or
    involvement feed (``text/csv``), or FHIR R4 Patients (``format=fhir``: a Bundle as
    ``application/fhir+json`` or NDJSON as ``application/fhir+ndjson``)."""
    today = now_for(request).date()
    chosen_feed, chosen_mode = choice(Feed, feed), choice(LoadMode, mode)
    day = today if extracted_on is None else _iso_date(extracted_on)
    problems = options_problems(chosen_feed, chosen_mode, day, today=today)
    if problems or chosen_feed is None or chosen_mode is None or day is None:
        return _invalid(request, "query", problems)
    if file_format not in BODY_TYPES:
        return _invalid(request, "query", {"format": "The format is csv or fhir"})
    wrong_format = format_problem(file_format, chosen_feed)
    if wrong_format is not None:  # FHIR carries children only: refused before the body is read
        return _invalid(request, "query", {"format": wrong_format})
    options = LoadOptions(chosen_feed, chosen_mode, day, dry_run, allow_mass_end, file_format,
                          extracted_on_stated=extracted_on is not None)  # fmt: skip
    content_type, _ = parse_options_header(request.headers.get("content-type", ""))
    if content_type not in BODY_TYPES[file_format]:
        shown = " or ".join(kind.decode() for kind in BODY_TYPES[file_format])
        detail = f"Send the extract as the request body, with the header Content-Type: {shown}."
        return problem(request, HTTPStatus.UNSUPPORTED_MEDIA_TYPE, detail)
    try:
        source = await run_in_threadpool(
            partial(source_for_loads, permission=Permission.FEEDS_LOAD_SUBMIT),
            session, by=caller, name=name,
        )  # fmt: skip
    except UnknownSourceError as error:
        return problem(request, HTTPStatus.NOT_FOUND, str(error))
    finally:
        await run_in_threadpool(session.commit)  # SQLite: a load must not wait on our lock
    return await _load_body(request, caller, source=source, options=options, file_name=file_name)


async def _load_body(
    request: Request,
    caller: Principal,
    *,
    source: Source,
    options: LoadOptions,
    file_name: str | None,
) -> Response:
    with temporary_extract(request) as (path, stream):
        refusal = await _stored_body(request, stream)
        if refusal is not None:
            return refusal
        try:
            report = await run_upload(
                request, caller, source=source, path=path, options=options,
                file_name="".join(c for c in (file_name or "") if c.isprintable())
                or default_file_name("api", options.file_format),
            )  # fmt: skip
        except LoadCannotStartError as error:
            return problem(request, HTTPStatus.CONFLICT, f"{str(error).capitalize()}.")
    body = _report_out(report, source=source.name, options=options)
    if report.status is LoadStatus.REFUSED:
        return JSONResponse(body, status_code=HTTPStatus.UNPROCESSABLE_ENTITY)
    if report.load_id is None:
        return JSONResponse(body, status_code=HTTPStatus.OK)
    headers = {"Location": API_LOAD.format(load_id=report.load_id)}
    return JSONResponse(body, status_code=HTTPStatus.CREATED, headers=headers)


async def _stored_body(request: Request, stream: IO[bytes]) -> Response | None:
    """Store the body under the cap; the answer that refuses it, if any."""
    try:
        received = await stream_body(request, stream, cap=size_cap_of(request))
    except UploadTooLargeError as error:
        return problem(request, HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"{error}.")
    except ClientDisconnect:
        return problem(request, HTTPStatus.BAD_REQUEST, "The body ended before it was sent.")
    if received == 0:
        detail = "The body is empty: send the extract, a CSV file with its header row."
        return problem(request, HTTPStatus.BAD_REQUEST, detail)
    return None


def _report_out(report: LoadReport, *, source: str, options: LoadOptions) -> dict[str, Any]:
    """The report of a load just run: its problems' first page (a dry run keeps no more)."""
    first = page_of(report.problems, number=1, size=PROBLEMS_PAGE_SIZE)
    links = None
    if report.load_id is not None:
        links = _links(API_LOAD.format(load_id=report.load_id), first.number, first.pages, None)
    return LoadOut(
        id=report.load_id,
        source=source,
        feed=options.feed,
        mode=options.mode,
        status=report.status,
        dry_run=report.dry_run,
        extracted_on=report.extracted_on or options.extracted_on,
        file_name=None,
        refusal=report.refusal,
        counts=report.counts,
        problems=_problems_out(first, level=None, links=links),
    ).model_dump(mode="json")


@router.get(API_LOAD, dependencies=LOADING, response_model=LoadOut)
def get_load(
    request: Request,
    *,
    load_id: LoadId,
    caller: Caller,
    session: DatabaseSession,
    page: PageNumber = 1,
    level: Level | None = None,
) -> Any:
    """A load's report; its problems ``page`` by page, of one ``level`` if given."""
    try:
        report = load_report(session, by=caller, load_id=load_id, page=page, level=level)
    except UnknownLoadError:
        return problem(request, HTTPStatus.NOT_FOUND, "There is no load with that id.")
    except NoSuchPageError as error:
        return problem(request, HTTPStatus.NOT_FOUND, f"{str(error).capitalize()}.")
    load = report.load
    shown = report.problems
    links = _links(API_LOAD.format(load_id=load.id), shown.number, shown.pages, level)
    return _load_out(load, problems=_problems_out(shown, level=level, links=links))


class UndoOut(BaseModel):
    id: int
    status: LoadStatus
    records_removed: int
    records_restored: int
    children_removed: int


@router.post(API_UNDO, dependencies=LOADING, response_model=UndoOut)
def undo(request: Request, *, load_id: LoadId, caller: Caller, session: DatabaseSession) -> Any:
    """Undo a load while nothing depends on it: 409, saying why, when something does."""
    try:
        load_report(session, by=caller, load_id=load_id, page=1)  # within reach, or 403
        undone = undo_load(session, by=caller, load_id=load_id)
    except UnknownLoadError:
        return problem(request, HTTPStatus.NOT_FOUND, "There is no load with that id.")
    except UndoRefusedError as error:
        session.rollback()
        detail = f"Load {load_id} cannot be undone: {error}."
        return problem(request, HTTPStatus.CONFLICT, detail)
    session.commit()
    return UndoOut(
        id=undone.load_id,
        status=LoadStatus.UNDONE,
        records_removed=undone.records_removed,
        records_restored=undone.records_restored,
        children_removed=undone.children_removed,
    )


def _load_out(load: FeedLoad, *, problems: ProblemsOut) -> LoadOut:
    return LoadOut(
        id=load.id,
        source=load.source.name,
        feed=load.feed,
        mode=load.mode,
        status=load.status,
        dry_run=False,
        extracted_on=load.extracted_on,
        file_name=load.file_name,
        refusal=load.refusal,
        counts=counts_of(load),
        problems=problems,
    )


def _problems_out(shown: Page[Any], *, level: Level | None, links: PageLinks | None) -> ProblemsOut:
    rows: list[Problem] = shown.rows
    return ProblemsOut(
        level=level,
        page=shown.number,
        pages=shown.pages,
        page_size=shown.size,
        total=shown.total,
        links=links,
        rows=[
            ProblemOut(level=p.level, line=p.line or None, column=p.column, reason=p.reason)
            for p in rows
        ],
    )


def _links(path: str, number: int, pages: int, level: Level | None) -> PageLinks:
    def to(page: int) -> str:
        query = [("page", str(page))] + ([("level", level.value)] if level else [])
        return f"{quote(path)}?{urlencode(query)}"

    return PageLinks(
        self=to(number),
        next=to(number + 1) if number < pages else None,
        previous=to(number - 1) if number > 1 else None,
    )


def _iso_date(text: str) -> dt.date | None:
    try:
        return iso_date(text)
    except ValueError:
        return None


def _invalid(
    request: Request,
    where: str,
    problems: dict[str, str],
    *,
    status: HTTPStatus | None = None,
) -> Response:
    """Problem details naming each parameter or field that is wrong (422 unless said)."""
    errors = [
        {"location": [where, name], "message": message, "type": "value_error"}
        for name, message in problems.items()
    ]
    chosen = status or HTTPStatus.UNPROCESSABLE_ENTITY
    return error_response(request, chosen, problems=errors)
