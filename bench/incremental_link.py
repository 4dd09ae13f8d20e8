"""Incremental linkage: one held-out record at a time through the loader, beside Splink's API.

Run: ``make bench-incremental`` (1,000,000 children), or
``.venv/bin/python bench/incremental_link.py [--children N] [--seed S] [--holdout 1000]
[--source school_census] [--database sqlite|postgresql] [--splink-sample 30]``.

1. The synthetic extracts for N children (``bench/load_speed.py``'s cache,
   ``bench/out/load_speed/synth-N-seedS``). ``--holdout`` records of ``--source``
   (a random sample, fixed by the seed) are held out: each is written to a one-row
   CSV file of its own, and the source's extract is loaded without them.
2. The directory: every child feed loaded in-process with ``feeds.loading.run_load``
   (what ``contactpoint load`` runs, with the garbage collector's thresholds that
   ``contactpoint`` sets), after the same untimed set-up as ``load_speed.py``.
   The timed phase below runs with Python's default thresholds. It is built once
   and kept (an SQLite file, or a PostgreSQL database ``bench_incr_base_...``); each
   run works on a copy (a file copy, or ``CREATE DATABASE ... TEMPLATE``), so held-out
   records are new every time.
3. **Timed, per record, in one Python process** (the first ``WARM_UP`` records
   of each path are run but not counted), alternating between two paths:

   - *load*: ``run_load`` with a ``LoadRequest`` (delta mode) for the record's
     one-row file and a new linker, as ``contactpoint load``, the upload page and
     the API make one for each load: the whole loader path of ``contactpoint
     load`` without the process start: the linker (its model, and the directory's
     size for the model's prior), file digest, the load's row, pass one (the key staged,
     mass-end guard), pass two (row checks, existing-record lookup, source record
     insert, candidates from the ``linkage_block`` index, scoring, decision, keys,
     link decision, the child's values and provenance), finishing (audit event)
     and its commit (a one-chunk load is one transaction), and the load report;
   - *chunk*: the row already parsed from the file (untimed), then in a new
     session: the source looked up, ``feeds.applying.apply_child_chunk`` for a
     one-row chunk (the same writes as a load's chunk, with one linker kept from
     record to record, as within a long load) and the commit.

   Median and p99 wall milliseconds for each (CPU milliseconds beside them: on a
   busy machine the wall time includes waiting for a core), against the targets.
4. Splink 5's per-record API on a smaller sample: ``bench/linkage_accuracy.py``'s
   fair model trained (untimed) on the directory's records, then for each sampled
   held-out record: register it and ``linker.inference.predict_between`` it
   against the directory, the pairs counted (materialised) in DuckDB.

``--commit REV`` measures that commit's ``src/`` rather than the working tree
(see ``bench/load_speed.py``). The directory built is kept per N, seed, holdout
and source: delete ``bench/out/incremental`` after changing the loader.
"""

from __future__ import annotations

import argparse
import csv
import gc
import random
import shutil
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from load_speed import (
    AS_OF,
    CHILD_FEEDS,
    POSTGRES_SERVER,
    contactpoint,
    extracts,
    load_average,
    machine,
    prepare,
    use_code,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from sqlalchemy.orm import Session, sessionmaker

OUTPUT = Path(__file__).resolve().parent / "out" / "incremental"
TARGET_MEDIAN_MS = 5.0
TARGET_P99_MS = 25.0
WARM_UP = 10


# The held-out records and the directory ------------------------------------------------------


@dataclass
class Layout:
    folder: Path  # the extracts
    work: Path  # this benchmark's files for N, seed, holdout and source
    source: str

    @property
    def loaded(self) -> Path:
        return self.work / f"{self.source}.csv"

    @property
    def held(self) -> Path:
        return self.work / "held"

    def feed(self, source: str) -> Path:
        return self.loaded if source == self.source else self.folder / f"{source}.csv"


def hold_out(folder: Path, source: str, count: int, seed: int) -> Layout:
    """The source's extract without ``count`` sampled rows, and each of them in a file."""
    layout = Layout(folder, OUTPUT / f"{folder.name}-{source}-holdout{count}", source)
    if (layout.held / "done").exists():
        return layout
    shutil.rmtree(layout.work, ignore_errors=True)
    layout.held.mkdir(parents=True)
    with (folder / f"{source}.csv").open(encoding="utf-8", newline="") as stream:
        reader = csv.reader(stream)
        header = next(reader)
        rows = list(reader)
    chosen = set(random.Random(f"holdout:{seed}").sample(range(len(rows)), count))
    with layout.loaded.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(row for index, row in enumerate(rows) if index not in chosen)
    for number, index in enumerate(sorted(chosen)):
        with (layout.held / f"{number:05d}.csv").open("w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream, lineterminator="\n")
            writer.writerows([header, rows[index]])
    (layout.held / "done").touch()
    return layout


def held_files(layout: Layout) -> list[Path]:
    return sorted(layout.held.glob("*.csv"))


def build_directory(layout: Layout, database: str, children: int, seed: int) -> None:
    """Every child feed loaded in-process by run_load, the held-out records left out."""
    from contactpoint.access.commands import operator  # noqa: PLC0415 - heavy
    from contactpoint.cli.main import GC_THRESHOLDS  # noqa: PLC0415
    from contactpoint.feeds.loading import LoadRequest, run_load  # noqa: PLC0415
    from contactpoint.linkage.services import default_linker  # noqa: PLC0415
    from contactpoint.storage.engine import make_engine, session_factory  # noqa: PLC0415

    prepare(database, children, seed)
    engine = make_engine(database)
    # The collector set as `contactpoint` sets it for its commands: with Python's default
    # the build took several times longer. Restored before the timed phase, which runs
    # with the default, as a web request would.
    thresholds = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        sessions, linker = session_factory(engine), default_linker()
        for source in CHILD_FEEDS:
            started = time.perf_counter()
            request = LoadRequest(source=source, path=layout.feed(source), extracted_on=AS_OF)
            report = run_load(sessions, request, by=operator(), linker=linker)
            print(f"   {source}: {report.counts['inserted']:,} records in "
                  f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
    finally:
        gc.set_threshold(*thresholds)
        engine.dispose()


def _sqlite_files(path: Path) -> list[Path]:
    return [path, Path(f"{path}-wal"), Path(f"{path}-shm")]


def _postgres(statement: str) -> None:
    import psycopg  # noqa: PLC0415 - only for PostgreSQL

    server = POSTGRES_SERVER.replace("+psycopg", "")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(statement)


def _postgres_exists(name: str) -> bool:
    import psycopg  # noqa: PLC0415 - only for PostgreSQL

    server = POSTGRES_SERVER.replace("+psycopg", "")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        return found.fetchone() is not None


def working_copy(
    layout: Layout, kind: str, children: int, seed: int
) -> tuple[str, Callable[[], None]]:
    """A copy of the built directory to add the held-out records to, and how to remove it."""
    started = time.perf_counter()
    copy = _sqlite_copy if kind == "sqlite" else _postgres_copy
    url, remove = copy(layout, children, seed)
    contactpoint("db", "upgrade", database=url)  # a directory built by earlier code
    print(f"directory ready (copy made) in {time.perf_counter() - started:.0f} s", flush=True)
    return url, remove


def _sqlite_copy(layout: Layout, children: int, seed: int) -> tuple[str, Callable[[], None]]:
    base = layout.work / "base.sqlite3"
    if not (layout.work / "base.done").exists():
        for stale in _sqlite_files(base):
            stale.unlink(missing_ok=True)
        print(f"building the directory in {base} ...", flush=True)
        build_directory(layout, f"sqlite:///{base}", children, seed)
        (layout.work / "base.done").touch()
    work = layout.work / f"work-{uuid.uuid4().hex[:8]}.sqlite3"
    for source, target in zip(_sqlite_files(base), _sqlite_files(work), strict=True):
        if source.exists():
            shutil.copyfile(source, target)

    def remove() -> None:
        for stale in _sqlite_files(work):
            stale.unlink(missing_ok=True)

    return f"sqlite:///{work}", remove


def _postgres_copy(layout: Layout, children: int, seed: int) -> tuple[str, Callable[[], None]]:
    base = f"bench_incr_base_{children}_{seed}_{layout.source}_{len(held_files(layout))}"
    if not _postgres_exists(base):
        print(f"building the directory in PostgreSQL database {base} ...", flush=True)
        _postgres(f'CREATE DATABASE "{base}"')
        try:
            build_directory(layout, f"{POSTGRES_SERVER}/{base}", children, seed)
        except BaseException:
            _postgres(f'DROP DATABASE IF EXISTS "{base}" WITH (FORCE)')
            raise
    name = f"bench_incr_{uuid.uuid4().hex[:8]}"
    _postgres(f'CREATE DATABASE "{name}" TEMPLATE "{base}"')

    def remove() -> None:
        _postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{POSTGRES_SERVER}/{name}", remove


# Timing our paths ----------------------------------------------------------------------------


@dataclass
class Timings:
    name: str
    wall_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)

    def add(self, wall: float, cpu: float, outcome: str, *, counted: bool) -> None:
        if counted:
            self.wall_ms.append(wall * 1000)
            self.cpu_ms.append(cpu * 1000)
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def _outcome(counts: dict[str, int]) -> str:
    for name in ("held_for_review", "linked_to_existing", "new_children"):
        if counts.get(name):
            return name
    return "none"


def link_held_out(
    sessions: sessionmaker[Session], files: Sequence[Path], source_name: str
) -> list[Timings]:
    from contactpoint.access.commands import operator  # noqa: PLC0415 - heavy
    from contactpoint.feeds.applying import apply_child_chunk  # noqa: PLC0415
    from contactpoint.feeds.extracts import child_rows  # noqa: PLC0415
    from contactpoint.feeds.loading import LoadRequest, run_load  # noqa: PLC0415
    from contactpoint.feeds.models import LoadMode  # noqa: PLC0415
    from contactpoint.feeds.row_checks import Accepted  # noqa: PLC0415
    from contactpoint.feeds.sources import require_source  # noqa: PLC0415
    from contactpoint.linkage.services import default_linker  # noqa: PLC0415

    linker, by = default_linker(), operator()
    load, chunk = Timings("load: run_load, one-row delta file"), Timings("chunk: apply + commit")
    for number, path in enumerate(files):
        counted = number // 2 >= WARM_UP
        if number % 2 == 0:
            request = LoadRequest(source=source_name, path=path, extracted_on=AS_OF,
                                  mode=LoadMode.DELTA)  # fmt: skip
            wall, cpu = time.perf_counter(), time.process_time()
            report = run_load(sessions, request, by=by, linker=default_linker())
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            if report.counts["inserted"] != 1:
                sys.exit(f"{path}: the load inserted {report.counts['inserted']} records, not 1")
            load.add(wall, cpu, _outcome(report.counts), counted=counted)
            continue
        with path.open("rb") as stream:
            results = list(child_rows(stream, extracted_on=AS_OF))
        if len(results) != 1 or not isinstance(results[0], Accepted):
            sys.exit(f"{path}: the held-out row was not accepted: {results}")
        row = results[0].row
        wall, cpu = time.perf_counter(), time.process_time()
        with sessions() as session:
            source = require_source(session, source_name)
            outcome = apply_child_chunk(session, source=source, extracted_on=AS_OF, rows=[row],
                                        linker=linker)  # fmt: skip
            session.commit()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        counts = outcome.counts
        named = {name: getattr(counts, name) for name in ("held_for_review", "linked_to_existing",
                                                          "new_children")}  # fmt: skip
        chunk.add(wall, cpu, _outcome(named), counted=counted)
    return [load, chunk]


def report(paths: Sequence[Timings]) -> None:
    print(f"   {'path':<38} {'records':>7} {'median ms':>9} {'p99 ms':>8} {'max ms':>8} "
          f"{'CPU median':>10} {'CPU p99':>8}  outcomes")  # fmt: skip
    for path in paths:
        if not path.wall_ms:
            continue
        median, p99 = statistics.median(path.wall_ms), percentile(path.wall_ms, 0.99)
        print(f"   {path.name:<38} {len(path.wall_ms):>7,} {median:>9.1f} {p99:>8.1f} "
              f"{max(path.wall_ms):>8.1f} {statistics.median(path.cpu_ms):>10.1f} "
              f"{percentile(path.cpu_ms, 0.99):>8.1f}  {path.outcomes}")  # fmt: skip
        verdict = ("within target" if median <= TARGET_MEDIAN_MS and p99 <= TARGET_P99_MS
                   else "OVER TARGET")  # fmt: skip
        print(f"      targets median <= {TARGET_MEDIAN_MS} ms, p99 <= {TARGET_P99_MS} ms: "
              f"{verdict}")  # fmt: skip


# Splink's per-record API ---------------------------------------------------------------------


def _splink_rows(paths: Sequence[Path]) -> list[dict[str, Any]]:
    import linkage_accuracy as accuracy  # noqa: PLC0415 - bench/, next to this script
    from contactpoint.feeds.extracts import child_rows  # noqa: PLC0415 - heavy
    from contactpoint.feeds.row_checks import Accepted  # noqa: PLC0415
    from contactpoint.linkage.index import record_for_row  # noqa: PLC0415
    from contactpoint.provenance.reported import ChildRow  # noqa: PLC0415

    rows: list[dict[str, Any]] = []
    for path in paths:
        with path.open("rb") as stream:
            rows.extend(
                accuracy._splink_child(record_for_row(result.row))  # noqa: SLF001 - reused
                for result in child_rows(stream, extracted_on=AS_OF)
                if isinstance(result, Accepted) and isinstance(result.row, ChildRow)
            )
    return rows


def splink_per_record(layout: Layout, files: Sequence[Path]) -> tuple[int, list[float], float]:
    """Directory size, seconds per predict_between call, and the untimed training's seconds."""
    import duckdb  # noqa: PLC0415 - heavy
    import pandas as pd  # noqa: PLC0415
    from splink import DuckDBAPI, Linker  # noqa: PLC0415

    import linkage_accuracy as accuracy  # noqa: PLC0415 - bench/, next to this script

    accuracy.logging.getLogger("splink").setLevel(accuracy.logging.ERROR)
    directory = pd.DataFrame(_splink_rows([layout.feed(source) for source in CHILD_FEEDS]))
    directory.insert(0, "unique_id", range(len(directory)))
    arrivals = pd.DataFrame(_splink_rows(files))
    arrivals.insert(0, "unique_id", range(len(directory), len(directory) + len(arrivals)))
    connection = duckdb.connect()
    connection.execute("SET enable_progress_bar = false")
    db_api = DuckDBAPI(connection)
    started = time.perf_counter()
    frame = db_api.register(directory, dataset_display_name="directory")
    plan = accuracy._children_settings()  # noqa: SLF001 - the fair pipeline, reused
    linker = Linker(frame, plan["settings"], log_level=accuracy.logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(plan["prior_rules"], recall=0.9)
    linker.training.estimate_u_using_random_sampling(max_pairs=accuracy.SPLINK_U_PAIRS, seed=1)
    for rule in plan["em_rules"]:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    document = linker.misc.save_model_to_json()
    accuracy._mitigate_twins(document, plan["twin_mitigation"])  # noqa: SLF001
    linker = Linker(frame, document, log_level=accuracy.logging.ERROR)
    training = time.perf_counter() - started
    seconds = []
    for number in range(len(arrivals)):
        started = time.perf_counter()
        one = db_api.register(arrivals.iloc[[number]], dataset_display_name=f"new_{number}")
        predictions = linker.inference.predict_between(one, frame)
        pairs = predictions.as_duckdbpyrelation().aggregate("count(*)").fetchall()[0][0]
        seconds.append(time.perf_counter() - started)
        del pairs
    return len(directory), seconds[1:], training


# The run -------------------------------------------------------------------------------------


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--holdout", type=int, default=1000)
    parser.add_argument("--source", choices=CHILD_FEEDS, default="school_census")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--splink-sample", type=int, default=30, help="0: no Splink")
    parser.add_argument("--keep", action="store_true", help="keep the working copy")
    parser.add_argument("--commit", help="measure this commit's src/, not the working tree")
    return parser.parse_args()


def main() -> None:
    arguments = _arguments()
    children, seed = arguments.children, arguments.seed
    print(f"code: {use_code(arguments.commit)}")
    print(f"machine: {machine()}")
    print(f"load average at start: {load_average()}")
    folder = extracts(children, seed)
    layout = hold_out(folder, arguments.source, arguments.holdout, seed)
    files = held_files(layout)
    url, remove = working_copy(layout, arguments.database, children, seed)
    try:
        from contactpoint.storage.engine import make_engine, session_factory  # noqa: PLC0415

        engine = make_engine(url)
        print(f"\n== {len(files):,} held-out {arguments.source} records, one at a time, into a "
              f"directory of {children:,} children on {arguments.database} (load average "
              f"{load_average()}); the first {WARM_UP} of each path not counted",
              flush=True)  # fmt: skip
        try:
            paths = link_held_out(session_factory(engine), files, arguments.source)
        finally:
            engine.dispose()
        report(paths)
    finally:
        if not arguments.keep:
            remove()
    print(f"   load average after: {load_average()}", flush=True)
    if arguments.splink_sample:
        sample = files[: arguments.splink_sample + 1]
        print(f"\n== Splink 5 predict_between, {len(sample) - 1} of the held-out records "
              f"(one more run first, not counted)", flush=True)  # fmt: skip
        size, seconds, training = splink_per_record(layout, sample)
        milliseconds = [second * 1000 for second in seconds]
        print(f"   directory of {size:,} records; model trained in {training:.0f} s (untimed)")
        median, p99 = statistics.median(milliseconds), percentile(milliseconds, 0.99)
        print(f"   per record: median {median:.0f} ms, p99 {p99:.0f} ms, "
              f"max {max(milliseconds):.0f} ms")  # fmt: skip
    print(f"\nload average at end: {load_average()}")


if __name__ == "__main__":
    main()
