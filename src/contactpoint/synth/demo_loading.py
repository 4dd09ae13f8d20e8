"""The demo filled as a real installation is: synthetic extracts loaded through the feeds.

The demo writes a synthetic population's source extracts (``contactpoint synth``),
seeds the reference data an installation holds before its first load, registers
the four sources, loads each child feed and then each involvement feed as the
operator, writes the link export, and finally shields the children the truth
says are shielded, as the council team would.

Records of people aged 18 or over load as active children: archiving them is
retention's work (``contactpoint.retention``), which has no service yet.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from sqlalchemy import select

from contactpoint.access.audit_trail import actor_for
from contactpoint.access.permissions import Permission
from contactpoint.access.policy import decide, require, target_of
from contactpoint.audit.events import Subject, admin_action_event
from contactpoint.audit.services import record
from contactpoint.directory.models import Child, Shield
from contactpoint.feeds.exports import write_link_export
from contactpoint.feeds.loading import LoadReport, LoadRequest, run_load
from contactpoint.feeds.models import LoadMode
from contactpoint.feeds.sources import add_source
from contactpoint.linkage.services import default_linker
from contactpoint.organisations.models import Organisation
from contactpoint.provenance.models import Feed, SourceKind
from contactpoint.synth.bundle import SynthSummary, write_synthetic_extracts
from contactpoint.synth.generation import generate_population
from contactpoint.synth.seeding import ReferenceSeeded, seed_reference_data
from contactpoint.synth.sources import SOURCES, SourceProfile
from contactpoint.synth.sources import SourceKind as SourceProfileKind

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from pathlib import Path

    from sqlalchemy.orm import Session, sessionmaker

    from contactpoint.access.policy import Principal
    from contactpoint.synth import population as truth

LINKS_FILE: Final = "links.csv"
# Health demographics (PDS-like) is the authority for these; the other sources are not.
TRUSTED_FOR: Final[Mapping[str, tuple[str, ...]]] = {
    "health": ("date_of_birth", "gender", "date_of_death"),
}


@dataclass(frozen=True, slots=True)
class DemoLoad:
    """One extract loaded: which source, which feed, and the load's report."""

    source: str
    feed: Feed
    report: LoadReport


@dataclass(frozen=True, slots=True)
class ShieldsApplied:
    shielded_people: int  # people the truth shields who have a record in some loaded extract
    children_shielded: int  # children given a shield now
    already_shielded: int  # children that had an open shield (a provisional child, say)


@dataclass(frozen=True, slots=True)
class DemoLoaded:
    extracts: SynthSummary
    reference: ReferenceSeeded
    loads: list[DemoLoad]
    links: int  # rows of the link export
    shields: ShieldsApplied


def load_demo_population(
    sessions: sessionmaker[Session],
    *,
    children: int,
    seed: int,
    folder: Path,
    by: Principal,
    as_of: dt.date | None = None,
    on_load: Callable[[DemoLoad], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoLoaded:
    """Write the extracts to ``folder`` and load them all into the directory.

    ``on_load`` hears of each load as it ends; ``progress`` gets rows as they are applied.
    """
    extracts = write_synthetic_extracts(children=children, seed=seed, output=folder, as_of=as_of)
    population = generate_population(children=children, seed=seed, as_of=extracts.as_of)
    with sessions() as session:
        reference = seed_reference_data(session, population.reference)
        register_demo_sources(session, by=by, councils=reference.councils)
        session.commit()
    loads = load_extracts(
        sessions, folder, by=by, extracted_on=extracts.as_of, on_load=on_load, progress=progress
    )
    links = export_links(sessions, folder / LINKS_FILE, by=by)
    shields = apply_truth_shields(
        sessions,
        shields=truth_shields(population.each_child()),
        truth=read_truth(folder / "truth.csv"),
        links=read_links(folder / LINKS_FILE),
        councils=reference.councils,
        by=by,
    )
    return DemoLoaded(extracts, reference, loads, links, shields)


def register_demo_sources(session: Session, *, by: Principal, councils: Mapping[str, int]) -> None:
    """Register the synthetic sources as an installation's data manager would (idempotent)."""
    for profile in SOURCES:
        organisation = None
        if profile.kind is SourceProfileKind.LOCAL and profile.involvement_la_code is not None:
            organisation = session.get(Organisation, councils[profile.involvement_la_code])
        add_source(
            session,
            by=by,
            name=profile.name,
            kind=SourceKind(profile.kind.value),
            organisation=organisation,
            trusted_for=TRUSTED_FOR.get(profile.name, ()),
        )


def load_extracts(
    sessions: sessionmaker[Session],
    folder: Path,
    *,
    by: Principal,
    extracted_on: dt.date,
    on_load: Callable[[DemoLoad], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[DemoLoad]:
    """Load every child feed, then every involvement feed (which need the children)."""
    linker = default_linker()
    loads: list[DemoLoad] = []
    for feed, path, profile in _extract_files(folder):
        request = LoadRequest(
            source=profile.name, path=path, extracted_on=extracted_on, feed=feed,
            mode=LoadMode.FULL,
        )  # fmt: skip
        report = run_load(sessions, request, by=by, linker=linker, progress=progress)
        loads.append(DemoLoad(profile.name, feed, report))
        if on_load is not None:
            on_load(loads[-1])
    return loads


def export_links(sessions: sessionmaker[Session], path: Path, *, by: Principal) -> int:
    """Write the link export to ``path`` (audited, as ``contactpoint export links``)."""
    with sessions() as session, path.open("w", encoding="utf-8", newline="") as stream:
        rows = write_link_export(session, stream, by=by)
        session.commit()
    return rows


def extract_rows(folder: Path) -> int:
    """How many data rows the extracts in ``folder`` hold (for a progress bar's total)."""
    total = 0
    for _, path, _ in _extract_files(folder):
        with path.open("rb") as stream:
            total += max(0, sum(1 for _ in stream) - 1)
    return total


def _extract_files(folder: Path) -> list[tuple[Feed, Path, SourceProfile]]:
    children = [(Feed.CHILDREN, folder / f"{p.name}.csv", p) for p in SOURCES]
    involvements = [
        (Feed.INVOLVEMENTS, folder / f"{p.name}_involvements.csv", p)
        for p in SOURCES
        if (folder / f"{p.name}_involvements.csv").is_file()
    ]
    return children + involvements


def truth_shields(children: Iterable[truth.Child]) -> dict[str, truth.Shield]:
    """The truth's shields, by person_id."""
    return {child.person_id: child.shield for child in children if child.shield is not None}


def read_truth(path: Path) -> dict[str, list[tuple[str, str]]]:
    """truth.csv: each person's source records, as (source, record_id)."""
    records: dict[str, list[tuple[str, str]]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            records[row["person_id"]].append((row["source"], row["record_id"]))
    return dict(records)


def read_links(path: Path) -> dict[tuple[str, str], str]:
    """The link export: the ContactPoint ID of each live child record, by (source, record_id)."""
    with path.open(encoding="utf-8", newline="") as stream:
        return {
            (row["source"], row["record_id"]): row["child_id"] for row in csv.DictReader(stream)
        }


def apply_truth_shields(
    sessions: sessionmaker[Session],
    *,
    shields: Mapping[str, truth.Shield],
    truth: Mapping[str, list[tuple[str, str]]],
    links: Mapping[tuple[str, str], str],
    councils: Mapping[str, int],
    by: Principal,
) -> ShieldsApplied:
    """Shield every child that a shielded person's records were linked to.

    This stands in for the council team's shielding page, which a later issue
    builds: each shield is the council's decision (council, reason, start and
    review dates), checked against ``directory:shield:manage`` and audited as
    ``shield_child``. A person whose records were split over several children
    has each of them shielded; a child with an open shield keeps it.
    """
    people = 0
    added = kept = 0
    with sessions() as session:
        for person_id, shield in sorted(shields.items()):
            linked = {links[key] for key in truth.get(person_id, ()) if key in links}
            people += bool(linked)
            for contactpoint_id in sorted(linked):
                made = shield_child(
                    session,
                    contactpoint_id=contactpoint_id,
                    council_id=councils[shield.council_la_code],
                    shield=shield,
                    by=by,
                )
                added += made
                kept += not made
        session.commit()
    return ShieldsApplied(people, added, kept)


def shield_child(
    session: Session,
    *,
    contactpoint_id: str,
    council_id: int,
    shield: truth.Shield,
    by: Principal,
) -> bool:
    """Give the child an open shield of ``council_id``; False if it already has one."""
    council = session.get(Organisation, council_id)
    if council is None:
        raise LookupError(f"no council organisation has id {council_id}")
    require(decide(by, Permission.DIRECTORY_SHIELD_MANAGE, target=target_of(council)))
    child = session.scalars(select(Child).where(Child.contactpoint_id == contactpoint_id)).one()
    open_shield = session.scalar(
        select(Shield.id).where(Shield.child_id == child.id, Shield.ended_on.is_(None))
    )
    if open_shield is not None:
        return False
    session.add(
        Shield(
            child=child,
            council_id=council.id,
            reason=shield.reason,
            started_on=shield.started_on,
            review_on=shield.review_on,
        )
    )
    changes: dict[str, tuple[object, object]] = {
        "reason": (None, shield.reason),
        "started_on": (None, shield.started_on),
        "review_on": (None, shield.review_on),
    }
    event = admin_action_event(
        actor_for(by), action="shield_child", subject=Subject.child(contactpoint_id),
        changes=changes,
    )  # fmt: skip
    record(session, event)
    return True
