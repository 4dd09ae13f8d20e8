"""Query pieces that both databases run well, for the bulk paths of loads and linkage."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, any_, bindparam, column, func, select
from sqlalchemy.dialects.postgresql import ARRAY

if TYPE_CHECKING:
    from sqlalchemy.orm import QueryableAttribute, Session


def one_of(session: Session, column_: QueryableAttribute[Any], values: Collection[object]) -> Any:
    """``column IN values`` sent as ONE parameter, however many values there are.

    An ordinary ``in_()`` binds each value separately: for the thousands of
    blocking keys of a load's chunk, building and compiling those parameters
    costs more than the query. PostgreSQL takes an array (``= ANY(:values)``);
    SQLite a JSON list read by ``json_each`` (text or integers, as the column holds).
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return column_ == any_(bindparam(None, list(values), type_=ARRAY(column_.expression.type)))
    listed = func.json_each(bindparam(None, json.dumps(list(values)), type_=String))
    return column_.in_(select(column("value")).select_from(listed))
