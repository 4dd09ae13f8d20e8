"""The directory's own records for linkage: retraining on them, and a batch re-link report.

A load never retrains: ``contactpoint linkage train`` makes a new model from the
live child records, and the operator chooses to use it
(``CONTACTPOINT_LINKAGE_MODEL_FILE``). The batch re-link reports where the
loader's own rules, with the configured model and thresholds, would decide
differently from the links in place. It changes nothing.

The rule: each live record is decided again as the loader would decide it if it
arrived now. It is scored against every other live record that shares a
blocking key, each child by its best record, and :func:`~.decisions.decide`
chooses with the thresholds, the margin and the twin guard, just as a load does.

- ``would_merge``: the loader would link it automatically to another child.
- ``would_review``: the loader would hold it for a person beside a child (another
  child, or its own, to which it would no longer link automatically): the child the
  loader would set it beside, a shielded one it may belong to first.
- ``would_split``: the loader would make it a new child, though its child holds
  other records.

A person's decision stands, as it does for a load, which never decides a record
again: a child a person has kept apart from the record's child (a review item
kept separate, or records split apart) is no candidate for it at all; a pair
already waiting in the review queue is not reported ``would_review``; and the
records of a child a person has merged are not reported ``would_review`` or
``would_split`` within it. Each pair of records is reported once, an automatic
difference before ``would_review``.

Shields, as the loader treats them: a link the loader would not make because
another child the record may belong to is shielded (one it scores at or above the
review threshold with, or shares an NHS number or UPN with) is reported
``would_review``, not ``would_merge``, and a record held beside children is reported
beside the one the loader would hold it beside: a shielded child it may belong to,
before the best-scoring one. And no pair is reported in which either
child is shielded for a new identity (adoption, protection under a new name):
the report is a file an operator keeps, and it must never set an old identity
beside the new one (the loader holds such records for a person, shielded).

Scoring (``engine``): by default Splink 5 scores the pairs, on DuckDB in this
process (:func:`~.splink_models.predict_pairs`). The live records' feature
table, with each record's blocking keys as a list
(:func:`~.splink_models.relink_table`), goes to a ``Linker`` with the model's
own m and u and its prior for the directory's size
(:func:`~.splink_models.relink_settings`: :func:`~.splink_models.splink_settings`
with one blocking rule), so nothing is trained; ``predict`` explodes the key
lists and scores each pair sharing a key once: the very pairs the loader would
score, not those of ``PREDICTION_BLOCKING_RULES``. Splink's weights, and the
levels its ``gamma_`` columns give (for the twin guard), go to the rule above.
``Engine.PYTHON`` scores the same pairs with :meth:`~.model.Model.score`, the
loader's own scorer, for comparison (``contactpoint linkage relink --engine
python``): the levels are the same, the weights differ by under 1e-9 (Splink
does not round them as the model does), and the reports are the same
(``tests/linkage/test_relink_engines.py``). A child's records that score alike
are taken in the records' order, whichever order the pairs came in.

National size (documented, not built): the same settings run on Spark. Make
the table with :func:`~.splink_models.relink_table` (or the same columns in
Spark), register it with Splink's ``SparkAPI`` in place of ``DuckDBAPI``, give
``Linker`` :func:`~.splink_models.relink_settings` and write ``predict()``'s
``unique_id_l``, ``unique_id_r``, ``match_weight`` and ``gamma_`` columns out;
this rule then decides over those pairs. Before that can run, the comparisons'
SQL, written for DuckDB, needs Spark forms: ``SparkAPI`` registers Splink's
``jaro_winkler`` and ``damerau_levenshtein`` (not ``jaro_winkler_similarity``),
Spark has no ``hamming``, and ``list_has_any`` and ``list_contains`` are
``arrays_overlap`` and ``array_contains`` there; the levels and pairs must then
be checked against DuckDB's as the test above does. And this rule holds every
pair of the directory in one process: at national size it would have to
decide over the pairs in parts.
"""

from __future__ import annotations

import csv
import enum
from collections import defaultdict
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Final

from sqlalchemy import Select, select
from sqlalchemy.orm import aliased

from contactpoint.directory.models import Child
from contactpoint.linkage.decisions import DEFAULT_THRESHOLDS, Outcome, Thresholds, decide
from contactpoint.linkage.index import record_for_row
from contactpoint.linkage.model import Scored
from contactpoint.linkage.models import LinkDecision, LinkOutcome, ReviewItem, ReviewStatus
from contactpoint.linkage.records import LinkageRecord, blocking_keys
from contactpoint.linkage.shields import is_new_identity, open_shields, outranks
from contactpoint.linkage.splink_models import predict_pairs
from contactpoint.provenance.models import Feed, Source, SourceRecord, SourceRecordStatus
from contactpoint.provenance.reported import child_from_payload
from contactpoint.vocabulary import ShieldReason

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy.orm import Session

    from contactpoint.linkage.model import Model

REPORT_COLUMNS: Final = (
    "difference", "source_a", "record_id_a", "child_id_a", "source_b", "record_id_b",
    "child_id_b", "match_weight",
)  # fmt: skip
_BATCH: Final = 5000


class Engine(enum.StrEnum):
    """What scores the pairs: Splink 5 on DuckDB, or the loader's own Python scorer."""

    SPLINK = "splink"
    PYTHON = "python"


class Difference(enum.StrEnum):
    WOULD_MERGE = "would_merge"
    WOULD_REVIEW = "would_review"
    WOULD_SPLIT = "would_split"


# Reported first when both records of a pair differ: the loader's automatic decisions.
_AUTOMATIC: Final = frozenset({Difference.WOULD_MERGE, Difference.WOULD_SPLIT})


@dataclass(frozen=True, slots=True)
class HeldRecord:
    source: str
    record_key: str
    contactpoint_id: str
    record: LinkageRecord
    child_id: int


def live_records(session: Session) -> Iterator[HeldRecord]:
    """Every live child source record, with the child it is linked to now."""
    statement = (
        select(
            Source.name,
            SourceRecord.record_key,
            Child.contactpoint_id,
            SourceRecord.payload,
            Child.id,
        )
        .join(Source, Source.id == SourceRecord.source_id)
        .join(Child, Child.id == SourceRecord.child_id)
        .where(
            SourceRecord.feed == Feed.CHILDREN,
            SourceRecord.status == SourceRecordStatus.LIVE,
            SourceRecord.payload.is_not(None),
        )
        .order_by(SourceRecord.id)
        .execution_options(yield_per=_BATCH)
    )
    for source, key, contactpoint_id, text, child_id in session.execute(statement):
        if text is None:  # excluded by the query; here for the type checker
            continue
        record = record_for_row(child_from_payload(text))
        yield HeldRecord(source, key, contactpoint_id, record, child_id)


@dataclass(frozen=True, slots=True)
class RelinkSummary:
    records: int
    pairs_scored: int
    would_merge: int
    would_review: int
    would_split: int


@dataclass(slots=True)
class PeoplesDecisions:
    """What people have decided about children, by the ids of the children standing now."""

    kept_apart: set[frozenset[int]] = field(default_factory=set)  # kept separate, split apart
    queued: set[frozenset[int]] = field(default_factory=set)  # an open review item
    merged: set[int] = field(default_factory=set)  # a person merged another child into it
    shielded: dict[int, ShieldReason] = field(default_factory=dict)  # open shields' reasons


def peoples_decisions(session: Session) -> PeoplesDecisions:
    """The review queue's items and the splits, by the children standing now."""
    standing = _standing_children(session)

    def now(child: int) -> int:
        return standing.get(child, child)

    decided = PeoplesDecisions()
    items = select(ReviewItem.provisional_child_id, ReviewItem.candidate_child_id,
                   ReviewItem.status)  # fmt: skip
    for provisional, candidate, status in session.execute(items):
        pair = frozenset((now(provisional), now(candidate)))
        if status is ReviewStatus.MERGED:
            decided.merged.add(now(candidate))
        elif len(pair) > 1:
            (decided.queued if status is ReviewStatus.OPEN else decided.kept_apart).add(pair)
    for split_to, split_from in session.execute(_splits()):
        pair = frozenset((now(split_to), now(split_from)))
        if len(pair) > 1:
            decided.kept_apart.add(pair)
    for child, shield in open_shields(session, children=None).items():
        # A merged-away child's shield shields the survivor; a new identity's wins.
        if outranks(shield.reason, decided.shielded.get(now(child))):
            decided.shielded[now(child)] = shield.reason
    return decided


def _standing_children(session: Session) -> dict[int, int]:
    """Each merged-away child's id to the child it was merged into (merges collapse chains)."""
    merged = select(Child.id, Child.merged_into_id).where(Child.merged_into_id.is_not(None))
    return {child: into for child, into in session.execute(merged) if into is not None}


def _splits() -> Select[int, int]:
    """Each split record's child, and the children its other decisions name: those it was
    split from (a split moves the record, not its earlier decisions)."""
    split = aliased(LinkDecision)
    return (
        select(split.child_id, LinkDecision.child_id)
        .join(LinkDecision, LinkDecision.source_record_id == split.source_record_id)
        .where(split.outcome == LinkOutcome.SPLIT, LinkDecision.child_id != split.child_id)
    )


def relink_report(
    session: Session,
    stream: IO[str],
    *,
    model: Model,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    engine: Engine = Engine.SPLINK,
) -> RelinkSummary:
    """Write the differences as CSV (REPORT_COLUMNS); nothing in the directory changes."""
    held = list(live_records(session))
    scores = _pair_scores(held, model.for_records(len(held)), engine=engine)
    relink = _Relink(held, scores, thresholds, peoples_decisions(session))
    found: dict[tuple[int, int], tuple[Difference, float | None]] = {}
    for position in range(len(held)):
        difference = relink.difference(position)
        if difference is None:
            continue
        kind, other, weight = difference
        pair = (min(position, other), max(position, other))
        if pair not in found or (kind in _AUTOMATIC and found[pair][0] not in _AUTOMATIC):
            found[pair] = (kind, weight)
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    order = list(Difference)
    for (left, right), (kind, weight) in sorted(
        found.items(), key=lambda item: (order.index(item[1][0]), item[0])
    ):
        writer.writerow(_row(kind, held[left], held[right], weight))
    counts = {kind: sum(1 for k, _ in found.values() if k is kind) for kind in Difference}
    return RelinkSummary(
        records=len(held),
        pairs_scored=relink.pairs_scored,
        would_merge=counts[Difference.WOULD_MERGE],
        would_review=counts[Difference.WOULD_REVIEW],
        would_split=counts[Difference.WOULD_SPLIT],
    )


def _row(kind: str, left: HeldRecord, right: HeldRecord, weight: float | None) -> list[str]:
    shown = "" if weight is None else f"{weight:.3f}"
    return [kind, left.source, left.record_key, left.contactpoint_id,
            right.source, right.record_key, right.contactpoint_id, shown]  # fmt: skip


def _pair_scores(
    held: list[HeldRecord], model: Model, *, engine: Engine
) -> list[dict[int, Scored]]:
    """Each record's score with every other sharing a blocking key, by position; one score
    a pair, the same both ways (the comparisons are symmetric)."""
    scores: list[dict[int, Scored]] = [{} for _ in held]
    for left, right, scored in _scored_pairs(held, model, engine):
        scores[left][right] = scores[right][left] = scored
    return scores


def _scored_pairs(
    held: list[HeldRecord], model: Model, engine: Engine
) -> Iterator[tuple[int, int, Scored]]:
    if engine is Engine.SPLINK:
        for pair in predict_pairs([item.record for item in held], model):
            scored = Scored(pair.match_weight, model.prior_weight, pair.levels, model)
            yield pair.left, pair.right, scored
        return
    blocks: dict[str, list[int]] = defaultdict(list)
    for position, item in enumerate(held):
        for key in blocking_keys(item.record):
            blocks[key].append(position)
    seen: set[tuple[int, int]] = set()
    for members in blocks.values():
        for index, left in enumerate(members):
            for right in members[index + 1 :]:
                if (left, right) not in seen:
                    seen.add((left, right))
                    yield left, right, model.score(held[left].record, held[right].record)


@dataclass(frozen=True, slots=True)
class _Candidates:
    """One record's candidates: their weights, each child's best record, children best first."""

    weights: dict[int, float]
    best_record: dict[int, int]
    ranked: list[int]

    def of_child(self, child: int, held: list[HeldRecord]) -> list[int]:
        return [other for other in self.weights if held[other].child_id == child]


class _Relink:
    """Every record's candidates, scored once a pair, and each record decided again."""

    def __init__(
        self,
        held: list[HeldRecord],
        scores: list[dict[int, Scored]],
        thresholds: Thresholds,
        decided: PeoplesDecisions,
    ) -> None:
        self.held, self.scores, self.thresholds, self.decided = held, scores, thresholds, decided
        self.by_child: dict[int, list[int]] = defaultdict(list)
        for position, item in enumerate(held):
            self.by_child[item.child_id].append(position)
        self.apart: dict[int, set[int]] = defaultdict(set)  # the children kept apart from each
        for pair in decided.kept_apart:
            for child in pair:
                self.apart[child] |= pair - {child}
        self.pairs_scored = sum(map(len, scores)) // 2

    def _score(self, incoming: int, candidate: int) -> Scored:
        return self.scores[incoming][candidate]

    def difference(self, position: int) -> tuple[Difference, int, float | None] | None:
        """How the loader would decide this record now, where that differs: the kind of
        difference, the record it is reported beside, and their match weight."""
        found = self._candidates(position)
        difference = self._unshielded_difference(position, found)
        if difference is None:
            return None
        other_child = self.held[difference[1]].child_id
        new_identities = self.decided.shielded.keys() & {self.held[position].child_id, other_child}
        if any(is_new_identity(self.decided.shielded[c]) for c in new_identities):
            return None  # never set a new identity beside the old one, even in a report
        return difference

    def _unshielded_difference(
        self, position: int, found: _Candidates
    ) -> tuple[Difference, int, float | None] | None:
        own = self.held[position].child_id
        outcome = self._decide(position, found)
        if outcome is Outcome.LINK:
            if found.ranked[0] == own:
                return None
            top = found.best_record[found.ranked[0]]
            if not self._at_risk(position, found) - {found.ranked[0]}:
                return Difference.WOULD_MERGE, top, found.weights[top]
            outcome = Outcome.REVIEW  # as the loader: a shielded child it may belong to
        if outcome is Outcome.REVIEW:
            child = self._held_beside(position, found)
            if self._decided_by_a_person(own, child):
                return None
            other = found.best_record[child]
            return Difference.WOULD_REVIEW, other, found.weights[other]
        others = [other for other in self.by_child[own] if other != position]
        if not others or own in self.decided.merged:
            return None
        other = found.best_record.get(own, others[0])
        return Difference.WOULD_SPLIT, other, found.weights.get(other)

    def _at_risk(self, position: int, found: _Candidates) -> set[int]:
        """The shielded children this record may belong to: scoring at or above the review
        threshold, or holding a record that shares its NHS number or UPN (as the loader)."""
        record = self.held[position].record
        may = {
            self.held[other].child_id
            for other, weight in found.weights.items()
            if weight >= self.thresholds.review or record.shares_a_number(self.held[other].record)
        }
        return {child for child in may if child in self.decided.shielded}

    def _candidates(self, position: int) -> _Candidates:
        """The records scored with this one, but for those of children a person kept apart
        from its child. In the records' order, so that of a child's records that score alike
        the first is its best, whichever order the pairs were scored in."""
        apart = self.apart.get(self.held[position].child_id, set())
        weights = {
            other: weight
            for other, weight in sorted(self._weights(position))
            if self.held[other].child_id not in apart
        }
        best_record: dict[int, int] = {}
        for other, weight in weights.items():
            child = self.held[other].child_id
            if child not in best_record or weight > weights[best_record[child]]:
                best_record[child] = other
        # Best first; of equal children, the one whose record came first.
        ranked = sorted(best_record, key=lambda c: (-weights[best_record[c]], best_record[c]))
        return _Candidates(weights, best_record, ranked)

    def _weights(self, position: int) -> Iterator[tuple[int, float]]:
        for other, scored in self.scores[position].items():
            yield other, scored.match_weight

    def _decide(self, position: int, found: _Candidates) -> Outcome:
        """:func:`decide`, given what the loader gives it: the best child's every score."""
        record = self.held[position].record
        shares_number = any(record.shares_a_number(self.held[o].record) for o in found.weights)
        if not found.ranked:
            return decide(None, thresholds=self.thresholds, shares_number=shares_number)
        every = [
            self._score(position, other) for other in found.of_child(found.ranked[0], self.held)
        ]
        best = max(every, key=lambda scored: scored.match_weight)
        runner_up = (
            self._score(position, found.best_record[found.ranked[1]])
            if len(found.ranked) > 1
            else None
        )
        return decide(
            best,
            runner_up,
            thresholds=self.thresholds,
            best_child=every,
            shares_number=shares_number,
        )

    def _held_beside(self, position: int, found: _Candidates) -> int:
        """The child the loader shows a held record beside (``DirectoryLinker._compared_with``):
        the best-scoring shielded child it may belong to, else the best if it scored in
        review, else the best one sharing its NHS number or UPN."""
        at_risk = self._at_risk(position, found)
        shielded = next((child for child in found.ranked if child in at_risk), None)
        if shielded is not None:
            return shielded
        if found.weights[found.best_record[found.ranked[0]]] >= self.thresholds.review:
            return found.ranked[0]
        record = self.held[position].record
        return next(
            child
            for child in found.ranked
            if any(
                record.shares_a_number(self.held[other].record)
                for other in found.of_child(child, self.held)
            )
        )

    def _decided_by_a_person(self, own: int, child: int) -> bool:
        """Whether a person has the pair of children already: queued, or merged into one."""
        if child == own:
            return own in self.decided.merged
        return frozenset((own, child)) in self.decided.queued
