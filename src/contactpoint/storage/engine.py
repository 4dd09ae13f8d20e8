"""Engines and sessions, made on request from settings (never at import time)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from sqlite3 import Connection as SQLiteConnection

    from contactpoint.settings import Settings


# SQLite's own page cache is 2 MiB by default: a directory of a million children holds an
# index of ten million blocking keys, and each incoming record looks up a dozen of them at
# random, so most lookups went to the operating system for pages read moments before.
# The cache is per connection and filled on demand; mapped pages are the file's own
# (the operating system's page cache), so neither is memory taken up front.
SQLITE_CACHE_KIB: Final = 256 * 1024
SQLITE_MMAP_BYTES: Final = 1 << 31
# A load's chunk inserts some 13,000 blocking keys at random places in an index of
# millions: each dirties a page of its own, written to the write-ahead log at commit
# and again to the database at the checkpoint. SQLite's default checkpoints after
# 1,000 pages, so after every chunk; waiting for 100,000 pages (about 400 MB of log)
# writes a page changed by several chunks once, and syncs the files far less often.
# Measured on an index of 13 million keys: 2,012 to 3,630 records' keys a second.
SQLITE_CHECKPOINT_PAGES: Final = 100_000


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            from pathlib import Path  # noqa: PLC0415 - only SQLite files need a folder

            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_sqlite)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(dbapi_connection: SQLiteConnection, _record: object) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; SQLAlchemy's documented
    # remedy is to turn it off here and emit BEGIN ourselves (see _begin_sqlite).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    cursor.execute(f"PRAGMA mmap_size = {SQLITE_MMAP_BYTES}")
    cursor.execute(f"PRAGMA wal_autocheckpoint = {SQLITE_CHECKPOINT_PAGES}")
    cursor.close()


def _begin_sqlite(connection: Connection) -> None:
    # IMMEDIATE takes SQLite's single write lock at the start, so a transaction
    # that reads and then writes (every audited read does) waits its turn under
    # busy_timeout instead of failing with "database is locked" halfway through.
    # SQLite is the embedded default; PostgreSQL serves real concurrency.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def engine_from_settings(settings: Settings) -> Engine:
    return make_engine(settings.effective_database_url)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def describe(engine: Engine) -> str:
    """The database's URL with any password hidden, for messages and logs."""
    return engine.url.render_as_string(hide_password=True)
