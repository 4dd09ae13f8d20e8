"""The batch re-link scores through Splink (DuckDB) by default; the loader's Python scorer,
over the same directory, gives the same report."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from pathlib import Path

import pytest

from contactpoint.linkage.batch import Engine, RelinkSummary, relink_report
from contactpoint.linkage.decisions import Thresholds
from contactpoint.linkage.model import Model
from contactpoint.linkage.records import blocking_keys
from contactpoint.linkage.services import DirectoryLinker
from contactpoint.linkage.splink_models import predict_pairs
from contactpoint.linkage.training import read_child_extracts
from contactpoint.synth.bundle import write_synthetic_extracts
from feeds.feed_files import child_csv
from feeds.loads import EXTRACTED_ON, Loads

CHILD_FEEDS = ("child_benefit", "health", "oxfordshire_social_care", "school_census")
# Two sources loaded with thresholds no pair reaches (the default rule would merge what they
# kept apart), the others, and some brothers (a record of another child's with his own given
# name and no NHS number), with thresholds that link any pair, without a margin (the default
# rule would hold some of those links for review, and split the brothers off).
STRICT = Thresholds(link=1000.0, review=1000.0)
EAGER = Thresholds(link=-1000.0, review=-1000.0, margin=0.0)
KEPT_APART = frozenset({"health", "school_census"})
BROTHERS = ("Zebedee", "Quentin", "Barnaby")


@pytest.fixture(scope="module")
def extracts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("relink_synth")
    write_synthetic_extracts(children=150, seed=11, output=folder, as_of=EXTRACTED_ON)
    return folder


@pytest.fixture
def loaded(fresh_database, tmp_path, extracts, monkeypatch) -> Loads:
    loads = Loads.with_sources(fresh_database.engine, tmp_path, *CHILD_FEEDS, "brothers")
    for name in (*CHILD_FEEDS, "brothers"):
        linker = DirectoryLinker(Model.default(), STRICT if name in KEPT_APART else EAGER)
        monkeypatch.setattr("feeds.loads.linker", lambda linker=linker: linker)
        extract = extracts / f"{name}.csv"
        loads.load(name, extract.read_bytes() if extract.exists() else brothers(extracts))
    return loads


def brothers(extracts: Path) -> bytes:
    """Three children of the health extract from different families, each with a brother."""
    with (extracts / "health.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))[::50][: len(BROTHERS)]
    return child_csv(
        *(
            {**row, "record_id": f"B{n}", "given_name": name, "middle_names": "",
             "nhs_number": "", "upn": "", "gender": "1"}
            for n, (row, name) in enumerate(zip(rows, BROTHERS, strict=True))
        )
    )  # fmt: skip


def report(loads: Loads, engine: Engine) -> tuple[RelinkSummary, list[dict[str, str]]]:
    stream = io.StringIO()
    with loads.sessions() as session:
        summary = relink_report(session, stream, model=Model.default(), engine=engine)
    return summary, list(csv.DictReader(io.StringIO(stream.getvalue())))


def test_splink_and_the_python_scorer_give_the_same_relink_report(loaded):
    """Every kind of difference, the same pairs, children and weights (to the report's 3
    decimals; Splink's weights are not rounded as the model's are)."""
    splink_summary, splink_rows = report(loaded, Engine.SPLINK)
    python_summary, python_rows = report(loaded, Engine.PYTHON)
    assert splink_summary == python_summary
    assert splink_rows == python_rows
    assert splink_summary.pairs_scored > 100
    kinds = {row["difference"] for row in splink_rows}
    assert kinds == {"would_merge", "would_review", "would_split"}


def test_splink_scores_exactly_the_pairs_sharing_a_blocking_key_with_the_same_levels(extracts):
    """Splink's candidates are the loader's: every pair that shares a blocking key, once."""
    records = [record for _, _, record in read_child_extracts(extracts)]
    model = Model.default().for_records(len(records))
    blocks = defaultdict(list)
    for position, record in enumerate(records):
        for key in blocking_keys(record):
            blocks[key].append(position)
    loaders = {
        (left, right)
        for members in blocks.values()
        for left in members
        for right in members
        if left < right
    }
    predicted = predict_pairs(records, model)
    assert {(min(p.left, p.right), max(p.left, p.right)) for p in predicted} == loaders
    assert len(predicted) == len(loaders)
    for pair in predicted:
        ours = model.score(records[pair.left], records[pair.right])
        assert pair.levels == ours.levels
        assert pair.match_weight == pytest.approx(ours.match_weight, abs=1e-6)
