"""Passwords: argon2id hashing, and the policy a new password must meet.

The policy follows NCSC and OWASP advice: long rather than complicated (at
least 12 characters, any characters at all, no composition rules), not a
well-known password, and not the username.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MINIMUM_LENGTH: Final = 12
MAXIMUM_LENGTH: Final = 128  # long passphrases are welcome; this only bounds hashing work

# Passwords seen again and again in breaches (the long ones, since the length rule
# refuses the short ones), and words anyone would try against this service.
COMMON_PASSWORDS: Final = frozenset(
    {
        "000000000000",
        "111111111111",
        "123123123123",
        "123412341234",
        "123456123456",
        "123456654321",
        "123456789012",
        "1234567890qwerty",
        "1q2w3e4r5t6y",
        "1qaz2wsx3edc",
        "aaaaaaaaaaaa",
        "abc123abc123",
        "abcdefghijkl",
        "administrator",
        "changeme1234",
        "childprotection",
        "contactpoint",
        "contactpoint1",
        "contactpoint123",
        "correcthorsebatterystaple",
        "iloveyou1234",
        "letmein12345",
        "password1234",
        "password12345",
        "password123456",
        "passwordpassword",
        "qwerty123456",
        "qwertyuiop12",
        "qwertyuiopasdfgh",
        "safeguarding",
        "safeguarding1",
        "socialworker",
        "trustno1trustno1",
        "welcome12345",
        "welcome123456",
    }
)


class PasswordPolicyError(ValueError):
    """A new password does not meet the policy; the message says why, for the user."""


@dataclass(frozen=True, slots=True)
class PasswordCheck:
    hash_matches: bool
    new_hash: str | None = None  # set when the stored hash used outdated parameters


@functools.cache
def _hasher() -> PasswordHasher:
    # argon2-cffi's defaults are RFC 9106's low-memory profile for argon2id.
    return PasswordHasher()


@functools.cache
def _decoy_hash() -> str:
    """A hash to verify against when there is no real one, so timing reveals nothing."""
    return _hasher().hash("decoy password: no account has it")


def normalise(password: str) -> str:
    """NFKC, so the same password typed on different keyboards matches."""
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    return _hasher().hash(normalise(password))


def check_password(password: str, password_hash: str | None) -> PasswordCheck:
    """Whether ``password`` matches; the argon2 work is done even without a hash."""
    hasher = _hasher()
    try:
        hasher.verify(password_hash or _decoy_hash(), normalise(password))
    except (VerificationError, InvalidHashError):
        return PasswordCheck(hash_matches=False)
    if password_hash is None:
        return PasswordCheck(hash_matches=False)
    if hasher.check_needs_rehash(password_hash):
        return PasswordCheck(hash_matches=True, new_hash=hash_password(password))
    return PasswordCheck(hash_matches=True)


@functools.cache
def common_passwords() -> frozenset[str]:
    """The 30,000 passwords most often seen in breaches (the list zxcvbn ships, so no
    download at run time; ASVS 6.2.4 asks for at least the top 3,000) and our own words."""
    breached: list[str] = FREQUENCY_LISTS["passwords"]
    return frozenset(breached) | COMMON_PASSWORDS


def password_problems(password: str, *, username: str) -> list[str]:
    """Why ``password`` cannot be used, as sentences for the user; empty means it can."""
    candidate = normalise(password)
    folded = candidate.casefold()
    problems = []
    # Counted as typed too: normalising can lengthen a string ("¼" becomes 3 characters).
    if min(len(password), len(candidate)) < MINIMUM_LENGTH:
        problems.append(f"Your password must be at least {MINIMUM_LENGTH} characters long.")
    if len(candidate) > MAXIMUM_LENGTH:
        problems.append(f"Your password must be at most {MAXIMUM_LENGTH} characters long.")
    common = common_passwords()
    if folded in common or folded.replace(" ", "") in common:
        problems.append("Your password is too common; choose one that is harder to guess.")
    if username and username.casefold() in folded:
        problems.append("Your password must not contain your username.")
    return problems


def require_acceptable_password(password: str, *, username: str) -> None:
    problems = password_problems(password, username=username)
    if problems:
        raise PasswordPolicyError(" ".join(problems))
