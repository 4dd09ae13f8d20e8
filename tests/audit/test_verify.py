"""`verify` catches every way an attacker with the database owner's rights can alter
the trail: an edit, a deletion, a reordering, and a rewrite with every later hash
recomputed (that one only against a signed checkpoint kept elsewhere)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from contactpoint.audit.checkpoints import (
    SignedCheckpoint,
    generate_signing_key,
    key_id,
    load_public_key,
    load_signing_key,
    public_key_path,
    write_public_key,
)
from contactpoint.audit.errors import (
    AuditError,
    CheckpointError,
    EmptyTrailError,
    SigningKeyError,
    TrailNotIntactError,
)
from contactpoint.audit.services import make_checkpoint, redact_details, verify

from tampering import (
    PRACTITIONER,
    drop_triggers,
    execute,
    rewrite_from,
    swap_events,
    write_events,
)

SIGNER = Ed25519PrivateKey.generate()


@pytest.fixture
def trail(fresh_database):
    write_events(fresh_database.engine, 6)
    return fresh_database.engine


def _verify(engine, **options):
    with Session(engine) as session:
        return verify(session, **options)


def _checkpoint(engine, key=SIGNER) -> SignedCheckpoint:
    with Session(engine) as session:
        return make_checkpoint(session, key)


def test_an_untouched_trail_is_intact(trail):
    result = _verify(trail)
    assert result.intact
    assert (result.events, result.last_sequence) == (6, 6)


def test_an_empty_trail_is_intact_with_no_events(fresh_database):
    result = _verify(fresh_database.engine)
    assert result.intact
    assert result.events == 0


def test_an_edited_event_is_named(trail):
    drop_triggers(trail)
    execute(trail, "UPDATE audit_event SET actor_user_id = 99 WHERE sequence = 4")
    result = _verify(trail)
    assert not result.intact
    assert result.problem is not None
    assert result.problem.sequence == 4
    assert "edited" in result.problem.reason
    assert result.events == 3


def test_edited_details_are_named(trail):
    drop_triggers(trail)
    execute(trail, "UPDATE audit_event_details SET details = '{}' WHERE sequence = 5")
    result = _verify(trail)
    assert result.problem is not None
    assert (result.problem.sequence, "details" in result.problem.reason) == (5, True)


def test_a_deleted_event_is_named_as_missing(trail):
    drop_triggers(trail)
    execute(trail, "DELETE FROM audit_event_details WHERE sequence = 3")
    execute(trail, "DELETE FROM audit_event WHERE sequence = 3")
    result = _verify(trail)
    assert result.problem is not None
    assert result.problem.sequence == 3
    assert "missing" in result.problem.reason


def test_two_swapped_events_are_caught_at_the_first_of_them(trail):
    swap_events(trail, 2, 3)
    result = _verify(trail)
    assert result.problem is not None
    assert result.problem.sequence == 2
    assert "does not follow event 1" in result.problem.reason


def test_an_event_rewritten_with_its_own_hash_recomputed_breaks_the_next_link(trail):
    rewrite_from(trail, 2, alone=True, actor_user_id=99)
    result = _verify(trail)
    assert result.problem is not None
    assert result.problem.sequence == 3
    assert "does not follow event 2" in result.problem.reason


def test_a_full_rewrite_passes_without_a_checkpoint_and_fails_against_one(trail):
    checkpoint = _checkpoint(trail)
    assert checkpoint.sequence == 6
    rewrite_from(trail, 2, actor_user_id=99)  # and every later hash recomputed
    assert _verify(trail).intact  # the chain alone cannot tell
    result = _verify(trail, checkpoints=[checkpoint], public_key=SIGNER.public_key())
    assert not result.intact
    assert result.problem is not None
    assert result.problem.sequence == 6
    assert "rewritten at or before event 6" in result.problem.reason


def test_an_intact_trail_matches_its_checkpoints_and_events_after_them(trail):
    early = _checkpoint(trail)
    write_events(trail, 2)
    late = _checkpoint(trail)
    result = _verify(trail, checkpoints=[early, late], public_key=SIGNER.public_key())
    assert result.intact
    assert (result.events, result.checkpoints) == (8, 2)


def test_deleting_the_newest_events_is_caught_only_against_a_checkpoint(trail):
    checkpoint = _checkpoint(trail)
    drop_triggers(trail)
    execute(trail, "DELETE FROM audit_event_details WHERE sequence >= 5")
    execute(trail, "DELETE FROM audit_event WHERE sequence >= 5")
    assert _verify(trail).intact
    result = _verify(trail, checkpoints=[checkpoint], public_key=SIGNER.public_key())
    assert result.problem is not None
    assert result.problem.sequence == 5
    assert "deleted from the end" in result.problem.reason


def test_a_checkpoint_with_an_altered_field_is_rejected(trail):
    checkpoint = _checkpoint(trail)
    forged = dataclasses.replace(checkpoint, hash="a" * 64)
    with pytest.raises(CheckpointError, match="altered"):
        _verify(trail, checkpoints=[forged], public_key=SIGNER.public_key())


def test_a_checkpoint_with_a_bad_signature_is_rejected(trail):
    checkpoint = _checkpoint(trail)
    flipped = ("0" if checkpoint.signature[0] != "0" else "1") + checkpoint.signature[1:]
    with pytest.raises(CheckpointError, match="does not verify"):
        _verify(
            trail,
            checkpoints=[dataclasses.replace(checkpoint, signature=flipped)],
            public_key=SIGNER.public_key(),
        )


def test_a_checkpoint_checked_with_another_public_key_is_rejected(trail):
    checkpoint = _checkpoint(trail)
    with pytest.raises(CheckpointError, match="signed by key"):
        _verify(
            trail, checkpoints=[checkpoint], public_key=Ed25519PrivateKey.generate().public_key()
        )


def test_a_checkpoint_claiming_another_keys_id_still_fails_its_signature(trail):
    checkpoint = _checkpoint(trail)
    other = Ed25519PrivateKey.generate().public_key()
    relabelled = dataclasses.replace(checkpoint, key_id=key_id(other))
    with pytest.raises(CheckpointError, match="does not verify"):
        _verify(trail, checkpoints=[relabelled], public_key=other)


def test_a_checkpoint_needs_the_public_key(trail):
    with pytest.raises(AuditError, match="public key"):
        _verify(trail, checkpoints=[_checkpoint(trail)])


def test_a_checkpoint_survives_its_json_and_refuses_malformed_json(trail):
    checkpoint = _checkpoint(trail)
    assert SignedCheckpoint.from_json(checkpoint.to_json()) == checkpoint
    for text in ("", "[]", '{"format": "other"}', checkpoint.to_json().replace('"hash"', '"h"')):
        with pytest.raises(CheckpointError, match="not a signed audit checkpoint"):
            SignedCheckpoint.from_json(text)


def test_no_checkpoint_is_signed_over_a_trail_that_is_not_intact(trail):
    drop_triggers(trail)
    execute(trail, "UPDATE audit_event SET actor_role = 'auditor' WHERE sequence = 2")
    with pytest.raises(TrailNotIntactError, match="event 2"):
        _checkpoint(trail)


def test_no_checkpoint_is_signed_over_an_empty_trail(fresh_database):
    with pytest.raises(EmptyTrailError):
        _checkpoint(fresh_database.engine)


def test_redacted_details_leave_the_chain_verifiable(trail):
    with Session(trail) as session:
        redact_details(session, sequences=[1, 3], actor=PRACTITIONER, reason="child_destroyed")
        session.commit()
    result = _verify(trail)
    assert result.intact
    assert (result.events, result.redacted) == (7, 2)


def test_a_redactions_own_details_are_never_redacted(trail):
    with Session(trail) as session:
        redaction = redact_details(session, sequences=[1], actor=PRACTITIONER, reason="erasure")
        with pytest.raises(AuditError, match="never redacted"):
            redact_details(
                session, sequences=[redaction.sequence], actor=PRACTITIONER, reason="erasure"
            )


def test_redacting_an_event_that_does_not_exist_is_refused(trail):
    with Session(trail) as session, pytest.raises(AuditError, match="no event 99"):
        redact_details(session, sequences=[99], actor=PRACTITIONER, reason="erasure")


def test_a_new_signing_key_is_private_to_its_owner_and_loads_again(tmp_path):
    path = tmp_path / "audit.pem"
    key = generate_signing_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    write_public_key(key.public_key(), public_key_path(path))
    assert load_signing_key(path).public_key() == key.public_key()
    assert load_public_key(public_key_path(path)) == key.public_key()


def test_a_signing_key_is_never_overwritten(tmp_path):
    path = tmp_path / "audit.pem"
    generate_signing_key(path)
    with pytest.raises(SigningKeyError, match="never overwritten"):
        generate_signing_key(path)


def test_a_signing_key_others_can_read_is_refused(tmp_path):
    path = tmp_path / "audit.pem"
    generate_signing_key(path)
    path.chmod(0o644)
    with pytest.raises(SigningKeyError, match="chmod 600"):
        load_signing_key(path)


def test_a_file_that_is_not_a_key_is_refused_with_its_name(tmp_path):
    path = tmp_path / "notes.pem"
    path.write_text("not a key")
    path.chmod(0o600)
    with pytest.raises(SigningKeyError, match=r"notes\.pem is not a PEM private key"):
        load_signing_key(path)
    with pytest.raises(SigningKeyError, match="no key file"):
        load_public_key(tmp_path / "absent.pub")


def test_a_checkpoint_records_the_time_it_was_signed_in_utc(trail):
    checkpoint = _checkpoint(trail)
    assert checkpoint.signed_at.utcoffset() == dt.timedelta(0)
