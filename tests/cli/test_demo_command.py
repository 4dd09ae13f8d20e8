"""`contactpoint demo`: the database set up, a synthetic population, demo users, the service."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
from sqlalchemy.orm import Session

from contactpoint.directory.services import directory_statistics


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


def test_the_demo_fills_an_empty_database_and_serves_it_with_users_for_every_role(
    empty_database, tmp_path
):
    port = free_port()
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CONTACTPOINT_")},
        "CONTACTPOINT_DATABASE_URL": empty_database.url,
        "CONTACTPOINT_DATA_DIR": str(tmp_path),
        "COLUMNS": "200",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "contactpoint", "demo", "--children", "60", "--port", str(port)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        health = wait_for_health(f"http://127.0.0.1:{port}/health", process, time.monotonic() + 120)
        assert health.json() == {"status": "ok", "database": "ok"}
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert f"running on http://localhost:{port}" in output
    for username in ("demo-practitioner", "demo-council-team", "demo-auditor"):
        assert username in output
    assert "users totp USERNAME" in output
    with Session(empty_database.engine) as session:
        assert directory_statistics(session).active_children > 50
