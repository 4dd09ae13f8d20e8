"""Undoing a load from its page (with a confirmation step) and from the API, over real HTTP."""

from __future__ import annotations

import datetime as dt
import json
from http import HTTPStatus
from typing import TYPE_CHECKING

import httpx
import pytest
from load_managers import SOURCE, TWO_CHILDREN, DataManager, loads_held
from sqlalchemy import func, select
from test_api_tokens import bearer, issue_token

from contactpoint.access.permissions import Permission
from contactpoint.access.policy import Role
from contactpoint.audit.events import Actor, record_view_event
from contactpoint.audit.models import AuditEventDetails, AuditEventRow
from contactpoint.audit.services import record
from contactpoint.directory.models import Child
from contactpoint.feeds.models import FeedLoad, LoadStatus
from contactpoint.linkage.models import LinkDecision, LinkOutcome
from contactpoint.provenance.models import Source, SourceRecord

import factories
from accounts import denials_of, form_token, make_account, open_session_for, session_cookie
from markup import parse_html, text_of_class

if TYPE_CHECKING:
    from collections.abc import Callable

    from fastapi import FastAPI

SCOPES = (Permission.FEEDS_LOAD_RUN, Permission.FEEDS_LOAD_SUBMIT)


@pytest.fixture
def http(live_server):
    with httpx.Client(base_url=live_server, timeout=60) as client:
        yield client


@pytest.fixture
def manager(app, http) -> DataManager:
    return DataManager(app, http)


def loaded(manager: DataManager, data: bytes = TWO_CHILDREN) -> int:
    response = manager.upload(data)
    assert response.status_code == HTTPStatus.SEE_OTHER, response.text
    return int(response.headers["location"].rsplit("/", 1)[-1])


def children(app: FastAPI) -> int:
    with app.state.sessions() as session:
        return int(session.scalar(select(func.count(Child.id))) or 0)


def status_of(app: FastAPI, load_id: int) -> LoadStatus:
    with app.state.sessions() as session:
        load = session.get(FeedLoad, load_id)
        assert load is not None
        return load.status


def last_load_event(app: FastAPI) -> tuple[int | None, dict[str, object]]:
    with app.state.sessions() as session:
        row = session.execute(
            select(AuditEventRow.actor_user_id, AuditEventDetails.details)
            .join(AuditEventDetails, AuditEventDetails.sequence == AuditEventRow.sequence)
            .where(AuditEventDetails.details.contains('"load_extract"'))
            .order_by(AuditEventRow.sequence.desc())
            .limit(1)
        ).one()
    return row[0], json.loads(row[1])


# --- What stops an undo: each refusal, set up after the load `load_id` ------------------


def later_load(manager: DataManager, load_id: int) -> None:
    loaded(manager)


def person_decided(manager: DataManager, load_id: int) -> None:
    with manager.app.state.sessions() as session:
        load = session.get(FeedLoad, load_id)
        record_ = session.scalars(select(SourceRecord).limit(1)).one()
        assert load is not None
        assert record_.child_id is not None
        session.add(
            LinkDecision(
                source_record_id=record_.id, child_id=record_.child_id,
                outcome=LinkOutcome.MERGED, match_weight=None, model_version="person",
                decided_at=load.started_at + dt.timedelta(seconds=1), decided_by="a reviewer",
            )
        )  # fmt: skip
        session.commit()


def child_opened(manager: DataManager, load_id: int) -> None:
    with manager.app.state.sessions() as session:
        number = session.scalars(select(Child.contactpoint_id).limit(1)).one()
        event = record_view_event(Actor.operator("tester"), contactpoint_id=number, reason="a test")
        record(session, event)
        session.commit()


REFUSALS: list[tuple[Callable[[DataManager, int], None], str]] = [
    (later_load, "came after load"),
    (person_decided, "a person has decided 1 match(es) since load"),
    (child_opened, "appears in the audit trail"),
]


# --- Pages -----------------------------------------------------------------------------


def test_a_completed_loads_page_offers_to_undo_it_and_asks_before_undoing(manager):
    load_id = loaded(manager)

    report = manager.get(f"/loads/{load_id}")
    confirm = manager.get(f"/loads/{load_id}/undo")

    assert f'href="/loads/{load_id}/undo"' in report.text
    assert confirm.status_code == HTTPStatus.OK
    page = parse_html(confirm.text)
    assert f"Are you sure you want to undo load {load_id}?" in confirm.text
    assert f'action="/loads/{load_id}/undo"' in confirm.text
    assert 'name="csrf_token"' in confirm.text
    assert "This cannot be reversed" in text_of_class(page, "govuk-warning-text")


def test_confirming_undoes_the_load_shows_it_undone_and_audits_it(app, manager):
    load_id = loaded(manager)
    assert children(app) == 2

    response = manager.post(f"/loads/{load_id}/undo")

    assert response.status_code == HTTPStatus.SEE_OTHER, response.text
    assert response.headers["location"] == f"/loads/{load_id}?undone=yes"
    report = manager.get(response.headers["location"])
    banner = text_of_class(parse_html(report.text), "app-load-undone")
    assert f"Load {load_id} was undone" in banner
    assert "Undone" in report.text
    assert f'href="/loads/{load_id}/undo"' not in report.text  # nothing more to undo
    assert (status_of(app, load_id), children(app)) == (LoadStatus.UNDONE, 0)
    actor, details = last_load_event(app)
    assert actor == manager.account.id
    assert (details["load_id"], details["status"]) == (load_id, "undone")


@pytest.mark.parametrize("refused", REFUSALS, ids=lambda refused: refused[0].__name__)
def test_an_undo_that_something_depends_on_is_refused_saying_why(app, manager, refused):
    refusal, reason = refused
    load_id = loaded(manager)
    refusal(manager, load_id)

    response = manager.post(f"/loads/{load_id}/undo")

    assert response.status_code == HTTPStatus.CONFLICT
    summary = text_of_class(parse_html(response.text), "govuk-error-summary")
    assert f"Load {load_id} cannot be undone" in summary
    assert reason in summary
    assert status_of(app, load_id) is LoadStatus.COMPLETED
    assert children(app) == 2


def test_an_undo_already_done_is_refused_saying_so(manager):
    load_id = loaded(manager)
    manager.post(f"/loads/{load_id}/undo")

    again = manager.post(f"/loads/{load_id}/undo")

    assert again.status_code == HTTPStatus.CONFLICT
    assert "only a completed load is undone" in again.text


def test_an_undo_without_the_form_token_changes_nothing(app, manager):
    load_id = loaded(manager)

    response = manager.post(f"/loads/{load_id}/undo", token="forged")  # noqa: S106 - not a password

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert status_of(app, load_id) is LoadStatus.COMPLETED


def test_an_unknown_load_cannot_be_undone(manager):
    assert manager.get("/loads/999/undo").status_code == HTTPStatus.NOT_FOUND
    token = form_token(manager.get("/sources").text)
    assert manager.post("/loads/999/undo", token=token).status_code == HTTPStatus.NOT_FOUND
    assert manager.get("/loads/x/undo").status_code == HTTPStatus.NOT_FOUND


def test_a_practitioner_cannot_undo_a_load_and_the_refusal_is_audited(app, http, manager):
    load_id = loaded(manager)
    practitioner = make_account(app, factories.practitioner)
    headers = session_cookie(open_session_for(app, practitioner, Role.PRACTITIONER))

    page = http.get(f"/loads/{load_id}/undo", headers=headers)
    posted = http.post(f"/loads/{load_id}/undo", headers=headers, data={"csrf_token": "x"})

    assert page.status_code == posted.status_code == HTTPStatus.FORBIDDEN
    assert denials_of(app, practitioner) == 2
    assert status_of(app, load_id) is LoadStatus.COMPLETED


def test_a_data_manager_cannot_undo_another_organisations_load(app, http, manager):
    load_id = loaded(manager)
    other_account = make_account(app, factories.data_manager)
    headers = session_cookie(open_session_for(app, other_account, Role.DATA_MANAGER))
    token = form_token(http.get("/sources", headers=headers).text)

    page = http.get(f"/loads/{load_id}/undo", headers=headers)
    posted = http.post(f"/loads/{load_id}/undo", headers=headers, data={"csrf_token": token})

    assert page.status_code == posted.status_code == HTTPStatus.FORBIDDEN
    assert denials_of(app, other_account) == 2
    assert status_of(app, load_id) is LoadStatus.COMPLETED


# --- API -------------------------------------------------------------------------------


@pytest.fixture
def api(app, manager) -> dict[str, str]:
    """The data manager's bearer token, allowed to run and submit loads."""
    return bearer(issue_token(app, manager.account, scopes=SCOPES, role=Role.DATA_MANAGER))


def test_the_api_undoes_a_load_and_its_report_shows_it_undone(app, http, manager, api):
    load_id = loaded(manager)

    response = http.post(f"/api/v1/loads/{load_id}/undo", headers=api)
    report = http.get(f"/api/v1/loads/{load_id}", headers=api)

    assert response.status_code == HTTPStatus.OK, response.text
    assert response.json() == {
        "id": load_id, "status": "undone", "records_removed": 2, "records_restored": 0,
        "children_removed": 2,
    }  # fmt: skip
    assert report.json()["status"] == "undone"
    assert children(app) == 0
    actor, details = last_load_event(app)
    assert (actor, details["status"]) == (manager.account.id, "undone")


@pytest.mark.parametrize("refused", REFUSALS, ids=lambda refused: refused[0].__name__)
def test_the_api_refuses_an_undo_that_something_depends_on_with_409_saying_why(
    app, http, manager, api, refused
):
    refusal, reason = refused
    load_id = loaded(manager)
    refusal(manager, load_id)

    response = http.post(f"/api/v1/loads/{load_id}/undo", headers=api)

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.headers["content-type"].startswith("application/problem+json")
    assert f"Load {load_id} cannot be undone" in response.json()["detail"]
    assert reason in response.json()["detail"]
    assert status_of(app, load_id) is LoadStatus.COMPLETED


def test_the_api_answers_404_for_an_unknown_load(http, manager, api):
    assert http.post("/api/v1/loads/999/undo", headers=api).status_code == HTTPStatus.NOT_FOUND


def test_a_token_without_the_load_run_scope_cannot_undo(app, http, manager):
    load_id = loaded(manager)
    submit_only = (Permission.FEEDS_LOAD_SUBMIT,)
    token = issue_token(app, manager.account, scopes=submit_only, role=Role.DATA_MANAGER)

    response = http.post(f"/api/v1/loads/{load_id}/undo", headers=bearer(token))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert status_of(app, load_id) is LoadStatus.COMPLETED


def test_the_api_refuses_another_organisations_load_and_audits_it(app, http, manager):
    load_id = loaded(manager)
    other = make_account(app, factories.data_manager)
    token = issue_token(app, other, scopes=SCOPES, role=Role.DATA_MANAGER)

    response = http.post(f"/api/v1/loads/{load_id}/undo", headers=bearer(token))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert denials_of(app, other) == 1
    assert status_of(app, load_id) is LoadStatus.COMPLETED
    assert loads_held(app) == 1


def test_a_source_record_of_the_undone_load_is_gone(app, http, manager, api):
    load_id = loaded(manager)
    http.post(f"/api/v1/loads/{load_id}/undo", headers=api)
    with app.state.sessions() as session:
        assert session.scalar(select(func.count(SourceRecord.id))) == 0
        assert session.scalars(select(Source.name)).all() == [SOURCE]  # the source stays
