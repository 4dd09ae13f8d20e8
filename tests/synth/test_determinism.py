"""The same seed and reference date always give the same population and the same files."""

import datetime as dt
from pathlib import Path

from contactpoint.synth import generate_population, write_synthetic_extracts

AS_OF = dt.date(2026, 1, 15)


def written(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_the_same_seed_and_date_write_byte_identical_files(tmp_path):
    write_synthetic_extracts(children=1500, seed=5, output=tmp_path / "first", as_of=AS_OF)
    write_synthetic_extracts(children=1500, seed=5, output=tmp_path / "second", as_of=AS_OF)
    first, second = written(tmp_path / "first"), written(tmp_path / "second")
    assert set(first) == set(second)
    for name, content in first.items():
        assert content == second[name], name


def test_another_seed_writes_other_children(tmp_path):
    write_synthetic_extracts(children=300, seed=5, output=tmp_path / "five", as_of=AS_OF)
    write_synthetic_extracts(children=300, seed=6, output=tmp_path / "six", as_of=AS_OF)
    assert written(tmp_path / "five")["health.csv"] != written(tmp_path / "six")["health.csv"]


def test_another_reference_date_writes_other_children(tmp_path):
    write_synthetic_extracts(children=300, seed=5, output=tmp_path / "one", as_of=AS_OF)
    later = AS_OF + dt.timedelta(days=1)
    write_synthetic_extracts(children=300, seed=5, output=tmp_path / "two", as_of=later)
    assert written(tmp_path / "one")["health.csv"] != written(tmp_path / "two")["health.csv"]


def test_the_household_stream_replays_the_same_households():
    population = generate_population(children=500, seed=9, as_of=AS_OF)
    assert list(population.households()) == list(population.households())


def test_the_truth_does_not_depend_on_whether_extracts_are_written(tmp_path):
    before = list(generate_population(children=400, seed=3, as_of=AS_OF).each_child())
    write_synthetic_extracts(children=400, seed=3, output=tmp_path, as_of=AS_OF)
    after = list(generate_population(children=400, seed=3, as_of=AS_OF).each_child())
    assert before == after


def test_the_reference_date_is_today_unless_given():
    population = generate_population(children=10, seed=1)
    assert population.as_of == dt.date.today()  # noqa: DTZ011 - a calendar date
