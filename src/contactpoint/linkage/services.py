"""Linking incoming source records to children, incrementally, against the directory.

Candidates come from the directory's own blocking-key index (``linkage_block``):
an incoming record is compared only with the live source records that share one
of its keys, and with the records already linked earlier in the same chunk.
Each candidate child is scored by its best-matching record; the model's
thresholds decide: link, new child, or held for review (a provisional new child
in the council team's queue).

Shielding safety: a record that may belong to a shielded child (a candidate
scoring at or above the review threshold, or sharing an NHS number or UPN) never
makes that child's hidden details visible. It links to that very child, or it is
held for review on a provisional child that is shielded from the start. A child
shielded for a new identity (adoption, protection) is never linked to
automatically at all: the record is held for review, shielded, so that an old
identity's record cannot join the new one unseen.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from contactpoint.directory.models import Shield
from contactpoint.linkage.candidates import (
    CACHED_RECORDS,
    Candidate,
    RecordCache,
    candidates_by_key,
    unique,
)
from contactpoint.linkage.decisions import (
    DEFAULT_THRESHOLDS,
    Outcome,
    Thresholds,
    decide,
)
from contactpoint.linkage.index import (
    directory_size,
    forget_records,
    hashed_keys,
    index_rows,
    insert_keys,
    record_for_row,
)
from contactpoint.linkage.model import Model
from contactpoint.linkage.models import LinkOutcome
from contactpoint.linkage.records import LinkageRecord
from contactpoint.linkage.shields import (
    NEW_IDENTITY_REASONS,
    is_new_identity,
    open_shields,
    outranks,
)
from contactpoint.linkage.writing import LINKED_BY, SHIELD_REVIEW_DAYS, Writer
from contactpoint.provenance.reported import ChildRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from contactpoint.linkage.model import Scored
    from contactpoint.provenance.models import Source
    from contactpoint.settings import Settings

__all__ = [
    "CACHED_RECORDS",
    "LINKED_BY",
    "NEW_IDENTITY_REASONS",
    "SHIELD_REVIEW_DAYS",
    "Arrival",
    "DirectoryLinker",
    "LinkResult",
    "Linker",
    "default_linker",
    "index_records",
]


@dataclass(frozen=True, slots=True)
class Arrival:
    """A new source record (already inserted) and the row it holds."""

    source_record_id: int
    row: ChildRow
    content_hash: str | None = None  # the record's digest, when the caller has it


@dataclass(frozen=True, slots=True)
class LinkResult:
    child_id: int
    new_child: bool  # made for this record, holding its date of birth, gender and date of death
    held_for_review: bool = False


class Linker(Protocol):
    def link(
        self, session: Session, arrivals: Sequence[Arrival], *, source: Source
    ) -> list[LinkResult]:
        """A child for each arrival, in order; keys, decisions and review items written."""

    def rekey(self, session: Session, changed: Sequence[Arrival]) -> None:
        """Changed records' blocking keys follow their new values (their link stands)."""


def default_linker(settings: Settings | None = None) -> DirectoryLinker:
    """The linker as configured: the directory's model if one is set
    (``CONTACTPOINT_LINKAGE_MODEL_FILE``, from ``contactpoint linkage train``) or the one
    shipped in the package, and the thresholds from settings (or their defaults)."""
    if settings is None:
        return DirectoryLinker(Model.default())
    model_file = settings.linkage_model_file
    model = Model.default() if model_file is None else Model.load(model_file)
    thresholds = Thresholds(
        link=settings.linkage_link_threshold,
        review=settings.linkage_review_threshold,
        margin=settings.linkage_margin,
    )
    return DirectoryLinker(model, thresholds, cached_records=settings.linkage_cached_records)


@dataclass(slots=True)
class _Chunk:
    """What this chunk has linked so far, so that later arrivals can match earlier ones."""

    by_key: dict[int, list[Candidate]] = field(default_factory=lambda: defaultdict(list))


class DirectoryLinker:
    """The product's linker: the trained model over the directory's blocking keys."""

    def __init__(
        self,
        model: Model,
        thresholds: Thresholds | None = None,
        *,
        cached_records: int = CACHED_RECORDS,
    ) -> None:
        self.model = model
        self._sized: Model | None = None  # the model with its prior for this directory's size
        self.thresholds = thresholds if thresholds is not None else DEFAULT_THRESHOLDS
        self._records = RecordCache(cached_records)

    @property
    def cached_records(self) -> int:
        """How many built candidate records this linker keeps at most."""
        return self._records.size

    def link(
        self, session: Session, arrivals: Sequence[Arrival], *, source: Source
    ) -> list[LinkResult]:
        records = [record_for_row(arrival.row) for arrival in arrivals]
        keys = [hashed_keys(record) for record in records]
        session.flush()  # the candidate queries below go to the connection: no autoflush
        held = candidates_by_key(session, set().union(*keys) if keys else set(), self._records)
        shielded = open_shields(
            session, children={c.child_id for found in held.values() for c in found}
        )
        chunk = _Chunk()
        writer = Writer(session, source=source, model_version=self.model.version)
        if self._sized is None:
            self._sized = self.model.for_records(directory_size(session, arrivals=len(arrivals)))
        results = []
        for arrival, record, record_keys in zip(arrivals, records, keys, strict=True):
            candidates = unique(record_keys, held, chunk.by_key)
            result = self._one(writer, arrival, record, candidates, shielded)
            results.append(result)
            linked = Candidate(arrival.source_record_id, result.child_id, record)
            for key in record_keys:
                chunk.by_key[key].append(linked)
            writer.keys(arrival.source_record_id, record_keys)
            self._records.put(arrival.source_record_id, arrival.content_hash, record)
        ids = writer.flush()
        return [
            LinkResult(ids.get(r.child_id, r.child_id), r.new_child, r.held_for_review)
            for r in results
        ]

    def _one(
        self,
        writer: Writer,
        arrival: Arrival,
        record: LinkageRecord,
        candidates: list[Candidate],
        shielded: dict[int, Shield],
    ) -> LinkResult:
        best: dict[int, Scored] = {}
        every: dict[int, list[Scored]] = defaultdict(list)
        for candidate in candidates:
            scored = (self._sized or self.model).score(record, candidate.record)
            every[candidate.child_id].append(scored)
            held = best.get(candidate.child_id)
            if held is None or scored.match_weight > held.match_weight:
                best[candidate.child_id] = scored
        ranked = sorted(best.items(), key=lambda item: item[1].match_weight, reverse=True)
        top = ranked[0] if ranked else None
        runner_up = ranked[1][1] if len(ranked) > 1 else None
        sharing = _sharing_a_number(record, candidates)
        outcome = decide(
            None if top is None else top[1],
            runner_up,
            thresholds=self.thresholds,
            best_child=() if top is None else every[top[0]],
            shares_number=bool(sharing),
        )
        # Shielded children this record may belong to (a review score, or a shared number).
        may = {child for child, scored in ranked if scored.match_weight >= self.thresholds.review}
        at_risk = {child for child in may | sharing if child in shielded}
        if outcome is Outcome.LINK and top is not None:
            if not (at_risk - {top[0]}) and not _new_identity(shielded.get(top[0])):
                writer.decision(arrival, top[0], LinkOutcome.LINKED, top[1])
                return LinkResult(top[0], new_child=False)
            outcome = Outcome.REVIEW
        if outcome is Outcome.NEW_CHILD and at_risk:
            outcome = Outcome.REVIEW  # it may belong to a shielded child: a person decides
        if outcome is Outcome.REVIEW and ranked:
            chosen = self._compared_with(ranked, at_risk, sharing)
            scored = best[chosen]
            child_id = writer.new_child(arrival.row, shield=_strongest(at_risk, shielded))
            writer.decision(arrival, child_id, LinkOutcome.HELD_FOR_REVIEW, scored)
            writer.review(arrival, child_id, candidate_child_id=chosen, weight=scored.match_weight)
            return LinkResult(child_id, new_child=True, held_for_review=True)
        child_id = writer.new_child(arrival.row, shield=None)
        writer.decision(arrival, child_id, LinkOutcome.NEW_CHILD, None)
        return LinkResult(child_id, new_child=True)

    def _compared_with(
        self, ranked: list[tuple[int, Scored]], at_risk: set[int], sharing: set[int]
    ) -> int:
        """The candidate child a held record is shown beside: one it may belong to that is
        shielded, else the best if it scored in review, else one sharing its number."""
        for child, _ in ranked:
            if child in at_risk:
                return child
        best_child, best = ranked[0]
        if best.match_weight >= self.thresholds.review:
            return best_child
        return next((child for child, _ in ranked if child in sharing), best_child)

    def rekey(self, session: Session, changed: Sequence[Arrival]) -> None:
        forget_records(session, [arrival.source_record_id for arrival in changed])
        index_records(session, changed)


def index_records(session: Session, records: Sequence[Arrival]) -> None:
    """Put these records' blocking keys in the index, so later records find them."""
    insert_keys(
        session,
        index_rows((arrival.source_record_id, record_for_row(arrival.row)) for arrival in records),
    )


def _new_identity(shield: Shield | None) -> bool:
    return shield is not None and is_new_identity(shield.reason)


def _sharing_a_number(record: LinkageRecord, candidates: Iterable[Candidate]) -> set[int]:
    """The candidate children one of whose records has this record's NHS number or UPN."""
    return {c.child_id for c in candidates if record.shares_a_number(c.record)}


def _strongest(children: set[int], shielded: dict[int, Shield]) -> Shield | None:
    """The shield a held record's provisional child takes from the shielded children it may
    belong to: a new identity's before any other, else the first child's."""
    chosen: Shield | None = None
    for child in sorted(children):
        if outranks(shielded[child].reason, None if chosen is None else chosen.reason):
            chosen = shielded[child]
    return chosen
