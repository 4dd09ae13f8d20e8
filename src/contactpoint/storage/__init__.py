"""Storage: the engine, the declarative base, sessions and migrations.

The domains' tables live in each domain's ``models.py`` and share :class:`Base`
from here; only Alembic migrations create or change tables.
"""
