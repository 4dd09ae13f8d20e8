"""Signed checkpoints: "event N had hash H", signed with Ed25519, to keep elsewhere.

An attacker who can write to the database can rewrite an event and recompute
every later hash: the chain alone then still links. A checkpoint signed with a
key the server does not hold (or kept where the server cannot write) defeats
that: ``verify`` finds that event N no longer has the hash the checkpoint vouches
for. Keep the public key and the checkpoints off the server.

Key files are PEM, unencrypted, and protected by file permissions: the private
key is created with mode 0600 and refused when others can read it. (A hardware
or cloud key store would be better in production; see the report on this change.)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from contactpoint.audit.errors import CheckpointError, SigningKeyError
from contactpoint.audit.rules import canonical_json

__all__ = [
    "SignedCheckpoint",
    "check_signature",
    "generate_signing_key",
    "key_id",
    "load_public_key",
    "load_signing_key",
    "public_key_path",
    "sign_checkpoint",
    "write_public_key",
]

FORMAT: Final = "contactpoint-audit-checkpoint-v1"
_HEX64: Final = re.compile(r"[0-9a-f]{64}")
_HEX128: Final = re.compile(r"[0-9a-f]{128}")
_PRIVATE: Final = 0o600
_OTHERS_MAY_READ: Final = 0o077


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short name for a key: the first 16 hex digits of SHA-256 of its raw bytes."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class SignedCheckpoint:
    sequence: int
    hash: str
    signed_at: dt.datetime
    key_id: str
    signature: str  # hex

    def message(self) -> bytes:
        """The bytes signed: everything but the signature, canonically."""
        return canonical_json(
            {
                "format": FORMAT,
                "sequence": self.sequence,
                "hash": self.hash,
                "signed_at": self.signed_at.isoformat(),
                "key_id": self.key_id,
            }
        ).encode()

    def to_json(self) -> str:
        document = json.loads(self.message())
        document["signature"] = self.signature
        return json.dumps(document, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> SignedCheckpoint:
        try:
            document = json.loads(text)
            return cls._from_document(document)
        except (ValueError, TypeError, KeyError) as error:
            raise CheckpointError(f"not a signed audit checkpoint: {error}") from None

    @classmethod
    def _from_document(cls, document: object) -> SignedCheckpoint:
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ValueError(f"its format is not {FORMAT}")
        sequence, chain_hash = document["sequence"], document["hash"]
        signed_at, signature = document["signed_at"], document["signature"]
        if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 1:
            raise ValueError("its sequence is not a positive whole number")
        if not isinstance(chain_hash, str) or not _HEX64.fullmatch(chain_hash):
            raise ValueError("its hash is not 64 hexadecimal digits")
        if not isinstance(signature, str) or not _HEX128.fullmatch(signature):
            raise ValueError("its signature is not 128 hexadecimal digits")
        when = dt.datetime.fromisoformat(str(signed_at))
        if when.tzinfo is None:
            raise ValueError("its signing time has no time zone")
        return cls(sequence, chain_hash, when, str(document["key_id"]), signature)


def sign_checkpoint(
    private_key: Ed25519PrivateKey, *, sequence: int, chain_hash: str, signed_at: dt.datetime
) -> SignedCheckpoint:
    unsigned = SignedCheckpoint(
        sequence, chain_hash, signed_at.astimezone(dt.UTC), key_id(private_key.public_key()), ""
    )
    signature = private_key.sign(unsigned.message()).hex()
    return SignedCheckpoint(
        unsigned.sequence, unsigned.hash, unsigned.signed_at, unsigned.key_id, signature
    )


def check_signature(checkpoint: SignedCheckpoint, public_key: Ed25519PublicKey) -> None:
    """Refuse a checkpoint that was altered or signed by another key."""
    if checkpoint.key_id != key_id(public_key):
        raise CheckpointError(
            f"the checkpoint at event {checkpoint.sequence} was signed by key "
            f"{checkpoint.key_id}, not by the public key given ({key_id(public_key)})"
        )
    try:
        public_key.verify(bytes.fromhex(checkpoint.signature), checkpoint.message())
    except InvalidSignature:
        raise CheckpointError(
            f"the checkpoint at event {checkpoint.sequence} has a signature that does not "
            "verify: it was altered after signing"
        ) from None


def public_key_path(private_key_path: Path) -> Path:
    """Where the public half of a signing key is written: beside it, ending ``.pub``."""
    return private_key_path.with_name(private_key_path.name + ".pub")


def generate_signing_key(path: Path) -> Ed25519PrivateKey:
    """A new Ed25519 key written to ``path`` (mode 0600), never over an existing file."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _PRIVATE)
    except FileExistsError:
        raise SigningKeyError(
            f"{path} already exists: a signing key is never overwritten"
        ) from None
    except OSError as error:
        raise SigningKeyError(f"cannot create {path}: {error.strerror}") from None
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(pem)
    return key


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    pem = _read_key_file(path, private=True)
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except TypeError:
        raise SigningKeyError(
            f"{path} is encrypted: use an unencrypted key protected by its file mode (0600)"
        ) from None
    except ValueError:
        raise SigningKeyError(f"{path} is not a PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} is not an Ed25519 key")
    return key


def write_public_key(public_key: Ed25519PublicKey, path: Path) -> None:
    pem = public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    try:
        path.write_bytes(pem)
    except OSError as error:
        raise SigningKeyError(f"cannot write {path}: {error.strerror}") from None


def load_public_key(path: Path) -> Ed25519PublicKey:
    pem = _read_key_file(path, private=False)
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError:
        raise SigningKeyError(f"{path} is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError(f"{path} is not an Ed25519 public key")
    return key


def _read_key_file(path: Path, *, private: bool) -> bytes:
    try:
        mode = path.stat().st_mode
        if private and mode & _OTHERS_MAY_READ:
            raise SigningKeyError(
                f"{path} is open to other users (mode {mode & 0o777:o}): run chmod 600 {path}"
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise SigningKeyError(f"there is no key file at {path}") from None
    except OSError as error:
        raise SigningKeyError(f"cannot read {path}: {error.strerror}") from None
