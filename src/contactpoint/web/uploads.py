"""Streaming an upload to a file under the size cap, never reading it whole into memory.

Starlette would spool a form's body of any size to disk before a view could see it;
here the multipart body is parsed as it arrives (python-multipart's push parser). The
extract's bytes go straight to a temporary file (mode 0600, in the data directory,
deleted when the request ends), counted against the cap, and the upload stops with
:class:`UploadTooLargeError` naming the cap the moment it is passed. The form token is
checked when the file part begins, so no byte of an extract is stored for a forged
form (:class:`StreamedUploadGuard`, the guard of such a route, therefore reads no
form). The API's upload streams a raw body the same way (:func:`stream_body`).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from contactpoint.access.sessions import ActiveSession
from contactpoint.feeds.reading import DEFAULT_SIZE_CAP, MEBIBYTE
from contactpoint.web.authorisation import Guard
from contactpoint.web.dependencies import DatabaseSession
from contactpoint.web.forms import FORM_TOKEN_FIELD, ForgedFormError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

EXTRACT_FIELD: Final = "extract"
MAX_FORM_FIELDS: Final = 20
MAX_FIELD_BYTES: Final = 16 * 1024
FORM_ALLOWANCE: Final = 64 * 1024  # a form's other fields and part headers, beside the file


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


class StreamedUploadGuard(Guard):
    """The guard of an upload page: every check of :class:`Guard`, but it reads no form.

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
