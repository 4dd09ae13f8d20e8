"""`contactpoint load`'s options, as a data manager types them: --delta, --dry-run,
--allow-mass-end and --feed involvements."""

from __future__ import annotations

import csv
import re
from typing import TYPE_CHECKING

import pytest

from cli_commands import run_command

if TYPE_CHECKING:
    from pathlib import Path

HEADER = "record_id,given_name,family_name,date_of_birth\n"
CHILDREN = [f"H{n},{given},Barton,201{n}-05-1{n}\n"
            for n, given in enumerate(["Amelia", "Oliver", "Isla", "Noah", "Freya"])]  # fmt: skip
DATE = ("--extracted-on", "2026-11-20")


class Directory:
    def __init__(self, url: str, folder: Path) -> None:
        self.url, self.folder, self.files = url, folder, 0
        added = run_command("sources", "add", "health", "--kind", "national", database_url=url)
        assert added.returncode == 0, added.stderr

    def load(self, text: str, *options: str) -> tuple[int, str]:
        self.files += 1
        extract = self.folder / f"extract{self.files}.csv"
        extract.write_text(text, encoding="utf-8")
        result = run_command("load", "--source", "health", *DATE, *options, str(extract),
                             database_url=self.url)  # fmt: skip
        return result.returncode, result.stdout + result.stderr

    def record_ids(self) -> list[str]:
        export = self.folder / "links.csv"
        result = run_command("export", "links", "--output", str(export), database_url=self.url)
        assert result.returncode == 0, result.stderr
        with export.open(encoding="utf-8") as stream:
            return sorted(row["record_id"] for row in csv.DictReader(stream))


@pytest.fixture
def directory(fresh_database, tmp_path) -> Directory:
    return Directory(fresh_database.url, tmp_path)


def test_a_dry_run_reports_and_changes_nothing(directory):
    status, output = directory.load(HEADER + "".join(CHILDREN), "--dry-run")
    assert status == 0, output
    assert "Dry run: nothing was changed" in output
    assert _count(output, "Inserted") == len(CHILDREN)
    assert directory.record_ids() == []


def test_a_delta_keeps_what_it_does_not_carry_and_ends_what_it_deletes(directory):
    _loaded(directory.load(HEADER + "".join(CHILDREN)))
    delta = HEADER.replace("\n", ",action\n") + "H5,Arlo,Barton,2015-05-15,\nH0,,,,delete\n"

    status, output = directory.load(delta, "--delta")

    assert status == 0, output
    assert directory.record_ids() == ["H1", "H2", "H3", "H4", "H5"]


def test_a_full_extract_ending_over_a_tenth_needs_allow_mass_end(directory):
    _loaded(directory.load(HEADER + "".join(CHILDREN)))
    truncated = HEADER + CHILDREN[0]  # would end 4 of 5

    status, output = directory.load(truncated)
    assert status == 1
    assert "--allow-mass-end" in output
    assert len(directory.record_ids()) == len(CHILDREN)

    status, output = directory.load(truncated, "--allow-mass-end")
    assert status == 0, output
    assert directory.record_ids() == ["H0"]


def test_involvements_load_with_feed_involvements(directory):
    _loaded(directory.load(HEADER + "".join(CHILDREN)))
    involvements = (
        "record_id,child_record_id,service_name,service_type,start_date\n"
        "I1,H1,Oxford Children's Social Care,social_care,2026-01-05\n"
        "I2,H9,Oxford Children's Social Care,social_care,2026-01-05\n"
    )

    status, output = directory.load(involvements, "--feed", "involvements")

    assert status == 0, output
    assert "line 3" in output  # H9 is not a child record of this source
    assert (_count(output, "Inserted"), _count(output, "Rejected")) == (1, 1)


def _loaded(result: tuple[int, str]) -> None:
    status, output = result
    assert status == 0, output


def _count(output: str, name: str) -> int:
    found = re.search(rf"{name}\W*([0-9][0-9,]*)", output)
    assert found is not None, output
    return int(found.group(1).replace(",", ""))
