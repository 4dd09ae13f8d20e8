"""How fast ``contactpoint synth`` makes a population, and how much memory it needs.

Run: ``.venv/bin/python bench/synth_speed.py [--children N] [--seed S] [--output DIR]``.
Prints wall time, rows written, rows per second and peak resident memory next to
the targets for a million children: under 5 minutes and under 1 GiB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import time
from pathlib import Path

from contactpoint.synth import write_synthetic_extracts

TARGET_SECONDS = 5 * 60
TARGET_PEAK_BYTES = 1 << 30
TARGET_CHILDREN = 1_000_000
AS_OF = dt.date(2026, 1, 15)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=TARGET_CHILDREN)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", type=Path, default=Path("bench/out/synth"))
    return parser.parse_args()


def _peak_rss_bytes() -> int:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _verdict(passed: bool) -> str:
    return "within target" if passed else "OVER TARGET"


def main() -> None:
    arguments = _arguments()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    started = time.perf_counter()
    summary = write_synthetic_extracts(
        children=arguments.children, seed=arguments.seed, output=arguments.output, as_of=AS_OF
    )
    seconds = time.perf_counter() - started
    peak = _peak_rss_bytes()
    rows = summary.total_rows
    print(f"children: {summary.children:,} in {summary.households:,} households")
    for name, count in summary.rows.items():
        print(f"  {name}: {count:,} rows")
    print(f"rows written: {rows:,} ({rows / seconds:,.0f} rows/s)")
    scale = arguments.children / TARGET_CHILDREN
    print(
        f"wall time: {seconds:.1f} s (target for {arguments.children:,} children at the"
        f" 1,000,000-in-5-minutes rate: {TARGET_SECONDS * scale:.0f} s,"
        f" {_verdict(seconds <= TARGET_SECONDS * scale)})"
    )
    print(
        f"peak RSS: {peak / 2**20:,.0f} MiB (target {TARGET_PEAK_BYTES / 2**20:,.0f} MiB,"
        f" {_verdict(peak <= TARGET_PEAK_BYTES)})"
    )
    without = summary.children_without_nhs_number
    if without:
        print(f"children without an NHS number (the test range is used up): {without:,}")


if __name__ == "__main__":
    main()
