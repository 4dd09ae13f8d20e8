"""Sources, their loads and load reports as pages; uploads streamed to a file under a cap.

- ``/sources`` lists the sources within reach of ``feeds:source:manage`` and registers
  one (local, for the user's own organisation; national, with national reach only);
- ``/sources/{name}`` lists its loads, newest first, and ``/sources/{name}/upload``
  takes an extract; ``/loads/{id}`` is a load's report, its problems paged and
  filtered by level. These need ``feeds:load:run`` for the source's organisation: the
  services in :mod:`contactpoint.feeds.reports` ask the policy, and a refusal is the
  audited 403 of :mod:`contactpoint.web.authorisation`.

An upload is never read whole into memory, and never spooled by Starlette (which
would write a body of any size to disk before a view could see it). The multipart
body is parsed as it arrives (python-multipart's push parser); the extract's bytes go
straight to a temporary file (mode 0600, in the data directory, deleted when the
request ends), counted against the size cap, and the upload stops with a 413 naming
the cap the moment it is passed. The guard of this one route therefore reads no form:
:class:`StreamedUploadGuard` resumes the session and asks the policy as every guard
does, and the form token is checked by the stream reader when the file part begins,
so no byte of an extract is stored for a forged form. The page's form sends the token
first. The API's upload (:mod:`contactpoint.web.load_api_views`) streams a ``text/csv``
body the same way.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from http import HTTPStatus
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, Final, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from contactpoint.access.permissions import Permission
from contactpoint.access.sessions import ActiveSession, check_csrf
from contactpoint.feeds.loading import LoadReport, LoadRequest, run_load
from contactpoint.feeds.models import LoadMode, LoadStatus
from contactpoint.feeds.problems import Level
from contactpoint.feeds.reading import DEFAULT_SIZE_CAP, MEBIBYTE
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
from contactpoint.linkage.services import default_linker
from contactpoint.provenance.models import Feed
from contactpoint.web.authorisation import Guard, requires
from contactpoint.web.dependencies import DatabaseSession, now_for
from contactpoint.web.forms import FORM_TOKEN_FIELD, ForgedFormError, PostedForm, field
from contactpoint.web.pages import error_summary, render
from contactpoint.web.paging import pagination
from contactpoint.web.sign_in_views import redirect

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from starlette.datastructures import FormData
    from starlette.responses import Response

    from contactpoint.access.policy import Principal
    from contactpoint.provenance.models import Source

router = APIRouter(tags=["loads"])

SOURCES: Final = "/sources"
SOURCE: Final = SOURCES + "/{name}"
UPLOAD: Final = SOURCE + "/upload"
LOAD: Final = "/loads/{load_id}"
EXTRACT_FIELD: Final = "extract"
DATE_FIELD: Final = "extracted_on"
MAX_FORM_FIELDS: Final = 20
MAX_FIELD_BYTES: Final = 16 * 1024
FORM_ALLOWANCE: Final = 64 * 1024  # a form's other fields and part headers, beside the file
LARGEST_ID: Final = 2**31 - 1

Choice = TypeVar("Choice")

Managing = Annotated[ActiveSession, requires(Permission.FEEDS_SOURCE_MANAGE)]
Loading = Annotated[ActiveSession, requires(Permission.FEEDS_LOAD_RUN)]


# --- Streaming an upload to a file under the cap ---------------------------------------


class UploadTooLargeError(Exception):
    """The upload passed the size cap; the message names the cap."""

    def __init__(self, cap: int) -> None:
        super().__init__(
            f"The file is larger than the {describe_cap(cap)} a load accepts: split it into"
            " smaller extracts (a delta, say) and send each"
        )
        self.cap = cap


class UploadFormError(Exception):
    """The body is not a form this page sends; the message says what is wrong."""


def describe_cap(cap: int) -> str:
    return f"{cap // MEBIBYTE:,} MiB" if cap >= MEBIBYTE else f"{cap:,} bytes"


def size_cap_of(request: Request) -> int:
    """The upload cap: ``app.state.upload_size_cap`` if set (tests), else the reader's."""
    cap: int = getattr(request.app.state, "upload_size_cap", DEFAULT_SIZE_CAP)
    return cap


@contextlib.contextmanager
def temporary_extract(request: Request) -> Iterator[tuple[Path, IO[bytes]]]:
    """A new file for an upload, readable by this process only, deleted on leaving.

    It lives in the data directory, not the system's temporary folder, which may be
    held in memory (tmpfs) and would then hold the whole upload in memory after all.
    """
    folder = Path(request.app.state.settings.data_dir) / "uploads"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix="upload-", suffix=".csv", dir=folder)
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as stream:
            yield path, stream
    finally:
        path.unlink(missing_ok=True)


def refuse_declared_size(request: Request, cap: int) -> None:
    """Stop at once when the declared length already passes the cap."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > cap:
        raise UploadTooLargeError(cap)


async def stream_body(request: Request, destination: IO[bytes], *, cap: int) -> int:
    """The raw body into ``destination``, chunk by chunk; how many bytes it held."""
    refuse_declared_size(request, cap)
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > cap:
            raise UploadTooLargeError(cap)
        destination.write(chunk)
    destination.flush()
    return received


class StreamedForm:
    """A multipart form read as it arrives: its text fields, and one file, written away."""

    def __init__(
        self, destination: IO[bytes], *, cap: int, token_is_genuine: Callable[[str], bool]
    ) -> None:
        self.destination, self.cap, self.token_is_genuine = destination, cap, token_is_genuine
        self.fields: dict[str, str] = {}
        self.file_name: str | None = None
        self.file_bytes = 0
        self._headers: dict[bytes, bytes] = {}
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._field_name: str | None = None
        self._field_value = bytearray()
        self._in_file = False

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda data, start, end: self._grow(
                self._header_name, data[start:end]
            ),
            "on_header_value": lambda data, start, end: self._grow(
                self._header_value, data[start:end]
            ),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    @staticmethod
    def _grow(buffer: bytearray, data: bytes) -> None:
        buffer.extend(data)
        if len(buffer) > MAX_FIELD_BYTES:
            raise UploadFormError("a part's header is too long")

    def _part_begin(self) -> None:
        self._headers.clear()
        self._field_name, self._in_file = None, False
        self._field_value.clear()

    def _header_end(self) -> None:
        self._headers[bytes(self._header_name).lower()] = bytes(self._header_value)
        self._header_name.clear()
        self._header_value.clear()

    def _headers_finished(self) -> None:
        disposition = self._headers.get(b"content-disposition", b"").decode("latin-1")
        _, options = parse_options_header(disposition)
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" not in options:
            if len(self.fields) >= MAX_FORM_FIELDS:
                raise UploadFormError("the form has too many fields")
            self._field_name = name
            return
        if name != EXTRACT_FIELD or self.file_name is not None:
            raise UploadFormError("send one file, as the extract")
        # The form token comes before the file: nothing is stored for a forged form.
        if not self.token_is_genuine(self.fields.get(FORM_TOKEN_FIELD, "")):
            raise ForgedFormError
        self.file_name = options[b"filename"].decode("utf-8", "replace")
        self._in_file = True

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self.file_bytes += end - start
            if self.file_bytes > self.cap:
                raise UploadTooLargeError(self.cap)
            self.destination.write(data[start:end])
            return
        self._grow(self._field_value, data[start:end])

    def _part_end(self) -> None:
        if self._field_name is not None:
            try:
                self.fields[self._field_name] = self._field_value.decode("utf-8")
            except UnicodeDecodeError:
                raise UploadFormError("a field of the form is not UTF-8") from None


async def stream_form(
    request: Request, destination: IO[bytes], *, cap: int, token_is_genuine: Callable[[str], bool]
) -> StreamedForm:
    """Parse the multipart body as it arrives, the file into ``destination``."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise UploadFormError("send the form as the page does (multipart/form-data)")
    refuse_declared_size(request, cap + FORM_ALLOWANCE)
    form = StreamedForm(destination, cap=cap, token_is_genuine=token_is_genuine)
    parser = MultipartParser(boundary, form.callbacks())  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError:
        raise UploadFormError("the form could not be read") from None
    if form.file_name is None and not token_is_genuine(form.fields.get(FORM_TOKEN_FIELD, "")):
        raise ForgedFormError
    destination.flush()
    return form


# --- What to load: the options a load is given -----------------------------------------


@dataclass(frozen=True, slots=True)
class LoadOptions:
    feed: Feed
    mode: LoadMode
    extracted_on: dt.date
    dry_run: bool
    allow_mass_end: bool


def choice(kind: Callable[[str], Choice], value: str) -> Choice | None:
    """``kind(value)``, or None when it is not one of them."""
    try:
        return kind(value)
    except ValueError:
        return None


def options_problems(
    feed: Feed | None, mode: LoadMode | None, extracted_on: dt.date | None, *, today: dt.date
) -> dict[str, str]:
    problems = {}
    if feed is None:
        problems["feed"] = "Choose which feed the extract is: children or involvements"
    if mode is None:
        problems["mode"] = "Choose whether the extract is full or a delta"
    if extracted_on is None:
        problems[DATE_FIELD] = "Enter the date the extract was taken as a real date"
    elif extracted_on > today:
        problems[DATE_FIELD] = "The date the extract was taken must be today or in the past"
    return problems


def upload_problem(file_name: str | None, size: int) -> str | None:
    if not file_name:
        return "Choose the extract to upload"
    if size == 0:
        return "The chosen file is empty"
    return None


async def run_upload(
    request: Request, by: Principal, *, source: Source, path: Path, options: LoadOptions, **kw: Any
) -> LoadReport:
    """Load the stored upload, away from the event loop (a load takes a while)."""
    load = LoadRequest(
        source=source.name, path=path, extracted_on=options.extracted_on, feed=options.feed,
        mode=options.mode, dry_run=options.dry_run, allow_mass_end=options.allow_mass_end,
        size_cap=size_cap_of(request), **kw,
    )  # fmt: skip
    sessions = request.app.state.sessions
    linker = default_linker(request.app.state.settings)
    return await run_in_threadpool(run_load, sessions, load, by=by, linker=linker)


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


class StreamedUploadGuard(Guard):
    """The guard of the upload page: every check of :class:`Guard`, but it reads no form.

    Reading the form first would spool the whole body before the cap could be applied,
    so the form token is checked by :func:`stream_form` instead, before any of the file
    is stored (the page sends it first).
    """

    def __call__(  # type: ignore[override]
        self, request: Request, session: DatabaseSession
    ) -> ActiveSession:
        active = self._resume(request, session, api=False)
        self._allow(request, session, active.principal, api=False)
        request.state.active_session = active
        return active


Uploading = Annotated[ActiveSession, Depends(StreamedUploadGuard(Permission.FEEDS_LOAD_SUBMIT))]


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
    cap = size_cap_of(request)
    with temporary_extract(request) as (path, stream):
        try:
            form = await stream_form(
                request, stream, cap=cap,
                token_is_genuine=lambda token: check_csrf(uploading.user_session, token),
            )  # fmt: skip
        except UploadTooLargeError as error:
            problems = {EXTRACT_FIELD: str(error)}
            return _upload_page(
                request, source, problems, status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE
            )
        except (UploadFormError, ClientDisconnect) as error:
            return _bad_request(request, f"The upload could not be read: {error}.")
        options, problems = _options_from(form, today=now_for(request).date())
        problem = upload_problem(form.file_name, form.file_bytes)
        if problem is not None:
            problems = {EXTRACT_FIELD: problem, **problems}
        if options is None or problems:
            return _upload_page(request, source, problems, posted=form.fields)
        report = await run_upload(
            request, by, source=source, path=path, options=options,
            file_name=_plain(form.file_name or "upload.csv"),
        )  # fmt: skip
    if report.load_id is not None:
        return redirect(f"/loads/{report.load_id}")
    context = {"source": source, "dry_run": report, "options": options}
    context["problems_page"] = page_of(report.problems, number=1, size=PROBLEMS_PAGE_SIZE)
    status = (
        HTTPStatus.UNPROCESSABLE_ENTITY if report.status is LoadStatus.REFUSED else HTTPStatus.OK
    )
    return render(request, "loads/dry-run.html", context, status=status)


def _options_from(
    form: StreamedForm, *, today: dt.date
) -> tuple[LoadOptions | None, dict[str, str]]:
    fields = form.fields
    feed = choice(Feed, fields.get("feed", ""))
    mode = choice(LoadMode, fields.get("mode", ""))
    extracted_on = _date(fields)
    problems = options_problems(feed, mode, extracted_on, today=today)
    if feed is None or mode is None or extracted_on is None or problems:
        return None, problems
    dry_run, mass_end = fields.get("dry_run") == "yes", fields.get("allow_mass_end") == "yes"
    return LoadOptions(feed, mode, extracted_on, dry_run, allow_mass_end=mass_end), {}


def _date(fields: dict[str, str]) -> dt.date | None:
    parts = [fields.get(f"{DATE_FIELD}-{part}", "").strip() for part in ("year", "month", "day")]
    if not all(part.isascii() and part.isdigit() and len(part) <= 4 for part in parts):  # noqa: PLR2004 - a year's digits
        return None
    try:
        return dt.date(*(int(part) for part in parts))
    except ValueError:
        return None


def _plain(name: str) -> str:
    """The sender's file name as a label: its last part, printable characters only."""
    last = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in last if c.isprintable())[:255] or "upload.csv"


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
        return _not_found(request, "There is no load with that number.")
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
        return _not_found(request, "There is no load with that number.")
    except NoSuchPageError as error:
        return _not_found(request, f"{str(error).capitalize()}.")
    context = {
        "report": report,
        "load": report.load,
        "pagination": pagination(request.query_params, report.problems),
        "levels": list(Level),
    }
    return render(request, "loads/report.html", context)


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
