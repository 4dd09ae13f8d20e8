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

import datetime as dt
import functools
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Select, insert, select

from contactpoint.directory.models import Child, GpRegistration, SchoolEnrolment, Shield
from contactpoint.directory.services import new_contactpoint_ids
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
    record_from_payload,
)
from contactpoint.linkage.model import Model
from contactpoint.linkage.models import LinkageKey, LinkDecision, LinkOutcome, ReviewItem
from contactpoint.linkage.records import LinkageRecord
from contactpoint.linkage.shields import (
    NEW_IDENTITY_REASONS,
    is_new_identity,
    open_shields,
    outranks,
)
from contactpoint.organisations.models import Organisation, OrganisationKind
from contactpoint.provenance.models import Feed, SourceRecord, SourceRecordStatus
from contactpoint.provenance.reported import ChildRow
from contactpoint.storage.models import table_of
from contactpoint.storage.queries import listed, one_of_named, reserve_ids

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

LINKED_BY = "linkage"
SHIELD_REVIEW_DAYS = 90


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


def _councils_of_children(session: Session, child_ids: set[int]) -> dict[int, int]:
    """The council of each child's school, or else of its GP practice."""
    found: dict[int, int] = {}
    for table, organisation in ((GpRegistration, GpRegistration.practice_id),
                                (SchoolEnrolment, SchoolEnrolment.school_id)):  # fmt: skip
        statement = (
            select(table.child_id, Organisation.council_id)
            .join(Organisation, Organisation.id == organisation)
            .where(table.child_id.in_(child_ids), Organisation.council_id.is_not(None))
        )
        found.update({child: council for child, council in session.execute(statement) if council})
    return found


def _councils_of_codes(session: Session, rows: Sequence[ChildRow]) -> dict[str, int]:
    """The council of each school (URN) and GP practice (ODS code) these rows name."""
    codes = {code for row in rows for code in (row.school_urn, row.gp_practice_code) if code}
    if not codes:
        return {}
    statement = select(Organisation.code, Organisation.council_id).where(
        Organisation.kind.in_([OrganisationKind.SCHOOL, OrganisationKind.GP_PRACTICE]),
        Organisation.code.in_(codes),
        Organisation.council_id.is_not(None),
    )
    return {code: council for code, council in session.execute(statement) if code and council}


@dataclass(slots=True)
class _Candidate:
    source_record_id: int
    child_id: int
    record: LinkageRecord


@dataclass(slots=True)
class _Chunk:
    """What this chunk has linked so far, so that later arrivals can match earlier ones."""

    by_key: dict[int, list[_Candidate]] = field(default_factory=lambda: defaultdict(list))


CACHED_RECORDS = 100_000


class _RecordCache:
    """Linkage records already built, by source record id, while their content is the same.

    Building a candidate's record (its payload read, its names normalised) costs
    more than scoring it, and a load meets the same candidates chunk after chunk,
    and its own earlier records most of all. An entry is used only while the
    record's content hash is unchanged; the quarter least recently used goes
    when it is full, so memory stays bounded however large the load.
    """

    def __init__(self, size: int = CACHED_RECORDS) -> None:
        self.size = size
        self._held: dict[int, tuple[str, LinkageRecord]] = {}

    def get(self, source_record_id: int, content_hash: str | None) -> LinkageRecord | None:
        held = self._held.get(source_record_id)
        if held is None or content_hash is None or held[0] != content_hash:
            return None
        self._held[source_record_id] = self._held.pop(source_record_id)  # used: kept longest
        return held[1]

    def holds_none(self, source_record_ids: Iterable[int]) -> bool:
        """Whether no record of these ids is held (whatever its content hash)."""
        return self._held.keys().isdisjoint(source_record_ids)

    def put(self, source_record_id: int, content_hash: str | None, record: LinkageRecord) -> None:
        if content_hash is None or self.size == 0:
            return
        if len(self._held) >= self.size:
            for oldest in list(islice(self._held, max(1, self.size // 4))):
                del self._held[oldest]
        self._held[source_record_id] = (content_hash, record)


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
        self._records = _RecordCache(cached_records)

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
        held = _candidates(session, set().union(*keys) if keys else set(), self._records)
        shielded = open_shields(
            session, children={c.child_id for found in held.values() for c in found}
        )
        chunk = _Chunk()
        writer = _Writer(session, source=source, model_version=self.model.version)
        if self._sized is None:
            self._sized = self.model.for_records(directory_size(session, arrivals=len(arrivals)))
        results = []
        for arrival, record, record_keys in zip(arrivals, records, keys, strict=True):
            candidates = _unique(record_keys, held, chunk.by_key)
            result = self._one(writer, arrival, record, candidates, shielded)
            results.append(result)
            linked = _Candidate(arrival.source_record_id, result.child_id, record)
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
        writer: _Writer,
        arrival: Arrival,
        record: LinkageRecord,
        candidates: list[_Candidate],
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


def _sharing_a_number(record: LinkageRecord, candidates: Iterable[_Candidate]) -> set[int]:
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


def _unique(keys: Iterable[int], *indexes: Mapping[int, list[_Candidate]]) -> list[_Candidate]:
    """Each record found under any of these keys in any of these indexes, once."""
    seen: dict[int, _Candidate] = {}
    for index in indexes:
        for key in keys:
            for candidate in index.get(key, ()):
                seen.setdefault(candidate.source_record_id, candidate)
    return list(seen.values())


def _candidates(
    session: Session, keys: set[int], cache: _RecordCache
) -> dict[int, list[_Candidate]]:
    """The live child records that share each key, with their linkage records.

    This query and those of :func:`_live_records` go to the connection, not the
    session: they return plain columns, which need none of the ORM's result
    handling (about a sixth of the samples of a load at a million children,
    SQLite's reading of the rows included). The caller flushes first.
    """
    if not keys:
        return {}
    connection = session.connection()
    dialect = connection.dialect.name
    pairs = list(connection.execute(_sharing_keys(dialect), {"keys": listed(dialect, keys)}))
    records = _live_records(session, {record_id for _, record_id in pairs}, cache)
    found: dict[int, list[_Candidate]] = defaultdict(list)
    for key, record_id in pairs:
        if record_id in records:
            found[key].append(records[record_id])
    return found


def _live_records(session: Session, ids: set[int], cache: _RecordCache) -> dict[int, _Candidate]:
    """These source records, where live and linked, each with its linkage record.

    A record built before (same content hash) comes from the cache; the payloads
    of the others are read and built, and kept. When the cache holds none of them
    (a new linker: each command and each upload makes one), the payloads come with
    the first query, one statement fewer.
    """
    if not ids:
        return {}
    connection = session.connection()
    dialect = connection.dialect.name
    if cache.holds_none(ids):
        rows = connection.execute(_live_linked_payloads(dialect), {"ids": listed(dialect, ids)})
        return {
            record_id: _built(cache, record_id, child_id, digest, text)
            for record_id, child_id, digest, text in rows
            if child_id is not None and text is not None
        }
    records: dict[int, _Candidate] = {}
    unbuilt: dict[int, tuple[int, str | None]] = {}
    for record_id, child_id, digest in connection.execute(
        _live_linked(dialect), {"ids": listed(dialect, ids)}
    ):
        if child_id is None:  # excluded by the query; says so to the type checker
            continue
        record = cache.get(record_id, digest)
        if record is None:
            unbuilt[record_id] = (child_id, digest)
        else:
            records[record_id] = _Candidate(record_id, child_id, record)
    if unbuilt:
        payloads = connection.execute(_payloads(dialect), {"ids": listed(dialect, unbuilt)})
        for record_id, text in payloads:
            if text is not None:
                child_id, digest = unbuilt[record_id]
                records[record_id] = _built(cache, record_id, child_id, digest, text)
    return records


def _built(
    cache: _RecordCache, record_id: int, child_id: int, digest: str | None, payload: str
) -> _Candidate:
    """A candidate whose linkage record is built from its payload, and kept."""
    record = record_from_payload(payload)
    cache.put(record_id, digest, record)
    return _Candidate(record_id, child_id, record)


# The candidate lookup's statements, built once for each database (see ``one_of_named``).


@functools.cache
def _sharing_keys(dialect: str) -> Select[int, int]:
    return select(LinkageKey.key_hash, LinkageKey.source_record_id).where(
        one_of_named(dialect, LinkageKey.key_hash, "keys")
    )


@functools.cache
def _live_linked(dialect: str) -> Select[int, int | None, str | None]:
    return select(SourceRecord.id, SourceRecord.child_id, SourceRecord.content_hash).where(
        one_of_named(dialect, SourceRecord.id, "ids"),
        SourceRecord.status == SourceRecordStatus.LIVE,
        SourceRecord.feed == Feed.CHILDREN,
        SourceRecord.child_id.is_not(None),
    )


@functools.cache
def _live_linked_payloads(dialect: str) -> Select[int, int | None, str | None, str | None]:
    return _live_linked(dialect).add_columns(SourceRecord.payload)


@functools.cache
def _payloads(dialect: str) -> Select[int, str | None]:
    return select(SourceRecord.id, SourceRecord.payload).where(
        one_of_named(dialect, SourceRecord.id, "ids")
    )


class _Writer:
    """Collects a chunk's keys and decisions and writes them in bulk."""

    def __init__(self, session: Session, *, source: Source, model_version: str) -> None:
        self.session, self.source, self.model_version = session, source, model_version
        self._keys: list[tuple[int, int]] = []
        self._decisions: list[dict[str, object]] = []
        self._reviews: list[dict[str, object]] = []
        self._review_rows: list[ChildRow] = []  # in step with _reviews
        self._children: list[tuple[ChildRow, Shield | None]] = []
        self.now = dt.datetime.now(dt.UTC)

    def keys(self, source_record_id: int, keys: Iterable[int]) -> None:
        self._keys.extend((key, source_record_id) for key in keys)

    def new_child(self, row: ChildRow, *, shield: Shield | None) -> int:
        """A provisional id (negative) for a child made when the chunk is written."""
        self._children.append((row, shield))
        return -len(self._children)

    def decision(
        self, arrival: Arrival, child_id: int, outcome: LinkOutcome, scored: Scored | None
    ) -> None:
        weight = None if scored is None else scored.match_weight
        explanation = None if scored is None else _explanation_text(scored.model, scored.levels)
        self._decisions.append({
            "source_record_id": arrival.source_record_id, "child_id": child_id,
            "outcome": outcome, "match_weight": weight, "model_version": self.model_version,
            "explanation": explanation, "decided_at": self.now, "decided_by": LINKED_BY,
        })  # fmt: skip

    def review(
        self, arrival: Arrival, child_id: int, *, candidate_child_id: int, weight: float
    ) -> None:
        organisation = self.source.organisation
        self._reviews.append({
            "source_record_id": arrival.source_record_id, "provisional_child_id": child_id,
            "candidate_child_id": candidate_child_id, "match_weight": weight,
            "council_id": None if organisation is None else organisation.own_council_id,
            "created_at": self.now,
        })  # fmt: skip
        self._review_rows.append(arrival.row)

    def _place_reviews(self) -> None:
        """A national source's review items go to the council of the child's school or GP.

        A local source's items go to its own council; a national source has none, so
        the item goes where the candidate child is schooled or registered, or else
        where the incoming record says the child is (its school or GP practice).
        """
        unplaced = [item for item in self._reviews if item["council_id"] is None]
        if not unplaced:
            return
        by_child = _councils_of_children(
            self.session, {int(str(item["candidate_child_id"])) for item in unplaced}
        )
        by_code = _councils_of_codes(self.session, self._review_rows)
        for item, row in zip(self._reviews, self._review_rows, strict=True):
            if item["council_id"] is None:
                item["council_id"] = by_child.get(int(str(item["candidate_child_id"]))) or (
                    by_code.get(row.school_urn or "") or by_code.get(row.gp_practice_code or "")
                )

    def flush(self) -> dict[int, int]:
        """Write the chunk; the real id of each provisional child id."""
        ids = self._create_children()
        children = ("child_id", "provisional_child_id", "candidate_child_id")
        for row in (*self._decisions, *self._reviews):
            for column in children:
                if column in row:
                    row[column] = ids.get(int(str(row[column])), row[column])
        self._place_reviews()
        self._review_rows.clear()
        insert_keys(self.session, self._keys)
        self._keys.clear()
        for table, rows in ((LinkDecision, self._decisions), (ReviewItem, self._reviews)):
            if rows:
                self.session.execute(insert(table_of(table)), rows)
                rows.clear()
        return ids

    def _create_children(self) -> dict[int, int]:
        if not self._children:
            return {}
        numbers = new_contactpoint_ids(self.session, len(self._children))
        # Ids taken first: RETURNING in order would insert row by row on SQLite.
        created = reserve_ids(self.session, table_of(Child), len(self._children))
        self.session.execute(
            insert(table_of(Child)),
            [{"id": child_id, "contactpoint_id": number, "date_of_birth": row.date_of_birth,
              "gender": row.gender, "date_of_death": row.date_of_death,
              "created_at": self.now, "updated_at": self.now}
             for child_id, number, (row, _) in zip(created, numbers, self._children, strict=True)],
        )  # fmt: skip
        ids = {-(position + 1): child_id for position, child_id in enumerate(created)}
        today = self.now.date()
        shields = [
            {"child_id": child_id, "council_id": shield.council_id, "reason": shield.reason,
             "started_on": today, "review_on": today + dt.timedelta(days=SHIELD_REVIEW_DAYS),
             "created_at": self.now}
            for child_id, (_, shield) in zip(created, self._children, strict=True)
            if shield is not None
        ]  # fmt: skip
        if shields:
            self.session.execute(insert(table_of(Shield)), shields)
        self._children.clear()
        return ids


@functools.lru_cache(maxsize=1 << 14)
def _explanation_text(model: Model, levels: tuple[int, ...]) -> str:
    """A decision's explanation as stored (JSON): made once for each model and pattern of
    levels, which repeat from decision to decision."""
    return json.dumps({
        "prior": model.prior_weight,
        "comparisons": [
            {"comparison": part.comparison, "level": part.level, "weight": part.weight}
            for part in model.explain(levels)
        ],
    })  # fmt: skip
