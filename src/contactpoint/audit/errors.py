"""What can go wrong with the audit trail; every message says what to do.

AuditError
├── EmptyTrailError        there is nothing to sign yet
├── TrailNotIntactError    refusing to sign a trail that does not verify
├── CheckpointError        a checkpoint file that is malformed or whose signature fails
└── SigningKeyError        a signing or public key file that cannot be used
"""

from __future__ import annotations


class AuditError(Exception):
    """A failure of the audit trail the caller (or operator) can act on."""


class EmptyTrailError(AuditError):
    pass


class TrailNotIntactError(AuditError):
    pass


class CheckpointError(AuditError):
    pass


class SigningKeyError(AuditError):
    pass
