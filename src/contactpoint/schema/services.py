"""Run migrations programmatically, and check whether a database is up to date."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


class SchemaOutOfDateError(Exception):
    """The database is missing migrations; the message names the command to run."""


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files(__package__) / "migrations"))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("the migrations folder holds no revision")
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or migrate the database to ``revision``, in one transaction per migration."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Step the schema back to ``revision`` ("base" removes every table); for operators."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def require_up_to_date(engine: Engine) -> None:
    current = current_revision(engine)
    if current != head_revision():
        state = "has no schema yet" if current is None else f"is at revision {current}"
        where = engine.url.render_as_string(hide_password=True)
        raise SchemaOutOfDateError(
            f"The database {where} {state}, not the latest ({head_revision()}). "
            "Run `contactpoint db upgrade` first."
        )
