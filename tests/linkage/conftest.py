import csv
import datetime as dt
from pathlib import Path

import pytest

from contactpoint.linkage.training import read_child_extracts
from contactpoint.synth.bundle import write_synthetic_extracts


class Extracts:
    """Synthetic child records from every source, with the person each belongs to."""

    def __init__(self, folder: Path) -> None:
        truth_path = folder / "truth.csv"
        with truth_path.open(encoding="utf-8", newline="") as stream:
            truth = {
                (row["source"], row["record_id"]): row["person_id"]
                for row in csv.DictReader(stream)
            }
        rows = list(read_child_extracts(folder))
        self.keys = [(source, record_id) for source, record_id, _ in rows]
        self.records = [record for _, _, record in rows]
        self.persons = [truth[key] for key in self.keys]


@pytest.fixture(scope="session")
def synthetic_extracts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synth")
    write_synthetic_extracts(children=1500, seed=7, output=folder, as_of=dt.date(2026, 12, 1))
    return Extracts(folder)
