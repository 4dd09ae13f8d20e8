"""Column types shared by the domains' tables."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import Enum


def enum_column_type(enum_class: type[enum.StrEnum], *, name: str) -> Enum:
    """A portable enum column: stored as its value in a VARCHAR with a CHECK constraint.

    Native PostgreSQL enums make migrations painful, and SQLite has none; a named
    CHECK keeps both databases equally strict.
    """
    length = max(len(member.value) for member in enum_class)
    values: Any = lambda members: [member.value for member in members]  # noqa: E731
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=values,
        validate_strings=True,
    )
