"""Load speed end to end through ``contactpoint load``, beside Splink's own batch run.

Run: ``make bench-load-100k`` or ``make bench-load-1m``, or
``.venv/bin/python bench/load_speed.py --children N [--seed S] [--database sqlite|postgresql|both]
[--no-splink] [--profile-load SOURCE] [--sources SOURCE ...]``.

For each database asked for (both by default):

1. the synthetic extracts for N children (``contactpoint synth``, reference date
   ``AS_OF``) are written once to ``bench/out/load_speed/synth-N-seedS`` and reused;
2. a fresh database: an SQLite file under ``bench/out/load_speed``, or a scratch
   PostgreSQL database ``bench_load_...`` (created here and dropped afterwards),
   migrated with ``contactpoint db upgrade``;
3. untimed set-up, as the demo does before its first load: the reference data an
   installation holds (councils, schools, GP practices, services) and the four
   sources registered (``synth.demo_loading.register_demo_sources``);
4. **the clock**: ``contactpoint load --source NAME FILE`` as a subprocess for
   every child feed (health, school census, child benefit, Oxfordshire social
   care, in that order: the first source makes the children, the others link to
   them), then ``contactpoint export links``; the clock stops when the export
   has been written and holds one row per accepted record (checked: a shortfall
   fails the run).

It prints records per second overall and per source (wall time, and the CPU
seconds of each subprocess), next to the target of 3,000 records per second.

At N <= 100,000 (and unless ``--no-splink``) Splink 5 then runs its own batch
over the same accepted records, with ``bench/linkage_accuracy.py``'s fair
pipeline (same settings, training and twin mitigation), timed in phases:
training (prior, u by sampling, m by EM), predict, and Splink's own clustering
(connected components) at our link threshold. Ours is then printed beside
Splink's, with the ratio (ours / Splink's; target <= 1.0). Splink's records are
prepared (read and cleaned by our CSV contract) outside its clock; ours include
reading and checking the CSV. DuckDB uses every core; our load is one process.

``--commit REV`` measures that commit's ``src/`` (exported with ``git archive``
to ``bench/out/code-REV`` and put first on the path of this process and of every
subprocess) instead of the working tree: other people's unfinished edits in a
shared working tree then cannot break or change the run.

``--sources`` loads only some child feeds (in the usual order): a partial run,
said so at the top of its output, and never set beside Splink.

``--profile-load SOURCE`` runs that source's load under cProfile (which slows
it: its time is then not a fair figure) and prints the top costs.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import re
import resource
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

REPOSITORY = Path(__file__).resolve().parent.parent
OUTPUT = REPOSITORY / "bench" / "out" / "load_speed"
CONTACTPOINT = REPOSITORY / ".venv" / "bin" / "contactpoint"
AS_OF = dt.date(2026, 12, 1)  # bench/linkage_accuracy.py's, so its reader sees the same rows
TARGET_RECORDS_PER_SECOND = 3000
TARGET_RATIO = 1.0
SPLINK_LIMIT = 100_000  # Splink needs more than 23 GB at 1,000,000 children on this machine
POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
CHILD_FEEDS = ("health", "school_census", "child_benefit", "oxfordshire_social_care")
_COUNT_ROW = re.compile(r"^\W*([A-Z][a-z ]+?)\s*\W\s*([\d,]+)\s*\W*$")


# The code measured ---------------------------------------------------------------------------


def use_code(commit: str | None) -> str:
    """Put ``commit``'s src/ first on the path (here and in subprocesses); what is measured."""

    def git(*arguments: str) -> str:
        done = subprocess.run(["git", *arguments], cwd=REPOSITORY, capture_output=True,
                              text=True, check=True)  # fmt: skip
        return done.stdout.strip()

    if commit is None:
        dirty = git("status", "--porcelain", "--", "src")
        state = "with uncommitted changes in src/" if dirty else "clean"
        return f"the working tree at {git('rev-parse', '--short', 'HEAD')} ({state})"
    full = git("rev-parse", "--short", commit)
    code = OUTPUT.parent / f"code-{full}"
    if not (code / "src").is_dir():
        code.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", full, "src"], cwd=REPOSITORY,
                                 capture_output=True, check=True).stdout  # fmt: skip
        subprocess.run(["tar", "-x", "-C", str(code)], input=archive, check=True)
    source = str(code / "src")
    sys.path.insert(0, source)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        part for part in (source, os.environ.get("PYTHONPATH")) if part
    )
    return f"commit {full} ({git('log', '-1', '--format=%s', full)[:60]}...), from {source}"


# The machine ---------------------------------------------------------------------------------


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = "unknown memory"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 2**20:.1f} GiB memory"
                break
    return (
        f"{os.cpu_count()} CPUs ({model}), {memory}, {platform.system()} {platform.release()},"
        f" Python {platform.python_version()}"
    )


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f} (1, 5, 15 min)"


# Extracts and databases ----------------------------------------------------------------------


def extracts(children: int, seed: int) -> Path:
    """The synthetic extracts for ``children`` and ``seed``, written once and reused."""
    folder = OUTPUT / f"synth-{children}-seed{seed}"
    if not (folder / "manifest.json").exists():
        print(f"writing the synthetic extracts to {folder} ...", flush=True)
        started = time.perf_counter()
        arguments = ("--children", str(children), "--seed", str(seed), "--output", str(folder))
        contactpoint("synth", *arguments, "--as-of", AS_OF.isoformat(), database=None)
        print(f"   written in {time.perf_counter() - started:.0f} s", flush=True)
    return folder


def contactpoint(*arguments: str, database: str | None) -> str:
    """Run the real command; its standard output (a failure stops the benchmark)."""
    env = {**os.environ, "COLUMNS": "200", "CONTACTPOINT_MODE": "development"}
    if database is not None:
        env["CONTACTPOINT_DATABASE_URL"] = database
    done = subprocess.run(
        [str(CONTACTPOINT), *arguments], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"contactpoint {' '.join(arguments)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@contextlib.contextmanager
def fresh_database(kind: str, label: str) -> Iterator[str]:
    """A new, empty database's URL; a PostgreSQL one is dropped afterwards."""
    if kind == "sqlite":
        path = OUTPUT / f"{label}.sqlite3"
        for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            stale.unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{path}"
        return
    import psycopg  # noqa: PLC0415 - only for PostgreSQL

    name = f"bench_{label}_{uuid.uuid4().hex[:8]}".replace("-", "_")
    server = POSTGRES_SERVER.replace("+psycopg", "")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare(database: str, children: int, seed: int) -> None:
    """Migrate, then seed the reference data and register the sources, as the demo does."""
    from contactpoint.access.commands import operator  # noqa: PLC0415 - heavy
    from contactpoint.storage.engine import make_engine, session_factory  # noqa: PLC0415
    from contactpoint.synth.demo_loading import register_demo_sources  # noqa: PLC0415
    from contactpoint.synth.generation import generate_population  # noqa: PLC0415
    from contactpoint.synth.seeding import seed_reference_data  # noqa: PLC0415

    contactpoint("db", "upgrade", database=database)
    population = generate_population(children=children, seed=seed, as_of=AS_OF)
    engine = make_engine(database)
    try:
        with session_factory(engine)() as session:
            reference = seed_reference_data(session, population.reference)
            register_demo_sources(session, by=operator(), councils=reference.councils)
            session.commit()
    finally:
        engine.dispose()


# Our loads -----------------------------------------------------------------------------------


@dataclass
class Timed:
    name: str
    seconds: float
    cpu_seconds: float
    counts: dict[str, int]

    @property
    def accepted(self) -> int:
        return sum(self.counts.get(name, 0) for name in ("inserted", "updated", "unchanged"))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def counts_of(report: str) -> dict[str, int]:
    """The load report's counts, from the table ``contactpoint load`` prints."""
    counts: dict[str, int] = {}
    for line in report.splitlines():
        match = _COUNT_ROW.match(line.strip())
        if match:
            counts[match[1].strip().lower().replace(" ", "_")] = int(match[2].replace(",", ""))
    if "inserted" not in counts or "(completed)" not in report:
        sys.exit(f"the load did not complete:\n{report}")
    return counts


def timed_command(name: str, *arguments: str, database: str) -> tuple[Timed, str]:
    cpu, started = _children_cpu(), time.perf_counter()
    output = contactpoint(*arguments, database=database)
    return Timed(name, time.perf_counter() - started, _children_cpu() - cpu, {}), output


def load_all(
    folder: Path, database: str, *, profile: str | None, sources: Sequence[str] = CHILD_FEEDS
) -> tuple[list[Timed], Timed]:
    """Every child feed through ``contactpoint load``, then ``export links`` (the clock)."""
    loads = []
    for source in (source for source in CHILD_FEEDS if source in sources):
        arguments = ("load", "--source", source, str(folder / f"{source}.csv"),
                     "--extracted-on", AS_OF.isoformat())  # fmt: skip
        if source == profile:
            timed = profiled_load(arguments, database, folder)
        else:
            timed, report = timed_command(source, *arguments, database=database)
            timed.counts = counts_of(report)
        loads.append(timed)
        print(f"   {source}: {timed.accepted:,} records in {timed.seconds:.1f} s "
              f"({timed.accepted / timed.seconds:,.0f}/s; load average {load_average()})",
              flush=True)  # fmt: skip
    links = folder / f"links-{uuid.uuid4().hex[:8]}.csv"
    try:
        export, _ = timed_command("export links", "export", "links", "--output", str(links),
                                  database=database)  # fmt: skip
        with links.open("rb") as stream:
            rows = sum(1 for _ in stream) - 1
    finally:
        links.unlink(missing_ok=True)
    accepted = sum(timed.accepted for timed in loads)
    export.counts = {"inserted": rows}
    if rows != accepted:
        sys.exit(f"the link export holds {rows:,} rows, not the {accepted:,} accepted records")
    return loads, export


def profiled_load(arguments: tuple[str, ...], database: str, folder: Path) -> Timed:
    """The load under cProfile (slower); prints its top costs."""
    profile = folder / f"load-{arguments[2]}.prof"
    cpu, started = _children_cpu(), time.perf_counter()
    env = {**os.environ, "COLUMNS": "200", "CONTACTPOINT_DATABASE_URL": database}
    done = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(profile), str(CONTACTPOINT), *arguments],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds, cpu = time.perf_counter() - started, _children_cpu() - cpu
    if done.returncode != 0:
        sys.exit(f"the profiled load failed:\n{done.stdout}\n{done.stderr}")
    import pstats  # noqa: PLC0415 - only here

    print(f"   cProfile of the {arguments[2]} load (saved to {profile}):")
    stats = pstats.Stats(str(profile))
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)
    return Timed(arguments[2] + " (profiled)", seconds, cpu, counts_of(done.stdout))


def report_ours(loads: list[Timed], export: Timed) -> float:
    print(f"   {'step':<26} {'records':>9} {'wall s':>8} {'records/s':>10} "
          f"{'CPU s':>7} {'records/CPU s':>13}")  # fmt: skip
    for timed in [*loads, export]:
        records = timed.accepted if timed in loads else export.counts["inserted"]
        print(f"   {timed.name:<26} {records:>9,} {timed.seconds:>8.1f} "
              f"{records / timed.seconds:>10,.0f} {timed.cpu_seconds:>7.1f} "
              f"{records / max(timed.cpu_seconds, 1e-9):>13,.0f}")  # fmt: skip
    accepted = sum(timed.accepted for timed in loads)
    seconds = sum(timed.seconds for timed in loads) + export.seconds
    cpu = sum(timed.cpu_seconds for timed in loads) + export.cpu_seconds
    rate = accepted / seconds
    verdict = "within target" if rate >= TARGET_RECORDS_PER_SECOND else "BELOW TARGET"
    print(f"   {'overall (loads + export)':<26} {accepted:>9,} {seconds:>8.1f} {rate:>10,.0f} "
          f"{cpu:>7.1f} {accepted / max(cpu, 1e-9):>13,.0f}   target >= "
          f"{TARGET_RECORDS_PER_SECOND:,}/s: {verdict}")  # fmt: skip
    return seconds


# Splink's batch ------------------------------------------------------------------------------


@dataclass
class SplinkTimes:
    records: int
    phases: dict[str, float]
    pairs: int
    clusters: int

    @property
    def total(self) -> float:
        return sum(self.phases.values())


def splink_batch(children: int, seed: int) -> SplinkTimes:
    """linkage_accuracy's fair Splink pipeline over the same records: train, predict, cluster."""
    import duckdb  # noqa: PLC0415 - heavy
    import pandas as pd  # noqa: PLC0415 - heavy
    from splink import DuckDBAPI, Linker  # noqa: PLC0415

    import linkage_accuracy as accuracy  # noqa: PLC0415 - bench/, next to this script
    from contactpoint.linkage import DEFAULT_THRESHOLDS  # noqa: PLC0415

    accuracy.OUTPUT = OUTPUT  # the same extracts folder, synth-N-seedS
    accuracy.logging.getLogger("splink").setLevel(accuracy.logging.ERROR)
    dataset = accuracy.synthetic(children, seed)
    plan = dataset.splink_settings()
    table = pd.DataFrame(dataset.splink_columns)
    table.insert(0, "unique_id", range(len(table)))
    phases: dict[str, float] = {}
    started = time.perf_counter()
    connection = duckdb.connect()
    connection.execute("SET enable_progress_bar = false")
    db_api = DuckDBAPI(connection)
    frame = db_api.register(table, dataset_display_name="input_0")
    linker = Linker(frame, plan["settings"], log_level=accuracy.logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(plan["prior_rules"], recall=0.9)
    linker.training.estimate_u_using_random_sampling(max_pairs=accuracy.SPLINK_U_PAIRS, seed=1)
    for rule in plan["em_rules"]:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    document = linker.misc.save_model_to_json()
    if plan["twin_mitigation"]:
        accuracy._mitigate_twins(document, plan["twin_mitigation"])  # noqa: SLF001 - reused
        linker = Linker(frame, document, log_level=accuracy.logging.ERROR)
    phases["register and train"] = time.perf_counter() - started
    started = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_weight=accuracy.SPLINK_PREDICT_FLOOR)
    pairs = _count(predictions)
    phases["predict"] = time.perf_counter() - started
    started = time.perf_counter()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_weight=DEFAULT_THRESHOLDS.link
    )
    count = _count(clusters, "count(DISTINCT cluster_id)")
    phases["cluster"] = time.perf_counter() - started
    return SplinkTimes(len(table), phases, pairs, count)


def _count(frame: Any, what: str = "count(*)") -> int:
    """Counted in DuckDB, so that the phase's table is really made within its clock."""
    return int(frame.as_duckdbpyrelation().aggregate(what).fetchall()[0][0])


def report_side_by_side(ours: float, accepted: int, splink: SplinkTimes) -> None:
    print(f"   Splink 5 batch over {splink.records:,} records: {splink.pairs:,} scored pairs, "
          f"{splink.clusters:,} clusters")  # fmt: skip
    for phase, seconds in splink.phases.items():
        print(f"      {phase:<20} {seconds:>8.1f} s")
    without = splink.phases["predict"] + splink.phases["cluster"]
    rows: Mapping[str, tuple[int, float]] = {
        "ours: contactpoint load x4 + export links": (accepted, ours),
        "Splink: train + predict + cluster": (splink.records, splink.total),
        "Splink: predict + cluster (trained model)": (splink.records, without),
    }
    print(f"   {'':<44} {'records':>9} {'seconds':>9} {'records/s':>10}")
    for label, (records, seconds) in rows.items():
        print(f"   {label:<44} {records:>9,} {seconds:>9.1f} {records / seconds:>10,.0f}")
    for label, seconds in (("train + predict + cluster", splink.total),
                           ("predict + cluster", without)):  # fmt: skip
        ratio = ours / seconds
        verdict = "within target" if ratio <= TARGET_RATIO else "OVER TARGET"
        print(f"   ratio ours / Splink ({label}): {ratio:.2f} "
              f"(target <= {TARGET_RATIO}: {verdict})")  # fmt: skip


# The run -------------------------------------------------------------------------------------


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--no-splink", action="store_true")
    parser.add_argument(
        "--profile-load", choices=CHILD_FEEDS, help="profile this source's load (slower)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file afterwards")
    parser.add_argument(
        "--sources", nargs="+", choices=CHILD_FEEDS, default=list(CHILD_FEEDS),
        help="load only these child feeds, in the usual order (a partial run, said so)",
    )  # fmt: skip
    parser.add_argument("--commit", help="measure this commit's src/, not the working tree")
    return parser.parse_args()


def main() -> None:
    arguments = _arguments()
    children, seed = arguments.children, arguments.seed
    print(f"code: {use_code(arguments.commit)}")
    print(f"machine: {machine()}")
    print(f"load average at start: {load_average()}")
    print(f"target: >= {TARGET_RECORDS_PER_SECOND:,} records/s end to end; "
          f"ratio to Splink's batch <= {TARGET_RATIO}")  # fmt: skip
    folder = extracts(children, seed)
    if list(arguments.sources) != list(CHILD_FEEDS):
        print(f"PARTIAL RUN: only {', '.join(arguments.sources)} (not every child feed)")
    started = time.perf_counter()
    subprocess.run([str(CONTACTPOINT), "--help"], capture_output=True, check=True)
    print(f"process start (contactpoint --help): {time.perf_counter() - started:.1f} s")
    kinds = ("sqlite", "postgresql") if arguments.database == "both" else (arguments.database,)
    ours: dict[str, tuple[float, int]] = {}
    for kind in kinds:
        label = f"load-{children}-seed{seed}"
        with fresh_database(kind, label) as database:
            print(f"\n== {kind}: {children:,} children (load average {load_average()})",
                  flush=True)  # fmt: skip
            prepare(database, children, seed)
            loads, export = load_all(
                folder, database, profile=arguments.profile_load, sources=arguments.sources
            )
            seconds = report_ours(loads, export)
            ours[kind] = (seconds, sum(timed.accepted for timed in loads))
            if kind == "sqlite" and not arguments.keep:
                path = Path(database.removeprefix("sqlite:///"))
                for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                    stale.unlink(missing_ok=True)
        print(f"   load average after {kind}: {load_average()}", flush=True)
    if arguments.no_splink:
        print("\nSplink's batch: not run (--no-splink)")
    elif list(arguments.sources) != list(CHILD_FEEDS):
        print("\nSplink's batch: not run (a partial run: Splink's batch takes every feed)")
    elif children > SPLINK_LIMIT:
        print(f"\nSplink's batch: not run above {SPLINK_LIMIT:,} children "
              "(it needs more than 23 GB at 1,000,000 on this machine)")  # fmt: skip
    else:
        print(f"\n== Splink 5 batch (load average {load_average()})", flush=True)
        splink = splink_batch(children, seed)
        for kind, (seconds, accepted) in ours.items():
            print(f"\n   -- ours on {kind} beside Splink")
            report_side_by_side(seconds, accepted, splink)
    print(f"\nload average at end: {load_average()}")


if __name__ == "__main__":
    main()
