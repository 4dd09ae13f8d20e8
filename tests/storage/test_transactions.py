"""Transactions that read and then write, at the same time, on both databases."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactpoint.organisations.models import Organisation, OrganisationKind


def read_then_write(engine, name: str, errors: list[BaseException], start: threading.Barrier):
    try:
        start.wait()
        with Session(engine) as session, session.begin():
            session.scalar(select(func.count()).select_from(Organisation))
            time.sleep(0.2)  # the other transaction reads meanwhile
            session.add(Organisation(kind=OrganisationKind.SERVICE, code=name, name=name))
    except BaseException as error:  # noqa: BLE001 - reported by the test
        errors.append(error)


def test_concurrent_transactions_that_read_then_write_all_commit(fresh_database):
    errors: list[BaseException] = []
    start = threading.Barrier(4)
    threads = [
        threading.Thread(
            target=read_then_write, args=(fresh_database.engine, f"S{n}", errors, start)
        )
        for n in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with Session(fresh_database.engine) as session:
        assert session.scalar(select(func.count()).select_from(Organisation)) == 4
