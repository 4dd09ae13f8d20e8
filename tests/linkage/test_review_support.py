"""A directory with records held for review, loaded through the feeds (no tests here).

Two sources of one council's area send the same girl with a mistyped date of
birth and another postcode, and no NHS number: the default model scores the pair
in the review band (above ``Thresholds.review``, below ``Thresholds.link``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from contactpoint.access.policy import Role, principal_for_user
from contactpoint.directory.models import Child
from contactpoint.feeds.sources import add_source
from contactpoint.linkage.models import ReviewItem
from contactpoint.linkage.review import SplitResult, split_child
from contactpoint.provenance.models import Source, SourceKind, SourceRecord
from feeds.feed_files import child_csv
from feeds.loads import OPERATOR, Loads

import factories

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    from contactpoint.access.policy import Principal

NO_IDENTIFIERS = {
    "nhs_number": "", "upn": "", "middle_names": "", "former_family_names": "",
    "carer_1_given_name": "", "carer_1_family_name": "", "carer_1_relationship": "",
    "carer_1_phone": "", "carer_1_email": "", "school_urn": "", "school_start_date": "",
    "gp_practice_code": "",
}  # fmt: skip
AMELIA = {**NO_IDENTIFIERS, "record_id": "H1", "given_name": "Amelia", "family_name": "Barton",
          "date_of_birth": "2014-07-21", "postcode": "OX5 9JP",
          "address_line_1": "100 School Grove"}  # fmt: skip
# The same girl as the school knows her: a mistyped day of birth, another address.
AMELIA_AT_SCHOOL = {**AMELIA, "record_id": "S1", "date_of_birth": "2014-07-24",
                    "postcode": "OX2 6GG", "address_line_1": "3 Other Road"}  # fmt: skip
OLIVER = {**NO_IDENTIFIERS, "record_id": "H2", "given_name": "Oliver", "family_name": "Hughes",
          "gender": "M", "date_of_birth": "2016-03-02", "postcode": "OX4 1AA",
          "address_line_1": "7 Mill Lane"}  # fmt: skip
OLIVER_AT_SCHOOL = {**OLIVER, "record_id": "S2", "date_of_birth": "2016-03-05",
                    "postcode": "OX3 7LD", "address_line_1": "9 High Street"}  # fmt: skip


class ReviewDirectory:
    """Loads in a fresh database whose sources belong to one council's area."""

    def __init__(self, engine: Engine, folder: Path) -> None:
        self.loads = Loads(engine, folder)
        self.sessions = self.loads.sessions
        with self.sessions() as session:
            council = factories.council(session)
            for name in ("health", "school"):
                organisation = factories.accredited_organisation(session, in_council=council)
                add_source(
                    session, by=OPERATOR, name=name, kind=SourceKind.LOCAL,
                    organisation=organisation,
                )  # fmt: skip
            team = factories.council_team(session, of=council)
            other_team = factories.council_team(session)
            self.council_id = council.id
            self.team_user_id, self.other_team_user_id = team.id, other_team.id
            self._principals = {
                user.id: principal_for_user(user, acting_role=Role.COUNCIL_TEAM)
                for user in (team, other_team)
            }
            session.commit()

    def load_pairs(self) -> list[int]:
        """Amelia and Oliver from health, then from school: two items, oldest first."""
        self.loads.load("health", child_csv(AMELIA, OLIVER))
        report = self.loads.load("school", child_csv(AMELIA_AT_SCHOOL, OLIVER_AT_SCHOOL))
        assert report.counts["held_for_review"] == 2, report.counts
        with self.sessions() as session:
            return list(session.scalars(select(ReviewItem.id).order_by(ReviewItem.id)))

    def principal(self, user_id: int | None = None) -> Principal:
        """A council team member of the sources' council (or the other council's, by id)."""
        return self._principals[user_id or self.team_user_id]

    def child_of(self, source: str, record_id: str) -> str:
        """The ContactPoint ID of the child a record is linked to."""
        with self.sessions() as session:
            return session.scalars(
                select(Child.contactpoint_id)
                .join(SourceRecord, SourceRecord.child_id == Child.id)
                .join(Source, Source.id == SourceRecord.source_id)
                .where(Source.name == source, SourceRecord.record_key == record_id)
            ).one()

    def split_school_record(self, session: Session, survivor: Child) -> tuple[int, SplitResult]:
        """Split the school record S1 off ``survivor`` by the council team: (its id, the result)."""
        school = session.scalars(
            select(SourceRecord.id).where(SourceRecord.record_key == "S1")
        ).one()
        result = split_child(
            session, by=self.principal(), contactpoint_id=survivor.contactpoint_id,
            source_record_ids=[school],
        )  # fmt: skip
        return school, result

    def links(self) -> dict[str, str]:
        return {f"{source}/{record}": child for source, record, child in self.loads.links()}
