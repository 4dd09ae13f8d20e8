"""FastAPI dependencies shared by every view: the database and the clock, from create_app."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from sqlalchemy.orm import sessionmaker


def _database_session(request: Request) -> Iterator[Session]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    with sessions() as session:
        yield session


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def now_for(request: Request) -> dt.datetime:
    """The app's clock (tests replace ``app.state.clock`` to fix the time)."""
    clock: Callable[[], dt.datetime] = request.app.state.clock
    return clock()


def client_key(request: Request) -> str:
    """Where a request comes from, for throttling sign-in attempts."""
    return request.client.host if request.client is not None else "unknown"


DatabaseSession = Annotated[Session, Depends(_database_session)]
Now = Annotated[dt.datetime, Depends(now_for)]
