"""Contact details that can never reach a real person.

Phone numbers come from the ranges Ofcom reserves for drama (07700 900xxx for
mobiles, 01632 960xxx and 020 7946 0xxx for landlines); e-mail addresses use the
domains reserved for examples (RFC 2606). Synthetic data that leaks into a live
system therefore cannot ring or mail anyone.
"""

from __future__ import annotations

import random
import re
import unicodedata
from typing import Final

_MOBILE_FORMATS: Final = ("07700 900{}", "07700900{}", "+44 7700 900{}", "07700 900 {}")
_EMAIL_DOMAINS: Final = ("example.com", "example.org", "example.net")
_NOT_LOCAL_PART: Final = re.compile(r"[^a-z0-9]+")


def mobile_phone(rng: random.Random) -> str:
    """A fictional mobile number, written in one of the ways people write them."""
    return rng.choice(_MOBILE_FORMATS).format(f"{rng.randrange(1000):03d}")


def landline_phone(rng: random.Random, *, london: bool) -> str:
    """A fictional work landline number."""
    if london:
        return f"020 7946 0{rng.randrange(1000):03d}"
    return f"01632 960{rng.randrange(1000):03d}"


def slug(text: str) -> str:
    """Lower-case ASCII letters and digits joined by dots: "Zoë O'Brien" -> "zoe.obrien"."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = _NOT_LOCAL_PART.split(folded.lower().replace("'", ""))
    return ".".join(word for word in words if word)


def personal_email(rng: random.Random, given_name: str, family_name: str) -> str:
    """A carer's e-mail address at an example domain."""
    local = f"{slug(given_name)}.{slug(family_name)}"
    if rng.random() < 0.5:  # noqa: PLR2004 - half of people add a number
        local = f"{local}{rng.randint(1, 99)}"
    return f"{local}@{rng.choice(_EMAIL_DOMAINS)}"


def work_email(local: str, organisation: str) -> str:
    """An organisation's or practitioner's address at an example sub-domain."""
    return f"{slug(local)}@{slug(organisation).replace('.', '-')}.example.org"
