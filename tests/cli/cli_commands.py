"""Running `contactpoint` as a real command in tests."""

from __future__ import annotations

import os
import subprocess
import sys


def run_command(
    *arguments: str, database_url: str, data_dir: str = "var", mode: str = "production"
) -> subprocess.CompletedProcess[str]:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CONTACTPOINT_")},
        "CONTACTPOINT_DATABASE_URL": database_url,
        "CONTACTPOINT_DATA_DIR": data_dir,
        "CONTACTPOINT_MODE": mode,
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-m", "contactpoint", *arguments],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
