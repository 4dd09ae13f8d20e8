"""Probabilistic record linkage (Fellegi-Sunter): which child an incoming source record is.

Pure domain code, with no database access: the loader (``contactpoint.feeds``)
looks candidates up by :func:`blocking_keys`, scores each with
:meth:`Model.score`, and lets :func:`decide` choose between linking, a new
child and review. Splink trains the model (``training``); it never runs while
scoring.
"""

from contactpoint.linkage.decisions import (
    DEFAULT_THRESHOLDS,
    Outcome,
    Thresholds,
    decide,
    may_be_twins,
)
from contactpoint.linkage.model import Evidence, Model, ModelFileError, Scored, probability_of
from contactpoint.linkage.records import (
    LinkageRecord,
    blocking_keys,
    candidate_keys,
    linkage_record,
)

__all__ = [
    "DEFAULT_THRESHOLDS",
    "Evidence",
    "LinkageRecord",
    "Model",
    "ModelFileError",
    "Outcome",
    "Scored",
    "Thresholds",
    "blocking_keys",
    "candidate_keys",
    "decide",
    "linkage_record",
    "may_be_twins",
    "probability_of",
]
