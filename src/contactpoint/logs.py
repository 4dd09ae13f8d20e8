"""Logging set-up. Log lines carry identifiers only, never personal data.

Names, dates of birth, addresses and contact details must never be logged. The
:class:`PersonalDataFilter` is a last line of defence: it redacts values that look
like dates, postcodes, e-mail addresses and phone numbers from every record, so a
careless ``log.info("%s", row)`` cannot leak them.
"""

from __future__ import annotations

import logging
import re
from typing import Final

_REDACTIONS: Final = (
    re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),  # ISO dates (dates of birth)
    re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b"),  # UK dates
    re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE),  # postcodes
    re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),  # e-mail addresses
    re.compile(r"(?<!\d)(?:\+44\s?|0)\d{2,4}[\s-]?\d{3,4}[\s-]?\d{3,4}(?!\d)"),  # phone numbers
)


def redact(text: str) -> str:
    for pattern in _REDACTIONS:
        text = pattern.sub("[redacted]", text)
    return text


class PersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.addFilter(PersonalDataFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger("contactpoint")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
