"""`contactpoint audit ...` run as real commands, each recorded as the operator's event."""

from __future__ import annotations

import csv
import io
import json
import os
import pwd
import stat
import subprocess
import sys

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from contactpoint.audit.events import ActorKind, EventType
from contactpoint.audit.models import AuditEventDetails, AuditEventRow
from contactpoint.audit.reports import report_columns

from tampering import contactpoint_id, drop_triggers, execute, rewrite_from, write_events

OS_USER = pwd.getpwuid(os.geteuid()).pw_name


def run_audit(*arguments: str, database_url: str, **settings: str):
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CONTACTPOINT_")},
        "CONTACTPOINT_DATABASE_URL": database_url,
        "CONTACTPOINT_MODE": "production",
        "COLUMNS": "200",
        **{f"CONTACTPOINT_{name.upper()}": value for name, value in settings.items()},
    }
    return subprocess.run(
        [sys.executable, "-m", "contactpoint", "audit", *arguments],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def _last_event(engine) -> tuple[AuditEventRow, dict]:
    with Session(engine) as session:
        row = session.scalars(
            select(AuditEventRow).order_by(AuditEventRow.sequence.desc()).limit(1)
        ).one()
        details = session.get(AuditEventDetails, row.sequence)
        assert details is not None
        return row, json.loads(details.details)


@pytest.fixture
def trail(fresh_database):
    write_events(fresh_database.engine, 4)
    return fresh_database


def test_verify_says_intact_and_is_recorded_as_the_operating_system_user(trail):
    result = run_audit("verify", database_url=trail.url)
    assert result.returncode == 0, result.stderr
    assert "intact: 4 events, last hash" in result.stdout
    row, details = _last_event(trail.engine)
    assert (row.sequence, row.event_type) == (5, EventType.TRAIL_VERIFIED)
    assert (row.actor_kind, row.actor_label) == (ActorKind.OPERATOR, OS_USER)
    assert details == {"events": 4, "problem_at": None, "checkpoints": 0}


def test_the_operator_is_named_by_account_not_by_the_user_variable(trail, monkeypatch):
    monkeypatch.setenv("USER", "someone-else")
    monkeypatch.setenv("LOGNAME", "someone-else")
    result = run_audit("verify", database_url=trail.url)
    assert result.returncode == 0, result.stderr
    assert _last_event(trail.engine)[0].actor_label == OS_USER


def test_verify_names_the_first_edited_event_and_fails_without_a_traceback(trail):
    drop_triggers(trail.engine)
    execute(trail.engine, "UPDATE audit_event SET actor_role = 'auditor' WHERE sequence = 3")
    result = run_audit("verify", database_url=trail.url)
    assert result.returncode == 1
    assert "not intact at event 3" in result.stderr
    assert "edited" in result.stderr
    assert "Traceback" not in result.stderr
    row, details = _last_event(trail.engine)
    assert (row.event_type, row.outcome.value, details["problem_at"]) == (
        EventType.TRAIL_VERIFIED,
        "failure",
        3,
    )


def test_checkpoint_creates_a_private_key_and_signs_the_last_event(trail, tmp_path):
    key, output = tmp_path / "audit-key.pem", tmp_path / "checkpoint.json"
    result = run_audit(
        "checkpoint",
        "--key",
        str(key),
        "--create-key",
        "--output",
        str(output),
        database_url=trail.url,
    )
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert (tmp_path / "audit-key.pem.pub").exists()
    assert "PRIVATE KEY" not in result.stdout + result.stderr
    assert json.loads(output.read_text())["sequence"] == 4
    row, details = _last_event(trail.engine)
    assert (row.event_type, details["sequence"]) == (EventType.CHECKPOINT_SIGNED, 4)


def test_a_rewrite_with_recomputed_hashes_passes_verify_but_not_against_the_checkpoint(
    trail, tmp_path
):
    key, output = tmp_path / "audit-key.pem", tmp_path / "checkpoint.json"
    signed = run_audit(
        "checkpoint",
        "--key",
        str(key),
        "--create-key",
        "--output",
        str(output),
        database_url=trail.url,
    )
    assert signed.returncode == 0, signed.stderr
    rewrite_from(trail.engine, 2, actor_user_id=99)
    assert run_audit("verify", database_url=trail.url).returncode == 0
    public = str(tmp_path / "audit-key.pem.pub")
    result = run_audit(
        "verify", "--checkpoint", str(output), "--public-key", public, database_url=trail.url
    )
    assert result.returncode == 1
    assert "not intact at event 4" in result.stderr
    assert "rewritten" in result.stderr


def test_verify_against_an_intact_checkpoint_says_so(trail, tmp_path):
    key, output = tmp_path / "k.pem", tmp_path / "c.json"
    run_audit(
        "checkpoint",
        "--key",
        str(key),
        "--create-key",
        "--output",
        str(output),
        database_url=trail.url,
    )
    result = run_audit(
        "verify", "--checkpoint", str(output), "--public-key", f"{key}.pub", database_url=trail.url
    )
    assert result.returncode == 0, result.stderr
    assert "matches 1 signed checkpoint" in result.stdout


def test_the_signing_key_can_come_from_the_settings(trail, tmp_path):
    key, output = tmp_path / "k.pem", tmp_path / "c.json"
    first = run_audit(
        "checkpoint",
        "--create-key",
        "--output",
        str(output),
        database_url=trail.url,
        audit_signing_key_file=str(key),
    )
    assert first.returncode == 0, first.stderr
    again = run_audit(
        "checkpoint",
        "--output",
        str(output),
        database_url=trail.url,
        audit_signing_key_file=str(key),
    )
    assert again.returncode == 0, again.stderr


def test_checkpoint_without_a_key_says_what_to_set(trail, tmp_path):
    result = run_audit("checkpoint", "--output", str(tmp_path / "c.json"), database_url=trail.url)
    assert result.returncode == 1
    assert "CONTACTPOINT_AUDIT_SIGNING_KEY_FILE" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_checkpoint_needs_the_public_key_to_verify(trail, tmp_path):
    result = run_audit("verify", "--checkpoint", str(tmp_path / "c.json"), database_url=trail.url)
    assert result.returncode == 1
    assert "--public-key" in result.stderr


def test_report_viewed_child_writes_a_csv_and_is_recorded_as_an_export(trail, tmp_path):
    output = tmp_path / "viewed.csv"
    child = contactpoint_id(1)
    result = run_audit(
        "report",
        "viewed-child",
        child,
        "--since",
        "2000-01-01",
        "--output",
        str(output),
        database_url=trail.url,
    )
    assert result.returncode == 0, result.stderr
    with output.open(newline="", encoding="utf-8") as stream:
        lines = list(csv.DictReader(stream))
    assert tuple(lines[0]) == report_columns()
    assert [line["subject_ref"] for line in lines] == [child]
    row, details = _last_event(trail.engine)
    assert (row.event_type, row.subject_ref, row.actor_label) == (EventType.EXPORT, child, OS_USER)
    assert details["filters"] == {"since": "2000-01-01", "until": None}
    assert details["rows"] == 1


def test_report_user_activity_and_overrides_print_csv_without_an_output_file(trail):
    activity = run_audit("report", "user-activity", "41", database_url=trail.url)
    assert activity.returncode == 0, activity.stderr
    assert len(list(csv.DictReader(io.StringIO(activity.stdout)))) == 4
    shown = run_audit("report", "overrides", "--until", "2999-12-31", database_url=trail.url)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines() == [",".join(report_columns())]


def test_reports_refuse_a_bad_contactpoint_id_or_a_backwards_period(trail):
    bad_id = run_audit("report", "viewed-child", "123", database_url=trail.url)
    assert bad_id.returncode == 2
    assert "12 digits" in bad_id.stderr
    backwards = run_audit(
        "report",
        "overrides",
        "--since",
        "2026-02-01",
        "--until",
        "2026-01-01",
        database_url=trail.url,
    )
    assert backwards.returncode == 2
    assert "after --until" in backwards.stderr


def test_audit_commands_on_a_database_without_the_schema_name_the_command_to_run(empty_database):
    result = run_audit("verify", database_url=empty_database.url)
    assert result.returncode == 1
    assert "contactpoint db upgrade" in result.stderr
    assert "Traceback" not in result.stderr
