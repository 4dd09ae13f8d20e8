"""Training the model without labels, with Splink 5 on DuckDB.

u comes from random sampling (two records picked at random are almost never
the same child); m comes from expectation maximisation over blocked pairs,
each pass blocking on some fields and estimating the others; the prior from
deterministic rules. The default model shipped in the package is made by::

    python -m contactpoint.linkage.training EXTRACTS_DIR --version VERSION

over synthetic extracts (``contactpoint synth``). ``contactpoint linkage
train`` will retrain on a directory's own records the same way.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from contactpoint.identifiers.errors import InvalidIdentifierError
from contactpoint.identifiers.nhs_number import normalise_nhs_number
from contactpoint.identifiers.postcode import normalise_postcode
from contactpoint.identifiers.upn import normalise_upn
from contactpoint.linkage.model import DEFAULT_MODEL_FILE, Model
from contactpoint.linkage.records import LinkageRecord, linkage_record
from contactpoint.linkage.splink_models import (
    feature_table,
    model_from_splink,
    splink_settings,
)
from contactpoint.vocabulary import Gender

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

# Each pass estimates m for the comparisons not used in its blocking rule.
EM_BLOCKING_RULES: Final = (
    "l.dob = r.dob AND l.family = r.family",
    "l.given = r.given AND l.postcode = r.postcode AND l.postcode <> ''",
    "l.nhs_number = r.nhs_number AND l.nhs_number <> ''",
    "substr(l.dob, 1, 4) = substr(r.dob, 1, 4) AND l.given = r.given AND l.family = r.family",
)
DETERMINISTIC_RULES: Final = (
    "l.nhs_number = r.nhs_number AND l.nhs_number <> ''",
    "l.upn = r.upn AND l.upn <> ''",
    "l.dob = r.dob AND l.given = r.given AND l.family = r.family",
)
DETERMINISTIC_RECALL: Final = 0.9
U_SAMPLE_PAIRS: Final = 2e6

_GENDER_CODES: Final = {
    **{gender.value: gender for gender in Gender},
    "m": Gender.MALE, "f": Gender.FEMALE, "u": Gender.NOT_KNOWN,
    "1": Gender.MALE, "2": Gender.FEMALE, "0": Gender.NOT_KNOWN, "9": Gender.NOT_SPECIFIED,
}  # fmt: skip
_ISO_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_UK_DATE: Final = re.compile(r"\d{2}/\d{2}/\d{4}")
_NON_FEED_FILES: Final = ("truth.csv", "organisations.csv")


def train_model(
    records: Sequence[LinkageRecord],
    *,
    version: str,
    seed: int = 1,
    u_pairs: float = U_SAMPLE_PAIRS,
) -> Model:
    """A model trained without labels on ``records`` (pooled from every source)."""
    from splink import DuckDBAPI, Linker  # noqa: PLC0415 - heavy: only training loads it

    logging.getLogger("splink").setLevel(logging.WARNING)
    db_api = DuckDBAPI()
    table = feature_table(records, [str(index) for index in range(len(records))])
    frame = db_api.register(table, dataset_display_name="records")
    linker = Linker(frame, splink_settings(Model.untrained()))
    linker.training.estimate_probability_two_random_records_match(
        list(DETERMINISTIC_RULES), recall=DETERMINISTIC_RECALL
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=seed)
    for rule in EM_BLOCKING_RULES:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True
        )
    document: dict[str, Any] = linker.misc.save_model_to_json()
    return model_from_splink(
        document,
        version=version,
        untrained=_untrained_levels(linker),
        trained_on_records=len(records),
    )


def _untrained_levels(linker: Any) -> frozenset[tuple[str, str]]:
    """(comparison, level) for each level no training pass could estimate m for."""
    # Splink's saved settings do not say which m values are still the starting ones.
    return frozenset(
        (comparison.output_column_name, level.label_for_charts)
        for comparison in linker._settings_obj.comparisons  # noqa: SLF001
        for level in comparison._comparison_levels_excluding_null  # noqa: SLF001
        if not level._has_estimated_m_values  # noqa: SLF001
    )


# Reading synthetic extracts for training -------------------------------------------------------
# The loader reads feeds with contactpoint.feeds; training the shipped model
# only needs the identifying columns of the synthetic extracts, read here
# leniently (a value that fails its check is left out, as the feed does).


def _checked(check: Callable[[str], str], value: str) -> str | None:
    try:
        return check(value) if value.strip() else None
    except InvalidIdentifierError:
        return None


def _date(value: str) -> dt.date | None:
    text = value.strip()
    try:
        if _ISO_DATE.fullmatch(text):
            return dt.date.fromisoformat(text)
        if _UK_DATE.fullmatch(text):
            return dt.date(int(text[6:]), int(text[3:5]), int(text[:2]))
    except ValueError:
        return None
    return None


def record_from_csv_row(row: dict[str, str]) -> LinkageRecord:
    """A linkage record from one child feed row (``feeds.md`` columns), read leniently."""

    def value(name: str) -> str:
        return (row.get(name) or "").strip()

    return linkage_record(
        given_name=value("given_name"),
        middle_names=value("middle_names"),
        family_name=value("family_name"),
        former_family_names=value("former_family_names").split(";"),
        date_of_birth=_date(value("date_of_birth")),
        gender=_GENDER_CODES.get(value("gender").casefold(), Gender.NOT_KNOWN),
        postcode=_checked(normalise_postcode, value("postcode")),
        address_line_1=value("address_line_1"),
        nhs_number=_checked(normalise_nhs_number, value("nhs_number")),
        upn=_checked(normalise_upn, value("upn")),
        carers=[(value(f"carer_{n}_given_name"), value(f"carer_{n}_family_name")) for n in (1, 2)],
    )


def read_child_extracts(folder: Path) -> Iterator[tuple[str, str, LinkageRecord]]:
    """(source, record_id, record) for every row of every child feed in a synthetic bundle."""
    for path in sorted(folder.glob("*.csv")):
        if path.name in _NON_FEED_FILES or path.stem.endswith("_involvements"):
            continue
        with path.open(encoding="utf-8-sig", newline="") as stream:
            for row in csv.DictReader(stream):
                yield path.stem, row["record_id"], record_from_csv_row(row)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("extracts", type=Path, help="a folder of synthetic extracts")
    parser.add_argument("--version", required=True, help="the model's version string")
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name(DEFAULT_MODEL_FILE))
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args(argv)
    records = [record for _, _, record in read_child_extracts(arguments.extracts)]
    model = train_model(records, version=arguments.version, seed=arguments.seed)
    model.save(arguments.output)


if __name__ == "__main__":
    main()
