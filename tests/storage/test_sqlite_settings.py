"""Every SQLite connection the product opens is set up the same way."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contactpoint.storage.engine import (
    SQLITE_CACHE_KIB,
    SQLITE_CHECKPOINT_PAGES,
    SQLITE_MMAP_BYTES,
    make_engine,
)

if TYPE_CHECKING:
    from pathlib import Path


def test_each_sqlite_connection_has_wal_foreign_keys_and_a_large_page_cache(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'settings.db'}")
    try:
        with engine.connect() as connection:

            def pragma(name: str) -> object:
                return connection.exec_driver_sql(f"PRAGMA {name}").scalar()

            assert pragma("journal_mode") == "wal"
            assert pragma("foreign_keys") == 1
            assert pragma("synchronous") == 1  # NORMAL
            assert pragma("wal_autocheckpoint") == SQLITE_CHECKPOINT_PAGES
            assert pragma("cache_size") == -SQLITE_CACHE_KIB  # negative: KiB, not pages
            # The build caps the map (SQLITE_MAX_MMAP_SIZE); it is never left off.
            assert 0 < int(str(pragma("mmap_size"))) <= SQLITE_MMAP_BYTES
    finally:
        engine.dispose()
