"""Loading extracts in tests: a source, a file, a load, the link export."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import TYPE_CHECKING

import pytest

from contactpoint.access.policy import principal_for_operator
from contactpoint.feeds.exports import write_link_export
from contactpoint.feeds.loading import LoadReport, LoadRequest, run_load
from contactpoint.feeds.models import LoadMode
from contactpoint.feeds.sources import add_source
from contactpoint.linkage.batch import relink_report
from contactpoint.linkage.model import Model
from contactpoint.linkage.services import DirectoryLinker
from contactpoint.provenance.models import Feed, SourceKind
from contactpoint.storage.engine import session_factory
from feeds.feed_files import child_csv

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.engine import Engine

OPERATOR = principal_for_operator("tester")
EXTRACTED_ON = dt.date(2026, 11, 20)


def linker() -> DirectoryLinker:
    return DirectoryLinker(Model.default())


class Loads:
    """A directory in a test database, loaded from files under ``folder``."""

    def __init__(self, engine: Engine, folder: Path) -> None:
        self.sessions = session_factory(engine)
        self.folder = folder
        self._files = 0

    @classmethod
    def with_sources(cls, engine: Engine, folder: Path, *names: str) -> Loads:
        """A directory with these national sources registered."""
        directory = cls(engine, folder)
        for name in names:
            directory.add_source(name)
        return directory

    def add_source(self, name: str, kind: SourceKind = SourceKind.NATIONAL) -> None:
        with self.sessions() as session:
            add_source(session, by=OPERATOR, name=name, kind=kind)
            session.commit()

    def file(self, data: bytes, *, suffix: str = ".csv") -> Path:
        self._files += 1
        path = self.folder / f"extract{self._files}{suffix}"
        path.write_bytes(data)
        return path

    def load(
        self,
        source: str,
        data: bytes,
        *,
        mode: LoadMode = LoadMode.FULL,
        feed: Feed = Feed.CHILDREN,
        extracted_on: dt.date = EXTRACTED_ON,
        dry_run: bool = False,
        allow_mass_end: bool = False,
        file_format: str = "csv",
    ) -> LoadReport:
        path = self.file(data, suffix=".ndjson" if file_format == "fhir" else ".csv")
        request = LoadRequest(
            source=source, path=path, extracted_on=extracted_on, feed=feed,
            mode=mode, dry_run=dry_run, allow_mass_end=allow_mass_end, file_format=file_format,
        )  # fmt: skip
        return run_load(self.sessions, request, by=OPERATOR, linker=linker())

    def relink_rows(self) -> list[dict[str, str]]:
        """The batch re-link report with the default model, row by row."""
        stream = io.StringIO()
        with self.sessions() as session:
            relink_report(session, stream, model=Model.default())
        return list(csv.DictReader(io.StringIO(stream.getvalue())))

    def links(self) -> list[tuple[str, str, str]]:
        stream = io.StringIO()
        with self.sessions() as session:
            write_link_export(session, stream, by=OPERATOR)
            session.commit()
        lines = stream.getvalue().splitlines()[1:]
        return sorted(tuple(line.split(",")) for line in lines)  # type: ignore[misc]


AMELIA_LINKED = {"record_id": "H1", "given_name": "Amelia", "family_name": "Barton",
                 "date_of_birth": "2014-07-21", "nhs_number": "9991027610"}  # fmt: skip


def one_girl_from_two_sources(engine: Engine, folder: Path) -> Loads:
    """Amelia from health (H1), then from the school census (S1), which links to her."""
    loads = Loads.with_sources(engine, folder, "health", "school_census")
    loads.load("health", child_csv(AMELIA_LINKED))
    loads.load("school_census", child_csv({**AMELIA_LINKED, "record_id": "S1"}))
    return loads


def interrupt_on_chunk(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    """Loads die (KeyboardInterrupt) as they start applying this chunk (counted across
    loads), as a killed process would; the chunks after it apply as usual."""
    real_apply = run_load.__globals__["apply_child_chunk"]
    applied = {"chunks": 0}

    def dying(*args: object, **kwargs: object) -> object:
        applied["chunks"] += 1
        if applied["chunks"] == chunk:
            raise KeyboardInterrupt
        return real_apply(*args, **kwargs)

    monkeypatch.setattr("contactpoint.feeds.loading.apply_child_chunk", dying)
