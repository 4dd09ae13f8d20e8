"""Our model as Splink sees it: the input table of features, and the settings with m and u.

Splink (and DuckDB) are imported only here and in ``training``, on use, so that
scoring never loads them.
"""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any, Final

from contactpoint.linkage.comparisons import COMPARISONS
from contactpoint.linkage.model import LevelParameters, Model
from contactpoint.linkage.records import Features

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pyarrow as pa

    from contactpoint.linkage.records import LinkageRecord

UNIQUE_ID: Final = "unique_id"
M_FLOOR: Final = 0.001
U_FLOOR: Final = 1e-7
_LIST_COLUMNS: Final = frozenset(
    item.name for item in fields(Features) if item.type.startswith(("frozenset", "tuple"))
)
_INTEGER_COLUMNS: Final = frozenset({"dob_day"})
_FEATURE_COLUMNS: Final = tuple(item.name for item in fields(Features))
# Blocking for Splink's own predictions and EM; our blocking keys do the loader's.
PREDICTION_BLOCKING_RULES: Final = (
    "l.nhs_number = r.nhs_number AND l.nhs_number <> ''",
    "l.upn = r.upn AND l.upn <> ''",
    "l.dob = r.dob AND l.family = r.family",
    "l.dob = r.dob AND l.given = r.given",
    "l.postcode = r.postcode AND l.given = r.given AND l.postcode <> ''",
    "substr(l.dob, 1, 4) = substr(r.dob, 1, 4) AND l.given = r.given AND l.family = r.family",
    "l.dob = r.dob AND l.given = r.family AND l.family = r.given AND l.given <> ''",
)


def feature_table(records: Sequence[LinkageRecord], unique_ids: Sequence[str]) -> pa.Table:
    """One row per record: its unique id and its features, sets as sorted lists."""
    import pyarrow as pa  # noqa: PLC0415 - heavy, and only training needs it

    columns: dict[str, Any] = {UNIQUE_ID: pa.array(list(unique_ids), pa.string())}
    for name in _FEATURE_COLUMNS:
        values = [getattr(record.features, name) for record in records]
        if name in _LIST_COLUMNS:
            columns[name] = pa.array([sorted(value) for value in values], pa.list_(pa.string()))
        elif name in _INTEGER_COLUMNS:
            columns[name] = pa.array(values, pa.int64())
        else:
            columns[name] = pa.array(values, pa.string())
    return pa.table(columns)


def _level_settings(comparison_index: int, model: Model) -> list[dict[str, Any]]:
    comparison = COMPARISONS[comparison_index]
    parameters = model.parameters[comparison_index]
    levels: list[dict[str, Any]] = []
    for position, (level, values) in enumerate(zip(comparison.levels, parameters, strict=True)):
        entry: dict[str, Any] = {"sql_condition": level.sql, "label_for_charts": level.name}
        if position == 0:
            entry["is_null_level"] = True
        else:
            entry["m_probability"] = values.m
            entry["u_probability"] = values.u
        if level.fixed_weight is not None:
            entry["fix_m_probability"] = True
        levels.append(entry)
    return levels


def splink_settings(model: Model) -> dict[str, Any]:
    """Splink settings (a deduplication) whose comparisons and parameters are the model's."""
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": UNIQUE_ID,
        "probability_two_random_records_match": model.prior,
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": rule} for rule in PREDICTION_BLOCKING_RULES
        ],
        "comparisons": [
            {
                "output_column_name": comparison.name,
                "comparison_description": comparison.name,
                "comparison_levels": _level_settings(index, model),
            }
            for index, comparison in enumerate(COMPARISONS)
        ],
        "retain_intermediate_calculation_columns": True,
        "retain_matching_columns": True,
    }


def model_from_splink(
    document: dict[str, Any],
    *,
    version: str,
    untrained: frozenset[tuple[str, str]] = frozenset(),
    trained_on_records: int | None = None,
) -> Model:
    """Our model from Splink's saved settings, with untrained or extreme values made safe.

    A level that no matching pair fell in during training (``untrained`` names
    them as (comparison, level); Splink leaves their m as it was) keeps the
    comparison's default m and u: its u alone, from chance agreement in this
    data, would give it a weight it has not earned.
    No m is below :data:`M_FLOOR`: that training saw no error of a kind does
    not make the error impossible. A level with a fixed weight has its m set
    from its trained u; a level with a cap on its weight is capped by :class:`Model`.
    """
    by_name = {entry["output_column_name"]: entry for entry in document["comparisons"]}
    parameters = []
    for comparison in COMPARISONS:
        trained = by_name[comparison.name]["comparison_levels"]
        levels = []
        for level, entry in zip(comparison.levels, trained, strict=True):
            m, u = entry.get("m_probability"), entry.get("u_probability")
            if (
                (comparison.name, level.name) in untrained
                or not isinstance(m, int | float)
                or not isinstance(u, int | float)
            ):
                levels.append(LevelParameters(level.m, level.u))
                continue
            u = min(max(float(u), U_FLOOR), 1.0)
            m = min(max(float(m), M_FLOOR), 1.0)
            if level.fixed_weight is not None:
                m = u * 2.0**level.fixed_weight
            levels.append(LevelParameters(m, u))
        parameters.append(tuple(levels))
    return Model(
        version=version,
        probability_two_random_records_match=float(
            document["probability_two_random_records_match"]
        ),
        parameters=tuple(parameters),
        trained_on_records=trained_on_records,
    )
