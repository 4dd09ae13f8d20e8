"""A signed-in data manager with a source, using the load pages over real HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from contactpoint.access.policy import Role
from contactpoint.feeds.models import FeedLoad
from contactpoint.provenance.models import Source, SourceKind

import factories
from accounts import Account, form_token, open_session_for, session_cookie
from markup import parse_html

if TYPE_CHECKING:
    import httpx
    from fastapi import FastAPI

SOURCE = "oxford_social_care"
HEADER = "record_id,given_name,family_name,date_of_birth,postcode"
TWO_CHILDREN = (
    f"{HEADER}\r\nR1,Amelia,Barton,2014-07-21,OX5 9JP\r\nR2,Oliver,Hughes,2015-02-03,OX2 6GG\r\n"
).encode()
DATE = {"extracted_on-day": "20", "extracted_on-month": "11", "extracted_on-year": "2026"}


class DataManager:
    """A data manager of an organisation with the local source ``oxford_social_care``."""

    def __init__(self, app: FastAPI, http: httpx.Client) -> None:
        with app.state.sessions() as session:
            user = factories.data_manager(session)
            session.add(Source(name=SOURCE, kind=SourceKind.LOCAL, organisation=user.organisation))
            session.commit()
            self.account = Account(app, user)
        self.app, self.http = app, http
        self.headers = session_cookie(open_session_for(app, self.account, Role.DATA_MANAGER))

    def get(self, path: str) -> httpx.Response:
        return self.checked(self.http.get(path, headers=self.headers, follow_redirects=False))

    def post(self, path: str, *, token: str | None = None, **form: str) -> httpx.Response:
        """Post a form as the page at ``path`` would (its own form token unless given)."""
        token = form_token(self.get(path).text) if token is None else token
        response = self.http.post(
            path, data={"csrf_token": token, **form}, headers=self.headers, follow_redirects=False
        )
        return self.checked(response)

    def upload(
        self,
        data: bytes,
        *,
        file_name: str = "children.csv",
        token: str | None = None,
        **fields: Any,
    ) -> httpx.Response:
        path = f"/sources/{SOURCE}/upload"
        token = form_token(self.get(path).text) if token is None else token
        form = {"csrf_token": token, "feed": "children", "mode": "full", **DATE, **fields}
        response = self.http.post(
            path,
            data=form,
            files={"extract": (file_name, data, "application/octet-stream")},
            headers=self.headers,
            follow_redirects=False,
        )
        return self.checked(response)

    @staticmethod
    def checked(response: httpx.Response) -> httpx.Response:
        if response.headers.get("content-type", "").startswith("text/html"):
            parse_html(response.text)  # fails on malformed markup
        return response


def loads_held(app: FastAPI) -> int:
    with app.state.sessions() as session:
        return int(session.scalar(select(func.count(FeedLoad.id))) or 0)
