"""Query pieces that both databases run well, for the bulk paths of loads and linkage."""

from __future__ import annotations

import functools
import json
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import String, any_, bindparam, column, func, insert, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import make_transient_to_detached

from contactpoint.storage.models import Base, table_of

if TYPE_CHECKING:
    from sqlalchemy import Select, Table
    from sqlalchemy.orm import QueryableAttribute, Session

_Row = TypeVar("_Row", bound=Base)


def one_of(session: Session, column_: QueryableAttribute[Any], values: Collection[object]) -> Any:
    """``column IN values`` sent as ONE parameter, however many values there are.

    An ordinary ``in_()`` binds each value separately: for the thousands of
    blocking keys of a load's chunk, building and compiling those parameters
    costs more than the query. PostgreSQL takes an array (``= ANY(:values)``);
    SQLite a JSON list read by ``json_each`` (text or integers, as the column holds).
    """
    dialect = session.get_bind().dialect.name
    value = listed(dialect, values)
    return _in(dialect, column_, bindparam(None, value, type_=_list_type(dialect, column_)))


def one_of_named(dialect: str, column_: QueryableAttribute[Any], name: str) -> Any:
    """:func:`one_of` for a statement built once and kept (``functools.cache``): its values
    are given each time it runs, as the parameter ``name``, made by :func:`listed`.

    Building a statement and its cache key costs about as much as running a simple
    query (some 60 microseconds each here), so the queries that every load runs are
    built once per process, with their values as named parameters.
    """
    return _in(dialect, column_, bindparam(name, type_=_list_type(dialect, column_)))


def listed(dialect: str, values: Collection[object]) -> object:
    """The values of a :func:`one_of_named` parameter, as the database takes them."""
    return list(values) if dialect == "postgresql" else json.dumps(list(values))


def _list_type(dialect: str, column_: QueryableAttribute[Any]) -> Any:
    return ARRAY(column_.expression.type) if dialect == "postgresql" else String()


def _in(dialect: str, column_: QueryableAttribute[Any], parameter: Any) -> Any:
    if dialect == "postgresql":
        return column_ == any_(parameter)
    return column_.in_(select(column("value")).select_from(func.json_each(parameter)))


def insert_tuples(
    session: Session, table: str, columns: Sequence[str], rows: Sequence[tuple[object, ...]]
) -> None:
    """Insert plain rows (already of the column types) straight through the driver.

    For the hottest bulk writes (a load's blocking keys: some fifteen rows a
    record), SQLAlchemy's per-row parameter processing costs more than the
    database's insert. Only for simple values that need no conversion: text,
    integers; ``table`` and ``columns`` are the code's own names, never input.
    """
    if not rows:
        return
    marker = _marker(session)
    statement = (
        f"INSERT INTO {table} ({', '.join(columns)})"  # noqa: S608 - the code's own names
        f" VALUES ({', '.join([marker] * len(columns))})"
    )
    session.connection().exec_driver_sql(statement, list(rows))


def reserve_ids(session: Session, table: Table, count: int) -> list[int]:
    """Ids for ``count`` rows about to be inserted into ``table`` (its integer ``id``).

    Inserting with them spares the query that would find the new rows' ids
    afterwards. PostgreSQL hands them out from the column's sequence; on SQLite
    they follow the largest id held, which is safe because its transactions
    begin IMMEDIATE: no other writer can take the same ids before the commit.
    """
    if count <= 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        reserved = session.scalars(
            text(
                "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"
            ),
            {"table": table.name, "n": count},
        )
        return [int(value) for value in reserved]
    top = session.scalar(_largest_id(table)) or 0
    return list(range(top + 1, top + count + 1))


@functools.cache
def _largest_id(table: Table) -> Select[Any]:
    """Built once for each table: every load's chunk asks (see :func:`one_of_named`)."""
    return select(func.max(table.c.id))


def update_by_id(
    session: Session, table: str, column_: str, rows: Sequence[tuple[object, int]]
) -> None:
    """Set one column of rows by id, straight through the driver: (value, id) pairs.

    As :func:`insert_tuples`, for plain values only; ``table`` and ``column_`` are
    the code's own names, never input.
    """
    if not rows:
        return
    marker = _marker(session)
    statement = f"UPDATE {table} SET {column_} = {marker} WHERE id = {marker}"  # noqa: S608
    session.connection().exec_driver_sql(statement, list(rows))


def _marker(session: Session) -> str:
    """The driver's parameter marker: ``?`` (sqlite3) or ``%s`` (psycopg)."""
    return "?" if session.get_bind().dialect.paramstyle == "qmark" else "%s"


def refresh_statistics(session: Session) -> None:
    """Let PostgreSQL's planner see how big the tables have grown (``ANALYZE``).

    A first load grows tables from nothing to millions of rows far faster than
    autovacuum samples them (and autovacuum may be off): plans made for empty
    tables then scan whole tables for every chunk. SQLite plans from its
    indexes and needs nothing here.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE"))


def add_written(session: Session, model: type[_Row], values: dict[str, Any]) -> _Row:
    """One row written by a plain INSERT, returned as an object the session holds, unchanged.

    For rows written on every request or load (an audit event, a load's row): the
    unit of work's flush of one new object costs about twice the INSERT itself.
    ``values`` names every column (a default the database fills in would be read
    back on first use). The table's primary key is one column; an id left out is
    the database's, read with RETURNING.
    """
    table = table_of(model)
    (key,) = table.primary_key.columns
    if key.name in values:
        session.execute(insert(table), values)
    else:
        written = session.execute(insert(table).returning(key), values).scalar_one()
        values = {**values, key.name: written}
    row = model(**values)
    make_transient_to_detached(row)  # as stored: persistent once added, with nothing to flush
    session.add(row)
    return row
