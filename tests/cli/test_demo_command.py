"""`contactpoint demo`: the database set up, synthetic extracts loaded, demo users, the service."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactpoint.directory.models import Child, Involvement, Shield
from contactpoint.directory.services import directory_statistics
from contactpoint.provenance.models import Feed, SourceRecord, SourceRecordStatus
from contactpoint.synth.demo_loading import read_links, read_truth, truth_shields
from contactpoint.synth.generation import generate_population

if TYPE_CHECKING:
    from pathlib import Path

CHILDREN = 100
SEED = 1
# Linkage errors aside, one child per person: records held for review make provisional
# children, a false merge takes one away.
CHILDREN_TOLERANCE = 0.05


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_health(url: str, process: subprocess.Popen[str], deadline: float) -> httpx.Response:
    while time.monotonic() < deadline:
        assert process.poll() is None, "the demo stopped before serving"
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.5)
    raise AssertionError("the demo did not start serving in time")


def run_demo(database_url: str, data_dir: Path) -> tuple[dict[str, object], str]:
    """Run the demo until it serves; its health answer and everything it printed."""
    port = free_port()
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CONTACTPOINT_")},
        "CONTACTPOINT_DATABASE_URL": database_url,
        "CONTACTPOINT_DATA_DIR": str(data_dir),
        "COLUMNS": "200",
    }
    command = [sys.executable, "-m", "contactpoint", "demo", "--children", str(CHILDREN),
               "--seed", str(SEED), "--port", str(port)]  # fmt: skip
    process = subprocess.Popen(
        command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        health = wait_for_health(f"http://127.0.0.1:{port}/health", process, time.monotonic() + 180)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert f"running on http://localhost:{port}" in output
    return health.json(), output


def expected_shielded(folder: Path, links: dict[tuple[str, str], str]) -> set[str]:
    """The children that the truth's shielded people's records were linked to."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    as_of = dt.date.fromisoformat(manifest["as_of"])
    shields = truth_shields(
        generate_population(children=CHILDREN, seed=SEED, as_of=as_of).each_child()
    )
    truth = read_truth(folder / "truth.csv")
    return {links[key] for person in shields for key in truth.get(person, ()) if key in links}


def involvement_rows(folder: Path) -> int:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    files: dict[str, int] = manifest["files"]
    return sum(rows for name, rows in files.items() if name.endswith("_involvements.csv"))


def test_the_demo_loads_its_extracts_through_the_feeds_and_serves_them_with_demo_users(
    empty_database, tmp_path
):
    health, output = run_demo(empty_database.url, tmp_path)
    folder = tmp_path / "synth" / "demo"
    truth, links = read_truth(folder / "truth.csv"), read_links(folder / "links.csv")
    with Session(empty_database.engine) as session:
        active = directory_statistics(session).active_children
        live = session.scalar(
            select(func.count())
            .select_from(SourceRecord)
            .where(
                SourceRecord.feed == Feed.CHILDREN, SourceRecord.status == SourceRecordStatus.LIVE
            )
        )
        shielded = set(
            session.scalars(
                select(Child.contactpoint_id).join(Shield).where(Shield.ended_on.is_(None))
            )
        )
        involvements = session.scalar(select(func.count()).select_from(Involvement))
    assert health == {"status": "ok", "database": "ok"}
    for expected in ("demo-practitioner", "demo-council-team", "demo-auditor",
                     "users totp USERNAME", "health children:", "child_benefit children:",
                     "oxfordshire_social_care involvements:"):  # fmt: skip
        assert expected in output
    assert f"over {active:,} active synthetic children" in output
    assert abs(active - len(truth)) <= CHILDREN * CHILDREN_TOLERANCE, (active, len(truth))
    assert len(links) == live
    assert set(links) == {key for records in truth.values() for key in records}
    assert shielded == expected_shielded(folder, links)
    assert involvements == involvement_rows(folder) > 0
