"""Registering the sources that send extracts, and finding them again."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from sqlalchemy import Select, bindparam, select

from contactpoint.access.permissions import Permission
from contactpoint.access.policy import Target, decide, require, target_of
from contactpoint.feeds import audit_trail as feeds_audit
from contactpoint.feeds.models import FeedLoad, LoadStatus
from contactpoint.provenance.models import Source, SourceKind

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlalchemy.orm import Session

    from contactpoint.access.policy import Principal
    from contactpoint.organisations.models import Organisation

SOURCE_NAME: Final = re.compile(r"[a-z][a-z0-9_]{0,63}")
# The fields a source may be trusted for: the child's values that survivorship chooses between.
TRUSTABLE_FIELDS: Final = frozenset({"date_of_birth", "gender", "date_of_death"})


class SourceError(ValueError):
    """A source cannot be registered or used as asked; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class SourceAdded:
    source: Source
    created: bool


def source_target(source: Source) -> Target:
    """What a decision about a source is about: its organisation, or nothing (national)."""
    if source.organisation is None:
        return Target(organisation_id=None, council_id=None)
    return target_of(source.organisation)


def add_source(
    session: Session,
    *,
    by: Principal,
    name: str,
    kind: SourceKind,
    organisation: Organisation | None = None,
    trusted_for: Iterable[str] = (),
) -> SourceAdded:
    """Register ``name``; the same again is a no-op, another kind is an error."""
    if not SOURCE_NAME.fullmatch(name):
        raise SourceError(
            f"the source name {name[:70]!r} should be 1 to 64 lower-case letters, digits and"
            " underscores, starting with a letter (such as oxfordshire_social_care)"
        )
    trusted = _trusted(trusted_for)
    existing = find_source(session, name)
    if existing is not None:
        if existing.kind is not kind:
            raise SourceError(
                f"the source {name} is already registered as {existing.kind}, not {kind}"
            )
        return SourceAdded(existing, created=False)
    target = Target(None, None) if organisation is None else target_of(organisation)
    require(decide(by, Permission.FEEDS_SOURCE_MANAGE, target=target))
    source = Source(name=name, kind=kind, organisation=organisation, trusted_for=trusted)
    session.add(source)
    session.flush()
    feeds_audit.source_added(session, by=by, source=source)
    return SourceAdded(source, created=True)


def find_source(session: Session, name: str) -> Source | None:
    return session.scalar(_source_named(), {"name": name})


@functools.cache
def _source_named() -> Select[Source]:
    """Built once: every load asks (see ``storage.queries.one_of_named``)."""
    return select(Source).where(Source.name == bindparam("name"))


def require_source(session: Session, name: str) -> Source:
    source = find_source(session, name)
    if source is None:
        raise SourceError(
            f"no source is registered as {name!r}: register it first with"
            f" `contactpoint sources add {name} --kind national|local`; nothing was loaded"
        )
    return source


def lock_source(session: Session, source: Source) -> None:
    """Hold the source's row until this transaction ends: one load or undo of a source at a time.

    On PostgreSQL a second load (or an undo) of the same source waits here until
    the first commits, and then sees what it did: a load of one chunk is a
    single transaction, so nothing else would show it was running. SQLite lets
    one writer in at a time anyway (``FOR UPDATE`` is not rendered there).
    """
    if session.get_bind().dialect.name != "sqlite":
        session.execute(select(Source.id).where(Source.id == source.id).with_for_update())


def hold_every_source(session: Session) -> list[str]:
    """Lock every source's row (in id order, as loads take theirs one at a time); the loads
    still part-applied, which a whole-directory job must wait for ("ID of FILE for SOURCE").

    Until this transaction ends, no load or undo of any source starts (PostgreSQL;
    on SQLite the job's own writes keep other writers out).
    """
    session.execute(select(Source.id).order_by(Source.id).with_for_update())
    applying = session.execute(
        select(FeedLoad.id, FeedLoad.file_name, Source.name)
        .join(Source, Source.id == FeedLoad.source_id)
        .where(FeedLoad.status == LoadStatus.APPLYING)
        .order_by(FeedLoad.id)
    )
    return [f"load {load} of {file_name} for {name}" for load, file_name, name in applying]


def _trusted(fields: Iterable[str]) -> str:
    wanted = sorted({field.strip() for field in fields if field.strip()})
    unknown = [field for field in wanted if field not in TRUSTABLE_FIELDS]
    if unknown:
        raise SourceError(
            "a source can be trusted only for " + ", ".join(sorted(TRUSTABLE_FIELDS))
            + "; not " + ", ".join(unknown)
        )  # fmt: skip
    return " ".join(wanted)
