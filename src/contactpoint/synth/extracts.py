"""Source extracts in the feed formats of ``feeds.md``, written as households stream past.

Each source has a writer that picks the children it knows from each household,
gives them record_ids in its own style, writes their rows (and now and then a
duplicate a little later in the file), their involvements, and the truth: which
person each record_id is.
"""

from __future__ import annotations

import csv
import datetime as dt
import heapq
import random
import string
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import IO, Any, Final

from contactpoint.synth import noise
from contactpoint.synth.population import (
    Child,
    Household,
    Involvement,
    Practitioner,
    ReferenceData,
    School,
    Service,
)
from contactpoint.synth.records import INVOLVEMENT_COLUMNS, RecordMaker, involvement_row
from contactpoint.synth.sources import (
    CHILD_BENEFIT,
    CHILD_BENEFIT_CLAIM_RATE,
    CHILD_BENEFIT_COMPULSORY_AGE,
    CHILD_BENEFIT_LAST_AGE,
    CHILD_BENEFIT_STUDENT_RATE,
    COUNCIL_SERVICE_TYPES,
    HEALTH,
    SCHOOL_CENSUS,
    SOCIAL_CARE,
    SourceProfile,
)
from contactpoint.vocabulary import CarerRelationship

TRUTH_COLUMNS: Final = ("source", "record_id", "person_id")
FILE_BUFFER_BYTES: Final = 1 << 20
DUPLICATE_DELAY_ROWS: Final = (20, 2000)  # a duplicate follows its original this many rows later


def open_csv(path: Path) -> tuple[IO[str], Any]:
    """A buffered UTF-8 file and an RFC 4180 writer for it."""
    handle = path.open("w", encoding="utf-8", newline="", buffering=FILE_BUFFER_BYTES)
    return handle, csv.writer(handle)


class TruthWriter:
    """truth.csv: which person each source record is about."""

    def __init__(self, path: Path) -> None:
        self._handle, self._writer = open_csv(path)
        self._writer.writerow(TRUTH_COLUMNS)

    def record(self, source: str, record_id: str, person_id: str) -> None:
        self._writer.writerow((source, record_id, person_id))

    def close(self) -> None:
        self._handle.close()


class SourceExtract:
    """One source's child feed and (if it sends one) involvement feed."""

    def __init__(
        self,
        profile: SourceProfile,
        directory: Path,
        *,
        seed: int,
        as_of: dt.date,
        reference: ReferenceData,
        truth: TruthWriter,
    ) -> None:
        self.profile = profile
        self.rng = random.Random(
            f"contactpoint-synth:{seed}:{as_of.isoformat()}:noise:{profile.name}"
        )
        self.as_of = as_of
        self._maker = RecordMaker(profile, self.rng, as_of=as_of)
        self._truth = truth
        self.reference = reference
        self._services: Mapping[str, Service] = reference.services_by_code()
        self._staff: Mapping[str, Practitioner] = reference.practitioners_by_id()
        self._children_file, self._children = open_csv(directory / f"{profile.name}.csv")
        self._children.writerow(profile.columns)
        self._involvements_file: IO[str] | None = None
        if profile.involvement_types:
            path = directory / f"{profile.name}_involvements.csv"
            self._involvements_file, self._involvement_writer = open_csv(path)
            self._involvement_writer.writerow(INVOLVEMENT_COLUMNS)
        # Duplicates waiting for their turn: (row number due, record_id, row, person_id).
        self._pending: list[tuple[int, str, list[str], str]] = []
        self.rows = 0
        self.duplicates = 0
        self.involvements = 0
        self._serial = 0

    @property
    def file_names(self) -> tuple[str, ...]:
        names: tuple[str, ...] = (f"{self.profile.name}.csv",)
        if self._involvements_file is not None:
            names = (*names, f"{self.profile.name}_involvements.csv")
        return names

    def add(self, household: Household) -> None:
        for child in self.members(household):
            record_id = self.record_id(child)
            self._write(self._maker.row(child, record_id), record_id, child.person_id)
            self._add_involvements(child, record_id)
            if self.rng.random() < noise.DUPLICATE_RECORD_RATE:
                self._hold_duplicate(child)
            self._release_due()

    def members(self, household: Household) -> list[Child]:
        """The household's children this source knows; sources override this."""
        return list(household.children)

    def record_id(self, child: Child) -> str:
        """A new record_id in this source's style; sources override this."""
        del child
        return self.next_serial()

    def duplicate_record_id(self, child: Child) -> str:
        """The record_id of a second record for a child the source already holds."""
        return self.record_id(child)

    def next_serial(self) -> str:
        self._serial += 1
        return f"{self._serial:09d}"

    def close(self) -> None:
        while self._pending:
            _, record_id, row, person_id = heapq.heappop(self._pending)
            self._write(row, record_id, person_id)
        self._children_file.close()
        if self._involvements_file is not None:
            self._involvements_file.close()

    def _write(self, row: list[str], record_id: str, person_id: str) -> None:
        self._children.writerow(row)
        self._truth.record(self.profile.name, record_id, person_id)
        self.rows += 1

    def _hold_duplicate(self, child: Child) -> None:
        record_id = self.duplicate_record_id(child)
        row = self._maker.row(child, record_id, duplicate=True)
        due = self.rows + self.rng.randint(*DUPLICATE_DELAY_ROWS)
        heapq.heappush(self._pending, (due, record_id, row, child.person_id))
        self.duplicates += 1

    def _release_due(self) -> None:
        while self._pending and self._pending[0][0] <= self.rows:
            _, record_id, row, person_id = heapq.heappop(self._pending)
            self._write(row, record_id, person_id)

    def _add_involvements(self, child: Child, record_id: str) -> None:
        if self._involvements_file is None:
            return
        for involvement in child.involvements:
            if not self._sends(involvement):
                continue
            self._involvement_writer.writerow(
                involvement_row(
                    involvement,
                    record_id,
                    services=self._services,
                    staff=self._staff,
                    uk_dates=self.profile.uk_dates,
                )
            )
            self.involvements += 1

    def _sends(self, involvement: Involvement) -> bool:
        """Whether this source's involvement feed holds the involvement."""
        profile = self.profile
        if involvement.service_type not in profile.involvement_types:
            return False
        council = profile.involvement_la_code
        return council is None or involvement.service_code.startswith(f"{council}-")


class HealthExtract(SourceExtract):
    """Health demographics: every child, keyed like a spine record."""

    def record_id(self, child: Child) -> str:
        del child
        return f"PDS{self.next_serial()}"


class SchoolCensusExtract(SourceExtract):
    """The school census: pupils on roll, keyed by school (LAESTAB) and admission number."""

    admissions = 0

    @cached_property
    def _schools(self) -> dict[str, School]:
        return {school.urn: school for school in self.reference.schools}

    def members(self, household: Household) -> list[Child]:
        return [child for child in household.children if child.school and not child.date_of_death]

    def record_id(self, child: Child) -> str:
        urn = child.school.school_urn if child.school else ""
        school = self._schools[urn]
        self.admissions += 1
        return f"{school.la_code}{school.establishment_number:04d}-{self.admissions:07d}"


class ChildBenefitExtract(SourceExtract):
    """Child benefit: children of claiming families, keyed by claim reference and child number."""

    claims = 0
    claim = ""
    child_number = 0

    def members(self, household: Household) -> list[Child]:
        if _fostered(household) or household.residences[0].address is None:
            return []
        if self.rng.random() >= CHILD_BENEFIT_CLAIM_RATE:
            return []
        self.claim, self.child_number = self._new_claim(), 0
        return [child for child in household.children if self._eligible(child)]

    def _eligible(self, child: Child) -> bool:
        if child.date_of_death is not None:
            return False
        age = child.age_on(self.as_of)
        if age < CHILD_BENEFIT_COMPULSORY_AGE:
            return True
        return age <= CHILD_BENEFIT_LAST_AGE and self.rng.random() < CHILD_BENEFIT_STUDENT_RATE

    def _new_claim(self) -> str:
        self.claims += 1
        letters = "".join(self.rng.choice(string.ascii_uppercase) for _ in range(2))
        return f"CHB{self.claims:08d}{letters}"

    def record_id(self, child: Child) -> str:
        del child
        self.child_number += 1
        return f"{self.claim}/{self.child_number:02d}"

    def duplicate_record_id(self, child: Child) -> str:
        """A second claim for the child, as when both parents claim."""
        del child
        return f"{self._new_claim()}/01"


def _fostered(household: Household) -> bool:
    """Foster carers cannot claim child benefit for the children they foster."""
    return any(
        link.relationship is CarerRelationship.FOSTER_CARER
        for child in household.children
        for link in child.carers
    )


class SocialCareExtract(SourceExtract):
    """A council's children's social care: children its services work with, or it shields."""

    def members(self, household: Household) -> list[Child]:
        la_code = self.profile.involvement_la_code
        if household.la_code != la_code:
            return []
        return [child for child in household.children if self._known(child)]

    def _known(self, child: Child) -> bool:
        if child.shield is not None:
            return True
        return any(
            involvement.service_type in COUNCIL_SERVICE_TYPES for involvement in child.involvements
        )

    def record_id(self, child: Child) -> str:
        del child
        return str(1_000_000 + int(self.next_serial()))


EXTRACT_TYPES: Final[Mapping[str, type[SourceExtract]]] = {
    HEALTH.name: HealthExtract,
    SCHOOL_CENSUS.name: SchoolCensusExtract,
    CHILD_BENEFIT.name: ChildBenefitExtract,
    SOCIAL_CARE.name: SocialCareExtract,
}
