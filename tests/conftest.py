"""Shared fixtures: every database test runs once on SQLite and once on PostgreSQL.

- ``db_session``: a session inside a transaction that is rolled back after the test.
- ``fresh_database``: a database of its own, cloned from a migrated template, for
  tests that need committed data, real HTTP or several processes.
- ``app_settings``: settings pointing at a fresh database, in test mode.

Where PostgreSQL is not reachable its half is skipped with a message saying so,
and the summary at the end says how many tests ran on each database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from pydantic import SecretStr
from sqlalchemy.orm import Session

from contactpoint.settings import Mode, Settings

from databases import PostgresTemplates, SQLiteTemplates, TestDatabase, postgres_unavailable_reason

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from _pytest.terminal import TerminalReporter

BACKENDS = ("sqlite", "postgresql")
LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
TEST_SECRET = SecretStr("test-secret-" + "x" * 40)


class Templates:
    """Each backend's migrated template, made the first time a test asks for it."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._sqlite: SQLiteTemplates | None = None
        self._postgres: PostgresTemplates | None = None
        self.postgres_skip_reason = postgres_unavailable_reason()
        self.shared: dict[str, TestDatabase] = {}

    def for_backend(self, backend: str) -> SQLiteTemplates | PostgresTemplates:
        if backend == "sqlite":
            if self._sqlite is None:
                self._sqlite = SQLiteTemplates(self._folder)
            return self._sqlite
        if self.postgres_skip_reason:
            pytest.skip(self.postgres_skip_reason)
        if self._postgres is None:
            self._postgres = PostgresTemplates()
        return self._postgres

    def shared_database(self, backend: str) -> TestDatabase:
        """One database per backend for all rolled-back tests of the session."""
        if backend not in self.shared:
            self.shared[backend] = self.for_backend(backend).clone()
        return self.shared[backend]

    def close(self) -> None:
        for backend, database in self.shared.items():
            self.for_backend(backend).drop(database)
        if self._postgres is not None:
            self._postgres.close()


@pytest.fixture(scope="session")
def database_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    templates = Templates(tmp_path_factory.mktemp("databases"))
    yield templates
    templates.close()


@pytest.fixture(
    params=[
        pytest.param("sqlite", marks=pytest.mark.sqlite),
        pytest.param("postgresql", marks=pytest.mark.postgresql),
    ]
)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def fresh_database(backend: str, database_templates: Templates) -> Iterator[TestDatabase]:
    templates = database_templates.for_backend(backend)
    database = templates.clone()
    yield database
    templates.drop(database)


@pytest.fixture
def empty_database(backend: str, database_templates: Templates) -> Iterator[TestDatabase]:
    """A database with no schema at all, for migration tests."""
    templates = database_templates.for_backend(backend)
    database = templates.empty()
    yield database
    templates.drop(database)


@pytest.fixture
def db_session(backend: str, database_templates: Templates) -> Iterator[Session]:
    engine = database_templates.shared_database(backend).engine
    with engine.connect() as connection:
        transaction = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield session
        finally:
            session.close()
            transaction.rollback()


@pytest.fixture
def app_settings(fresh_database: TestDatabase, tmp_path: Path) -> Settings:
    return Settings(
        mode=Mode.TEST,
        database_url=fresh_database.url,
        data_dir=tmp_path,
        secret_key=TEST_SECRET,
    )


def pytest_terminal_summary(terminalreporter: TerminalReporter) -> None:
    passed = dict.fromkeys(BACKENDS, 0)
    skipped = dict.fromkeys(BACKENDS, 0)
    reasons: set[str] = set()
    without_database = 0
    for report in terminalreporter.stats.get("passed", []):
        ran_on = [backend for backend in BACKENDS if backend in report.keywords]
        for backend in ran_on:
            passed[backend] += 1
        without_database += not ran_on
    for report in terminalreporter.stats.get("skipped", []):
        for backend in BACKENDS:
            if backend in report.keywords:
                skipped[backend] += 1
                if isinstance(report.longrepr, tuple):
                    reasons.add(str(report.longrepr[2]).removeprefix("Skipped: "))
    terminalreporter.write_sep("-", "tests per database")
    terminalreporter.write_line(
        f"passed on SQLite: {passed['sqlite']}; passed on PostgreSQL: {passed['postgresql']}; "
        f"passed without a database: {without_database}"
    )
    for backend in BACKENDS:
        if skipped[backend]:
            terminalreporter.write_line(f"skipped on {LABELS[backend]}: {skipped[backend]}")
    for reason in sorted(reasons):
        terminalreporter.write_line(f"  because {reason}")
