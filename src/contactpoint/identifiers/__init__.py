"""Identifier and name rules: small pure functions, no I/O."""

from contactpoint.identifiers.errors import InvalidIdentifierError

__all__ = ["InvalidIdentifierError"]
