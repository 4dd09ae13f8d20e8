"""``contactpoint synth`` as a command: options, output folder and errors."""

import datetime as dt
import json

import typer
from typer.testing import CliRunner

from contactpoint.synth.commands import synth, write_synthetic_extracts

app = typer.Typer()
app.command()(synth)


def test_the_command_writes_the_extracts_to_the_output_folder(tmp_path):
    result = CliRunner().invoke(
        app,
        ["--children", "200", "--seed", "3", "--output", str(tmp_path), "--as-of", "2026-01-15"],
    )
    assert result.exit_code == 0, result.output
    assert "200 children" in result.output
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["children"], manifest["seed"], manifest["as_of"]) == (200, 3, "2026-01-15")
    assert (tmp_path / "health.csv").exists()


def test_the_command_refuses_a_reference_date_that_is_not_a_date(tmp_path):
    result = CliRunner().invoke(app, ["--output", str(tmp_path), "--as-of", "15/01/2026"])
    assert result.exit_code != 0
    assert not (tmp_path / "manifest.json").exists()


def test_the_command_refuses_a_negative_number_of_children(tmp_path):
    result = CliRunner().invoke(app, ["--children", "-1", "--output", str(tmp_path)])
    assert result.exit_code != 0


def test_progress_reports_add_up_to_every_child_made(tmp_path):
    reported: list[int] = []
    summary = write_synthetic_extracts(
        children=2500, seed=1, output=tmp_path, as_of=dt.date(2026, 1, 15), progress=reported.append
    )
    assert sum(reported) == summary.children == 2500
    assert len(reported) > 1
