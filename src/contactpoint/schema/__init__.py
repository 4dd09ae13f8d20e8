"""The database schema: Alembic migrations over every domain's tables, and how to run them."""
