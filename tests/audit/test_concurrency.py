"""Concurrent writers, in threads and in processes, never fork the chain: afterwards
it is one unbroken line holding every event each writer recorded."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from contactpoint.audit.models import AuditEventRow
from contactpoint.audit.services import verify

from chain_writer import write_concurrently

WRITER = Path(__file__).with_name("chain_writer.py")


def _assert_one_unbroken_line(engine, expected: set[tuple[str, str]]) -> None:
    with Session(engine) as session:
        result = verify(session)
        rows = session.execute(
            select(AuditEventRow.sequence, AuditEventRow.actor_label, AuditEventRow.subject_ref)
        ).all()
    assert result.intact, result.problem
    assert result.events == len(expected)
    assert sorted(row.sequence for row in rows) == list(range(1, len(expected) + 1))
    assert {(row.actor_label, row.subject_ref) for row in rows} == expected


def _expected(labels: list[str], *, threads: int, events: int) -> set[tuple[str, str]]:
    return {
        (f"{label}-{thread}", str(number))
        for label in labels
        for thread in range(threads)
        for number in range(events)
    }


@pytest.mark.slow
def test_writers_in_many_threads_never_fork_the_chain(fresh_database):
    failures = write_concurrently(fresh_database.url, "thread", threads=8, events=15)
    assert failures == []
    _assert_one_unbroken_line(fresh_database.engine, _expected(["thread"], threads=8, events=15))


@pytest.mark.slow
def test_writers_in_many_processes_each_with_threads_never_fork_the_chain(fresh_database):
    labels = [f"process{number}" for number in range(4)]
    start_at = time.time() + 3  # time for every interpreter to start and import
    writers = [
        subprocess.Popen(
            [sys.executable, str(WRITER), fresh_database.url, label, "3", "10", str(start_at)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for label in labels
    ]
    for writer in writers:
        _, errors = writer.communicate(timeout=120)
        assert writer.returncode == 0, errors
    _assert_one_unbroken_line(fresh_database.engine, _expected(labels, threads=3, events=10))
