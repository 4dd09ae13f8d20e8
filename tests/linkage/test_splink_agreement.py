"""Our weights are Splink's: the same pairs scored by Splink's own predict under the same model."""

import dataclasses
import random

import pytest

from contactpoint.linkage import Model
from contactpoint.linkage.splink_models import UNIQUE_ID, feature_table, splink_settings

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("directory_records", [None, 2_600_000])
def test_splink_predicts_the_same_match_weight_and_levels_for_sampled_pairs(
    synthetic_extracts, directory_records
):
    """With the trained prior, and with the prior for a national directory on both sides."""
    from splink import DuckDBAPI, Linker  # noqa: PLC0415 - heavy: only this test needs it

    model = Model.default()
    if directory_records is not None:
        model = model.for_records(directory_records)
        assert model.prior < model.trained_prior
    rng = random.Random(3)
    chosen = sorted(rng.sample(range(len(synthetic_extracts.records)), 1500))
    records = [synthetic_extracts.records[index] for index in chosen]
    db_api = DuckDBAPI()
    frame = db_api.register(feature_table(records, [str(n) for n in range(len(records))]))
    linker = Linker(frame, splink_settings(model))
    predictions = linker.inference.predict().as_pandas_dataframe()
    assert len(predictions) > 500
    sample = predictions.sample(n=min(3000, len(predictions)), random_state=1)
    for row in sample.itertuples(index=False):
        left = records[int(getattr(row, f"{UNIQUE_ID}_l"))]
        right = records[int(getattr(row, f"{UNIQUE_ID}_r"))]
        ours = model.score(left, right)
        assert ours.match_weight == pytest.approx(row.match_weight, abs=1e-6)
        for comparison, level in zip(model.comparisons, ours.levels, strict=True):
            gamma = getattr(row, f"gamma_{comparison.name}")
            expected = -1 if level == 0 else len(comparison.levels) - 1 - level
            assert gamma == expected, comparison.name


def test_splink_predicts_the_same_match_weight_for_records_with_given_and_family_names_swapped(
    synthetic_extracts,
):
    """The swapped-names levels, written twice (Python and Splink SQL), agree."""
    from splink import DuckDBAPI, Linker  # noqa: PLC0415 - heavy: only this test needs it

    model = Model.default()
    rng = random.Random(5)
    chosen = rng.sample(range(len(synthetic_extracts.records)), 300)
    originals = [synthetic_extracts.records[index] for index in chosen]
    swapped = [
        dataclasses.replace(
            record,
            given_name=_typo(rng, record.family_name),
            family_name=_typo(rng, record.given_name),
        )
        for record in originals
    ]
    records = originals + swapped
    db_api = DuckDBAPI()
    frame = db_api.register(feature_table(records, [str(n) for n in range(len(records))]))
    predictions = Linker(frame, splink_settings(model)).inference.predict().as_pandas_dataframe()
    found_swaps = 0
    for row in predictions.itertuples(index=False):
        left = records[int(getattr(row, f"{UNIQUE_ID}_l"))]
        right = records[int(getattr(row, f"{UNIQUE_ID}_r"))]
        ours = model.score(left, right)
        assert ours.match_weight == pytest.approx(row.match_weight, abs=1e-6)
        found_swaps += ours.explanation[0].level == "swapped_with_family"
    assert found_swaps > 100


def _typo(rng, name):
    """The name, or (one time in three) with one letter dropped."""
    if len(name) > 4 and rng.random() < 1 / 3:
        at = rng.randrange(1, len(name) - 1)
        return name[:at] + name[at + 1 :]
    return name
