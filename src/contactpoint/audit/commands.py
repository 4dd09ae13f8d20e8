"""``contactpoint audit``: verify the trail, sign checkpoints, and report on it.

The command line acts as the local operator: every command here is recorded in
the trail with an ``operator`` actor named by the operating-system account that
ran it. Verifying is recorded too (reading the trail is an access like any
other), so it needs a database it can write to.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import pwd
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Final

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.console import Console
from sqlalchemy import inspect
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from contactpoint.audit.checkpoints import (
    SignedCheckpoint,
    generate_signing_key,
    load_public_key,
    load_signing_key,
    public_key_path,
    write_public_key,
)
from contactpoint.audit.errors import AuditError
from contactpoint.audit.events import (
    LABEL_LENGTH,
    Actor,
    AuditEvent,
    Subject,
    checkpoint_signed_event,
    export_event,
    trail_verified_event,
)
from contactpoint.audit.reports import (
    ReportRow,
    overrides,
    user_activity,
    who_viewed_child,
    write_csv,
)
from contactpoint.audit.services import VerificationResult, make_checkpoint, record, verify
from contactpoint.identifiers import InvalidIdentifierError
from contactpoint.identifiers.contactpoint_id import normalise_contactpoint_id
from contactpoint.settings import SettingsError, load_settings
from contactpoint.storage.engine import describe, engine_from_settings, session_factory

__all__ = ["audit_app"]

audit_app = typer.Typer(
    help="Verify the audit trail, sign checkpoints of it, and report on it.",
    no_args_is_help=True,
)
report_app = typer.Typer(
    help="Reports for auditors and council teams, as CSV (each one is recorded as an export).",
    no_args_is_help=True,
)
audit_app.add_typer(report_app, name="report")

console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)
_DATE_FORMATS: Final = ["%Y-%m-%d"]

Since = Annotated[
    dt.datetime | None,
    typer.Option("--since", formats=_DATE_FORMATS, help="First day (UTC), YYYY-MM-DD."),
]
Until = Annotated[
    dt.datetime | None,
    typer.Option("--until", formats=_DATE_FORMATS, help="Last day (UTC), YYYY-MM-DD."),
]
Output = Annotated[
    Path | None,
    typer.Option("--output", help="CSV file to write; without it the CSV goes to stdout."),
]


@contextlib.contextmanager
def _reported_failures() -> Iterator[None]:
    """Known failures become one clear line on stderr and exit status 1, no traceback."""
    try:
        yield
    except (AuditError, SettingsError) as error:
        errors.print(f"[bold red]Error:[/] {error}")
        raise typer.Exit(1) from None
    except (OperationalError, ProgrammingError) as error:
        errors.print(
            f"[bold red]Error:[/] cannot use the database: {error.orig}. "
            "Check CONTACTPOINT_DATABASE_URL.",
        )
        raise typer.Exit(1) from None


def _operator() -> Actor:
    """The operating-system account running this command: by user id, not $USER,
    which whoever runs the command can set to anything."""
    try:
        name = pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # a container's user with no passwd entry
        name = f"uid {os.geteuid()}"
    return Actor.operator(name[:LABEL_LENGTH])


@contextlib.contextmanager
def _trail() -> Iterator[Session]:
    engine = engine_from_settings(load_settings())
    try:
        if not inspect(engine).has_table("audit_event"):
            raise AuditError(
                f"the database {describe(engine)} has no audit trail yet: "
                "run `contactpoint db upgrade` first."
            )
        with session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def _recorded(session: Session, event: AuditEvent) -> None:
    """End the read, then record the command in a transaction of its own.

    A new transaction that starts with the write waits its turn on SQLite,
    where one that had read first could fail at once under concurrent writers.
    """
    session.commit()
    record(session, event)
    session.commit()


@audit_app.command("verify")
def verify_command(
    checkpoint: Annotated[
        list[Path] | None,
        typer.Option(
            "--checkpoint",
            help="A signed checkpoint (JSON) to check the trail against; may be repeated.",
        ),
    ] = None,
    public_key: Annotated[
        Path | None,
        typer.Option("--public-key", help="The public key (PEM) that signed the checkpoints."),
    ] = None,
) -> None:
    """Prove the audit trail intact, or name the first event that is not, and why."""
    with _reported_failures():
        if checkpoint and public_key is None:
            raise AuditError("--checkpoint needs --public-key: the key that signed it")
        checkpoints = [_read_checkpoint(path) for path in checkpoint or []]
        key = None if public_key is None else load_public_key(public_key)
        with _trail() as session:
            result = verify(session, checkpoints=checkpoints, public_key=key)
            _recorded(session, _verified_event(result, checkpoints=len(checkpoints)))
        _show(result)


def _read_checkpoint(path: Path) -> SignedCheckpoint:
    try:
        return SignedCheckpoint.from_json(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise AuditError(f"cannot read the checkpoint {path}: {error.strerror}") from None


def _verified_event(result: VerificationResult, *, checkpoints: int) -> AuditEvent:
    return trail_verified_event(
        _operator(),
        intact=result.intact,
        events=result.events,
        problem_at=None if result.problem is None else result.problem.sequence,
        checkpoints=checkpoints,
    )


def _show(result: VerificationResult) -> None:
    if result.problem is not None:
        errors.print(
            f"[bold red]Error:[/] the audit trail is not intact at {result.problem}. "
            f"The {result.events} events before it are intact."
        )
        raise typer.Exit(1)
    console.print(f"intact: {result.events} events, last hash {result.last_hash}")
    if result.checkpoints:
        console.print(f"It matches {result.checkpoints} signed checkpoint(s).")
    if result.redacted:
        console.print(f"{result.redacted} events' details were removed by recorded redactions.")


@audit_app.command("checkpoint")
def checkpoint_command(
    output: Annotated[
        Path, typer.Option("--output", help="Where to write the signed checkpoint (JSON).")
    ],
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            help="The Ed25519 signing key (PEM); default: CONTACTPOINT_AUDIT_SIGNING_KEY_FILE.",
        ),
    ] = None,
    create_key: Annotated[
        bool,
        typer.Option("--create-key", help="Create the key first, with its .pub; never overwrites."),
    ] = False,
) -> None:
    """Sign the trail's last event, having verified the trail up to it."""
    with _reported_failures():
        key_path = key or load_settings().audit_signing_key_file
        if key_path is None:
            raise AuditError(
                "no signing key: pass --key FILE or set CONTACTPOINT_AUDIT_SIGNING_KEY_FILE"
            )
        private_key = _signing_key(key_path, create=create_key)
        with _trail() as session:
            signed = make_checkpoint(session, private_key)
            _write_checkpoint(signed, output)
            event = checkpoint_signed_event(
                _operator(), sequence=signed.sequence, chain_hash=signed.hash, key_id=signed.key_id
            )
            _recorded(session, event)
        console.print(
            f"Signed a checkpoint at event {signed.sequence} (hash {signed.hash}) with key "
            f"{signed.key_id}, written to {output}. Keep it, and the public key, where this "
            "server cannot write."
        )


def _signing_key(path: Path, *, create: bool) -> Ed25519PrivateKey:
    if not create:
        return load_signing_key(path)
    made = generate_signing_key(path)
    write_public_key(made.public_key(), public_key_path(path))
    console.print(f"Created the signing key {path} and its public key {public_key_path(path)}.")
    return made


def _write_checkpoint(signed: SignedCheckpoint, path: Path) -> None:
    try:
        path.write_text(signed.to_json(), encoding="utf-8")
    except OSError as error:
        raise AuditError(f"cannot write the checkpoint to {path}: {error.strerror}") from None


def _period(
    since: dt.datetime | None, until: dt.datetime | None
) -> tuple[dt.date | None, dt.date | None]:
    first = None if since is None else since.date()
    last = None if until is None else until.date()
    if first is not None and last is not None and first > last:
        raise typer.BadParameter(f"--since {first} is after --until {last}")
    return first, last


def _run_report(
    build: Callable[[Session], list[ReportRow]],
    event_for: Callable[[int], AuditEvent],
    output: Path | None,
) -> None:
    """Build the report, record its export, then hand it over."""
    with _trail() as session:
        rows = build(session)
        _recorded(session, event_for(len(rows)))
    if output is None:
        write_csv(rows, sys.stdout)
        return
    try:
        with output.open("w", encoding="utf-8", newline="") as stream:
            write_csv(rows, stream)
    except OSError as error:
        raise AuditError(f"cannot write {output}: {error.strerror}") from None
    console.print(f"Wrote {len(rows)} events to {output}.")


@report_app.command("viewed-child")
def viewed_child_command(
    contactpoint_id: Annotated[str, typer.Argument(help="The child's ContactPoint ID.")],
    since: Since = None,
    until: Until = None,
    output: Output = None,
) -> None:
    """Who saw this child: views, changes, overrides, and searches or exports listing it."""
    with _reported_failures():
        first, last = _period(since, until)
        try:
            child = normalise_contactpoint_id(contactpoint_id)
        except InvalidIdentifierError as error:
            raise typer.BadParameter(str(error), param_hint="CONTACTPOINT_ID") from None
        _run_report(
            lambda session: who_viewed_child(session, child, since=first, until=last),
            lambda rows: export_event(
                _operator(),
                export="audit_report_viewed_child",
                rows=rows,
                filters={"since": first, "until": last},
                subject=Subject.child(child),
            ),
            output,
        )


@report_app.command("user-activity")
def user_activity_command(
    user_id: Annotated[int, typer.Argument(help="The user's id.")],
    since: Since = None,
    until: Until = None,
    output: Output = None,
) -> None:
    """Everything this user did."""
    with _reported_failures():
        first, last = _period(since, until)
        _run_report(
            lambda session: user_activity(session, user_id, since=first, until=last),
            lambda rows: export_event(
                _operator(),
                export="audit_report_user_activity",
                rows=rows,
                filters={"since": first, "until": last},
                subject=Subject.user(user_id),
            ),
            output,
        )


@report_app.command("overrides")
def overrides_command(since: Since = None, until: Until = None, output: Output = None) -> None:
    """Every shield override."""
    with _reported_failures():
        first, last = _period(since, until)
        _run_report(
            lambda session: overrides(session, since=first, until=last),
            lambda rows: export_event(
                _operator(),
                export="audit_report_overrides",
                rows=rows,
                filters={"since": first, "until": last},
            ),
            output,
        )
