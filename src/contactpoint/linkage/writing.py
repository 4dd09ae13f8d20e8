"""Writing a linked chunk: its new children, decisions, review items and blocking keys.

The linker decides record by record; the writer collects what it decided and
writes each kind of row in bulk when the chunk is done, giving the children made
for it provisional (negative) ids until then.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import insert, select

from contactpoint.directory.models import Child, GpRegistration, SchoolEnrolment, Shield
from contactpoint.directory.services import new_contactpoint_ids
from contactpoint.linkage.index import insert_keys
from contactpoint.linkage.model import Model
from contactpoint.linkage.models import LinkDecision, LinkOutcome, ReviewItem
from contactpoint.organisations.models import Organisation, OrganisationKind
from contactpoint.provenance.reported import ChildRow
from contactpoint.storage.models import table_of
from contactpoint.storage.queries import reserve_ids

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from contactpoint.linkage.model import Scored
    from contactpoint.linkage.services import Arrival
    from contactpoint.provenance.models import Source

__all__ = ["LINKED_BY", "SHIELD_REVIEW_DAYS", "Writer"]

LINKED_BY = "linkage"
SHIELD_REVIEW_DAYS = 90


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


class Writer:
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
