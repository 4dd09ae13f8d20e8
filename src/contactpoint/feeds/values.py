"""Rules for one feed value: each returns the value normalised or raises ValueError.

The message says what is wrong in plain words for the data manager who will fix
the row. It quotes the value only where it cannot be a person's name or contact
detail, so that load reports and logs stay free of personal data.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Final, TypeVar

T = TypeVar("T")

RECORD_ID_LONGEST: Final = 64
_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UK_DATE: Final = re.compile(r"[0-9]{2}/[0-9]{2}/[0-9]{4}")
_URN: Final = re.compile(r"[0-9]{6}")
_ODS_PRACTICE: Final = re.compile(r"[A-Z][0-9]{5}")
_LABEL: Final = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL: Final = re.compile(rf"[^@\s]{{1,64}}@{_LABEL}(?:\.{_LABEL})+")
_PHONE_CHARACTERS: Final = frozenset("0123456789 +()-")
_PHONE_DIGITS: Final = (10, 11)
_YES: Final = frozenset({"yes", "y", "true", "1"})
_NO: Final = frozenset({"no", "n", "false", "0"})


def record_id(value: str) -> str:
    key = value.strip()
    if not key:
        raise ValueError("the record_id is empty")
    if len(key) > RECORD_ID_LONGEST:
        raise ValueError(f"the record_id has {len(key)} characters; at most {RECORD_ID_LONGEST}")
    if not key.isprintable():
        raise ValueError("the record_id holds a character that cannot be printed")
    return key


def date(value: str) -> dt.date:
    """``YYYY-MM-DD`` or ``DD/MM/YYYY``, a real calendar date."""
    text = value.strip()
    if _ISO_DATE.fullmatch(text):
        year, month, day = text[:4], text[5:7], text[8:]
    elif _UK_DATE.fullmatch(text):
        day, month, year = text[:2], text[3:5], text[6:]
    else:
        raise ValueError(f"{text[:20]!r} is not a date in the form YYYY-MM-DD or DD/MM/YYYY")
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError(f"{text!r} is not a real date") from None


def iso_date(value: str) -> dt.date:
    """``YYYY-MM-DD`` only, a real calendar date: an extract's date as a sender states it
    (``date.fromisoformat`` alone would also take ``20261120`` and week dates)."""
    if not _ISO_DATE.fullmatch(value):
        raise ValueError(f"{value[:20]!r} is not a date in the form YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a real date") from None


def yes_no(value: str) -> bool:
    text = value.strip().casefold()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValueError(f"{value[:20]!r} is not yes or no")


def school_urn(value: str) -> str:
    text = value.strip()
    if not _URN.fullmatch(text):
        raise ValueError("a school's URN is 6 digits")
    return text


def gp_practice_code(value: str) -> str:
    text = value.strip().upper()
    if not _ODS_PRACTICE.fullmatch(text):
        raise ValueError("a GP practice's ODS code is a letter and 5 digits, such as A81001")
    return text


def phone(value: str) -> str:
    """A UK phone number as given, tidied; +44 numbers count their digits as 0..."""
    text = " ".join(value.split())
    if any(char not in _PHONE_CHARACTERS for char in text):
        raise ValueError("a phone number holds only digits, spaces, +, brackets and hyphens")
    digits = "".join(char for char in text if char.isdigit())
    if text.startswith("+"):
        if not digits.startswith("44"):
            return text  # an international number: kept as given
        digits = "0" + digits.removeprefix("44").removeprefix("0")
    if len(digits) not in _PHONE_DIGITS or not digits.startswith("0"):
        raise ValueError("a UK phone number has 10 or 11 digits and starts with 0 or +44")
    return text


def email(value: str) -> str:
    text = value.strip()
    if not _EMAIL.fullmatch(text) or len(text) > 254:  # noqa: PLR2004 - RFC 5321's limit
        raise ValueError("not an email address (name@example.org)")
    return text


def choice(value: str, *, options: Mapping[str, T], what: str) -> T:
    key = value.strip()
    found = options.get(key, options.get(key.casefold()))
    if found is None:
        shown = ", ".join(sorted({str(option) for option in options.values()}))
        raise ValueError(f"{key[:30]!r} is not a recognised {what} ({shown})")
    return found
