"""Write audit events from several threads at once; run as a script for several processes.

    python chain_writer.py DATABASE_URL LABEL THREADS EVENTS START_AT

Each thread records EVENTS events, each in a transaction of its own that lingers a
moment before committing, all starting together at START_AT (a Unix time) so that
the processes' writers overlap. Any failure exits non-zero.
"""

from __future__ import annotations

import random
import sys
import threading
import time

from sqlalchemy.orm import Session

from contactpoint.audit.events import Actor, Subject, admin_action_event
from contactpoint.audit.services import record
from contactpoint.storage.engine import make_engine


def write_concurrently(
    url: str, label: str, *, threads: int, events: int, start_at: float | None = None
) -> list[BaseException]:
    """Every failure raised in any thread (none, when all went well)."""
    engine = make_engine(url, pool_size=threads)
    barrier = threading.Barrier(threads)
    failures: list[BaseException] = []

    def write(thread: int) -> None:
        actor = Actor.service(f"{label}-{thread}")
        rng = random.Random(f"{label}-{thread}")
        barrier.wait()
        if start_at is not None:
            time.sleep(max(0.0, start_at - time.time()))
        try:
            for number in range(events):
                event = admin_action_event(
                    actor, action="concurrency_test", subject=Subject.audit_trail(number)
                )
                with Session(engine) as session:
                    record(session, event)
                    time.sleep(rng.uniform(0, 0.002))
                    session.commit()
        except BaseException as error:  # noqa: BLE001 - reported to the test
            failures.append(error)

    workers = [threading.Thread(target=write, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    engine.dispose()
    return failures


if __name__ == "__main__":
    url, label, threads, events, start_at = sys.argv[1:]
    found = write_concurrently(
        url, label, threads=int(threads), events=int(events), start_at=float(start_at)
    )
    for failure in found:
        sys.stderr.write(f"{type(failure).__name__}: {failure}\n")
    sys.exit(1 if found else 0)
