"""A software passkey authenticator, so WebAuthn ceremonies can be tested without a browser.

It does what a browser and an authenticator do together: makes a P-256 key pair,
answers ``navigator.credentials.create()`` with a "none" attestation, and signs
``navigator.credentials.get()`` challenges, counting signatures.
"""

from __future__ import annotations

import hashlib
import json
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import bytes_to_base64url, encode_cbor

_USER_PRESENT = 0x01
_ATTESTED_DATA = 0x40


class SoftAuthenticator:
    def __init__(self, *, rp_id: str, origin: str) -> None:
        self.rp_id = rp_id
        self.origin = origin
        self.credential_id = secrets.token_bytes(16)
        self.sign_count = 0
        self._key = ec.generate_private_key(ec.SECP256R1())

    def register(self, options_json: str, *, origin: str | None = None) -> str:
        """The response to ``navigator.credentials.create(options)``, as JSON."""
        options = json.loads(options_json)
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        attested = bytes(16) + len(self.credential_id).to_bytes(2, "big") + self.credential_id
        auth_data = self._auth_data(_USER_PRESENT | _ATTESTED_DATA) + attested + self._cose_key()
        attestation = encode_cbor({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return self._credential(
            {
                "clientDataJSON": bytes_to_base64url(client_data),
                "attestationObject": bytes_to_base64url(attestation),
                "transports": ["internal"],
            }
        )

    def sign(
        self, options_json: str, *, origin: str | None = None, challenge: str | None = None
    ) -> str:
        """The response to ``navigator.credentials.get(options)``, as JSON."""
        self.sign_count += 1
        wanted = challenge or json.loads(options_json)["challenge"]
        client_data = self._client_data("webauthn.get", wanted, origin)
        auth_data = self._auth_data(_USER_PRESENT)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = self._key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return self._credential(
            {
                "clientDataJSON": bytes_to_base64url(client_data),
                "authenticatorData": bytes_to_base64url(auth_data),
                "signature": bytes_to_base64url(signature),
            }
        )

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        data = {"type": kind, "challenge": challenge, "origin": origin or self.origin}
        return json.dumps(data).encode()

    def _auth_data(self, flags: int) -> bytes:
        rp_id_hash = hashlib.sha256(self.rp_id.encode()).digest()
        return rp_id_hash + bytes([flags]) + self.sign_count.to_bytes(4, "big")

    def _cose_key(self) -> bytes:
        numbers = self._key.public_key().public_numbers()
        return encode_cbor(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def _credential(self, response: dict[str, object]) -> str:
        raw_id = bytes_to_base64url(self.credential_id)
        return json.dumps(
            {"id": raw_id, "rawId": raw_id, "type": "public-key", "response": response}
        )
