"""The extracts show the errors real sources make, at the rates the noise module names.

These are statistical tests on a few thousand children for two fixed seeds;
each tolerance is about four standard deviations of the measured share.
"""

import csv
import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from contactpoint.identifiers.postcode import normalise_postcode
from contactpoint.synth import generate_population, noise, write_synthetic_extracts
from contactpoint.synth.names import nicknames_for
from contactpoint.synth.population import Child

AS_OF = dt.date(2026, 1, 15)
SIZE = 6000


@dataclass(frozen=True)
class Record:
    """A source row beside the truth about its child."""

    source: str
    row: dict[str, str]
    child: Child
    duplicate: bool  # a second record for a child this source already holds


@pytest.fixture(scope="module", params=[11, 12], ids=["seed 11", "seed 12"])
def records(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> list[Record]:
    folder = tmp_path_factory.mktemp(f"errors-{request.param}")
    write_synthetic_extracts(children=SIZE, seed=request.param, output=folder, as_of=AS_OF)
    population = generate_population(children=SIZE, seed=request.param, as_of=AS_OF)
    children = {child.person_id: child for child in population.each_child()}
    return list(_records(folder, children))


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _records(folder: Path, children: dict[str, Child]) -> list[Record]:
    person = {
        (row["source"], row["record_id"]): row["person_id"] for row in _read(folder / "truth.csv")
    }
    found = []
    for source in ("health", "school_census", "child_benefit", "oxfordshire_social_care"):
        seen: set[str] = set()
        for row in _read(folder / f"{source}.csv"):
            person_id = person[source, row["record_id"]]
            found.append(Record(source, row, children[person_id], person_id in seen))
            seen.add(person_id)
    return found


def share(
    records: list[Record], applies: Callable[[Record], bool], shows: Callable[[Record], bool]
) -> tuple[float, int]:
    eligible = [record for record in records if applies(record) and not record.duplicate]
    return sum(shows(record) for record in eligible) / len(eligible), len(eligible)


def near(observed: tuple[float, int], rate: float) -> bool:
    value, trials = observed
    return abs(value - rate) <= 4 * math.sqrt(rate * (1 - rate) / trials) + 0.002


def parse(value: str) -> dt.date | None:
    if not value:
        return None
    if "/" in value:
        day, month, year = value.split("/")
        return dt.date(int(year), int(month), int(day))
    return dt.date.fromisoformat(value)


def plain(name: str) -> bool:
    return name.isascii() and name.isalpha()


def test_each_name_field_has_a_typo_at_the_named_rate(records):
    in_health = [record for record in records if record.source in {"health", "school_census"}]
    observed = share(
        in_health,
        lambda record: plain(record.child.family_name) and not record.child.former_family_names,
        lambda record: record.row["family_name"] != record.child.family_name,
    )
    assert near(observed, noise.NAME_TYPO_RATE), observed


def test_carers_names_have_typos_too(records):
    social = [record for record in records if record.source == "oxfordshire_social_care"]
    observed = share(
        [record for record in records if record.source == "child_benefit"] + social,
        lambda record: plain(record.child.carers[0].carer.given_name),
        lambda record: (
            record.row["carer_1_given_name"].casefold()
            != record.child.carers[0].carer.given_name.casefold()
        ),
    )
    assert near(observed, noise.NAME_TYPO_RATE), observed


def test_dates_of_birth_are_wrong_at_the_named_rate(records):
    observed = share(
        records,
        lambda record: bool(record.row["date_of_birth"]),
        lambda record: parse(record.row["date_of_birth"]) != record.child.date_of_birth,
    )
    assert near(observed, noise.DATE_OF_BIRTH_ERROR_RATE), observed


def test_wrong_dates_of_birth_include_day_and_month_swapped(records):
    swapped = [
        record
        for record in records
        if (born := parse(record.row["date_of_birth"])) is not None
        and born != record.child.date_of_birth
        and (born.day, born.month)
        == (record.child.date_of_birth.month, record.child.date_of_birth.day)
    ]
    assert swapped


def test_dates_of_birth_are_sometimes_missing_but_never_in_the_future(records):
    born = [parse(record.row["date_of_birth"]) for record in records]
    assert any(day is None for day in born)
    assert all(day is None or day <= AS_OF for day in born)


def test_school_records_use_nicknames_or_preferred_names_at_the_named_rate(records):
    def known_by_another_name(record: Record) -> bool:
        given, child = record.row["given_name"], record.child
        return given in nicknames_for(child.given_name) or given in child.middle_names[:1]

    school = [record for record in records if record.source == "school_census"]
    observed = share(
        school,
        lambda record: bool(nicknames_for(record.child.given_name) or record.child.middle_names),
        known_by_another_name,
    )
    # Swapped given and middle names add about one in a hundred; typos take a few away.
    assert near(observed, noise.NICKNAME_RATE), observed


def test_no_other_source_uses_nicknames(records):
    # A nickname can still appear in health's given name by other errors: a middle
    # name that happens to be one, swapped in (Harrison Harry), or a typo that makes
    # one (Sophia typed as Sophie).
    others = [record for record in records if record.source == "health"]
    assert not any(
        record.row["given_name"] in nicknames_for(record.child.given_name)
        and record.row["given_name"] not in record.child.middle_names
        and not one_typo_apart(record.row["given_name"], record.child.given_name)
        for record in others
    )


def one_typo_apart(typed: str, meant: str) -> bool:
    """Whether one substitution, insertion, deletion or adjacent swap turns one into the other."""
    if typed == meant or abs(len(typed) - len(meant)) > 1:
        return False
    if len(typed) == len(meant):
        differ = [i for i, (a, b) in enumerate(zip(typed, meant, strict=True)) if a != b]
        if len(differ) == 1:
            return True
        first, *rest = differ
        return rest == [first + 1] and typed[first : first + 2] == meant[first : first + 2][::-1]
    shorter, longer = sorted((typed, meant), key=len)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def _stale(record: Record) -> bool:
    postcode = record.row["postcode"]
    previous = record.child.residences[1].address
    return (
        bool(postcode)
        and previous is not None
        and normalise_postcode(postcode) == previous.postcode
    )


def _moved(record: Record) -> bool:
    history = record.child.residences
    moved = len(history) > 1 and history[0].address is not None and history[1].address is not None
    return moved and history[0].address.postcode != history[1].address.postcode  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("source", "rate"),
    [
        ("health", noise.HEALTH_STALE_ADDRESS_RATE),
        ("school_census", noise.STALE_ADDRESS_RATE),
        ("child_benefit", noise.STALE_ADDRESS_RATE),
    ],
)
def test_after_a_move_sources_still_hold_the_old_address_at_their_rate(records, source, rate):
    of_source = [record for record in records if record.source == source and record.row["postcode"]]
    observed = share(of_source, _moved, _stale)
    assert near(observed, rate), observed


def test_given_and_middle_names_are_swapped_at_the_named_rate(records):
    health = [record for record in records if record.source == "health"]
    observed = share(
        health,
        lambda record: bool(record.child.middle_names) and plain(record.child.middle_names[0]),
        lambda record: (
            record.row["given_name"] == record.child.middle_names[0]
            and record.row["middle_names"].startswith(record.child.given_name[:1])
        ),
    )
    assert near(observed, noise.GIVEN_MIDDLE_SWAP_RATE), observed


def test_sources_sometimes_hold_half_of_a_double_barrelled_family_name(records):
    observed = share(
        [record for record in records if record.source == "health"],
        lambda record: "-" in record.child.family_name and record.child.family_name.isascii(),
        lambda record: record.row["family_name"] in record.child.family_name.split("-"),
    )
    assert near(observed, noise.DOUBLE_BARRELLED_PART_RATE), observed


def test_optional_fields_are_missing_at_the_named_rate(records):
    observed = share(
        [record for record in records if record.source == "health"],
        lambda _: True,
        lambda record: record.row["gender"] == "",
    )
    assert near(observed, noise.MISSING_FIELD_RATE), observed


def test_a_source_holds_one_child_twice_at_the_named_rate(records):
    national = [record for record in records if record.source != "oxfordshire_social_care"]
    originals = sum(not record.duplicate for record in national)
    duplicates = sum(record.duplicate for record in national)
    assert near((duplicates / originals, originals), noise.DUPLICATE_RECORD_RATE)


def test_duplicates_differ_a_little_from_the_child_they_repeat(records):
    duplicates = [record for record in records if record.duplicate]
    assert duplicates
    for record in duplicates:
        assert record.row["family_name"] or record.row["given_name"]


def test_names_with_apostrophes_and_accents_vary_between_sources(records):
    apostrophes = [record for record in records if "'" in record.child.family_name]
    assert any("'" not in record.row["family_name"] for record in apostrophes)
    assert any("'" in record.row["family_name"] for record in apostrophes)
    accented = [
        record
        for record in records
        if not record.child.given_name.isascii() and record.source == "child_benefit"
    ]
    assert accented
    assert all(record.row["given_name"].isascii() for record in accented)


def test_child_benefit_holds_names_in_capitals(records):
    benefit = [record for record in records if record.source == "child_benefit"]
    assert all(record.row["family_name"] == record.row["family_name"].upper() for record in benefit)


def test_renamed_children_are_sometimes_held_under_their_former_name(records):
    observed = share(
        [record for record in records if record.source != "child_benefit"],
        lambda record: (
            bool(record.child.former_family_names)
            and record.child.shield is None
            and plain(record.child.former_family_names[0])
        ),
        lambda record: record.row["family_name"] == record.child.former_family_names[0],
    )
    assert near(observed, noise.FORMER_NAME_AS_CURRENT_RATE), observed


def test_a_source_still_using_a_former_name_does_not_also_list_it_as_former(records):
    for record in records:
        formers = record.row.get("former_family_names", "")
        if formers:
            assert record.row["family_name"] not in formers.split(";")
