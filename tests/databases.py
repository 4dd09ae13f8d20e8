"""Test databases: a migrated template per backend, cloned for each test that needs one.

SQLite templates are copied with SQLite's backup API; PostgreSQL ones with
``CREATE DATABASE ... TEMPLATE``. Both are built by running the real migrations.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from contactpoint.schema.services import upgrade
from contactpoint.storage.engine import make_engine

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.engine import Engine

POSTGRES_ADMIN_URL = os.environ.get(
    "CONTACTPOINT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
_RUN = f"cp_test_{os.getpid()}"


@dataclass
class TestDatabase:
    backend: str
    url: str
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.url)
        return self._engine

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def postgres_unavailable_reason() -> str | None:
    """None when PostgreSQL answers; otherwise a sentence saying why it is skipped."""
    engine = sa.create_engine(POSTGRES_ADMIN_URL)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as error:
        where = make_url(POSTGRES_ADMIN_URL).render_as_string(hide_password=True)
        return f"PostgreSQL is not reachable at {where} ({type(error.orig).__name__})"
    finally:
        engine.dispose()
    return None


class SQLiteTemplates:
    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._counter = itertools.count()
        self.template = folder / "template.sqlite3"
        engine = make_engine(f"sqlite:///{self.template}")
        upgrade(engine)
        engine.dispose()

    def clone(self) -> TestDatabase:
        target = self._folder / f"db{next(self._counter)}.sqlite3"
        with (
            closing(sqlite3.connect(self.template)) as source,
            closing(sqlite3.connect(target)) as copy,
        ):
            source.backup(copy)
        return TestDatabase("sqlite", f"sqlite:///{target}")

    def empty(self) -> TestDatabase:
        return TestDatabase(
            "sqlite", f"sqlite:///{self._folder / f'empty{next(self._counter)}.sqlite3'}"
        )

    def drop(self, database: TestDatabase) -> None:
        database.dispose()


class PostgresTemplates:
    def __init__(self) -> None:
        self._admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        self._counter = itertools.count()
        self._drop_abandoned()
        self.template = f"{_RUN}_template"
        self._execute(f'CREATE DATABASE "{self.template}"')
        engine = make_engine(self._url(self.template))
        upgrade(engine)
        engine.dispose()

    def clone(self) -> TestDatabase:
        name = f"{_RUN}_{next(self._counter)}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return TestDatabase("postgresql", self._url(name))

    def empty(self) -> TestDatabase:
        name = f"{_RUN}_{next(self._counter)}"
        self._execute(f'CREATE DATABASE "{name}"')
        return TestDatabase("postgresql", self._url(name))

    def drop(self, database: TestDatabase) -> None:
        database.dispose()
        name = make_url(database.url).database
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
        self._admin.dispose()

    def _url(self, name: str) -> str:
        return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def _execute(self, statement: str) -> None:
        with self._admin.connect() as connection:
            connection.execute(sa.text(statement))

    def _drop_abandoned(self) -> None:
        """Drop databases left by test runs that were killed (their process is gone)."""
        with self._admin.connect() as connection:
            names = connection.execute(
                sa.text("SELECT datname FROM pg_database WHERE datname LIKE 'cp_test_%'")
            ).scalars()
            abandoned = [name for name in names if not _process_alive(name.split("_")[2])]
        for name in abandoned:
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _process_alive(pid: str) -> bool:
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
