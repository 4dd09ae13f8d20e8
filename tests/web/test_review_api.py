"""The review queue's API: the queue, evidence, decisions and splits, and clear 4xx answers."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from sqlalchemy import select
from test_api_tokens import bearer, issue_token

from contactpoint.access.models import UserAccount
from contactpoint.access.permissions import Permission
from contactpoint.linkage.models import ReviewItem
from contactpoint.provenance.models import SourceRecord
from linkage.test_review_support import ReviewDirectory

from accounts import Account

REVIEW = "/api/v1/review"


@pytest.fixture
def directory(app, tmp_path) -> ReviewDirectory:
    return ReviewDirectory(app.state.engine, tmp_path)


def _headers(app, user_id: int) -> dict[str, str]:
    with app.state.sessions() as session:
        account = Account(app, session.get(UserAccount, user_id))
    return bearer(issue_token(app, account, scopes=(Permission.LINKAGE_REVIEW_WORK,)))


def test_the_queue_evidence_and_accept_through_the_api(app, client, directory):
    items = directory.load_pairs()
    headers = _headers(app, directory.team_user_id)
    candidate = directory.child_of("health", "H1")

    queue = client.get(REVIEW, headers=headers).json()
    evidence = client.get(f"{REVIEW}/{items[0]}", headers=headers).json()
    accepted = client.post(f"{REVIEW}/{items[0]}/accept", headers=headers)
    again = client.post(f"{REVIEW}/{items[0]}/accept", headers=headers)

    assert [entry["item_id"] for entry in queue["items"]] == items
    assert (queue["page"], queue["pages"], queue["total"]) == (1, 1, 2)
    weights = evidence["prior"] + sum(part["weight"] for part in evidence["comparisons"])
    assert weights == pytest.approx(evidence["match_weight"])
    assert evidence["candidate_contactpoint_id"] == candidate
    assert accepted.json() == {
        "item_id": items[0],
        "status": "merged",
        "contactpoint_id": candidate,
    }
    assert again.status_code == HTTPStatus.CONFLICT
    assert again.headers["content-type"] == "application/problem+json"
    assert directory.links()["school/S1"] == candidate


def test_reject_and_split_through_the_api(app, client, directory):
    [first, second] = directory.load_pairs()
    merged_id = directory.child_of("school", "S1")
    headers = _headers(app, directory.team_user_id)

    rejected = client.post(f"{REVIEW}/{second}/reject", headers=headers)
    client.post(f"{REVIEW}/{first}/accept", headers=headers)
    survivor = directory.child_of("health", "H1")
    school_id = _record(app, "S1")
    split = client.post(
        f"{REVIEW}/children/{survivor}/split",
        json={"source_record_ids": [school_id]},
        headers=headers,
    )

    assert rejected.json()["status"] == "kept_separate"
    assert split.status_code == HTTPStatus.OK
    body = split.json()
    assert body["moved_source_record_ids"] == [school_id]
    assert directory.child_of("school", "S1") == body["new_contactpoint_id"] == merged_id
    assert merged_id != survivor
    assert (body["revived"], body["merged_ids_moved"]) == (True, [])


def test_a_split_answers_which_merged_away_ids_lead_to_the_revived_child(app, client, directory):
    """Amelia's health child, with her school child merged into it, merged into Oliver's."""
    [first, second] = directory.load_pairs()
    amelia_id = directory.child_of("health", "H1")
    school_id = directory.child_of("school", "S1")
    oliver_id = directory.child_of("health", "H2")
    headers = _headers(app, directory.team_user_id)
    client.post(f"{REVIEW}/{first}/accept", headers=headers)
    with app.state.sessions.begin() as session:
        session.get(ReviewItem, second).provisional_child_id = session.get(
            ReviewItem, first
        ).provisional_child_id
    client.post(f"{REVIEW}/{second}/accept", headers=headers)
    amelias = [_record(app, "H1"), _record(app, "S1")]

    split = client.post(
        f"{REVIEW}/children/{oliver_id}/split", json={"source_record_ids": amelias}, headers=headers
    )

    assert split.status_code == HTTPStatus.OK
    body = split.json()
    assert (body["new_contactpoint_id"], body["revived"]) == (amelia_id, True)
    assert body["merged_ids_moved"] == [school_id]
    assert set(body) == {"contactpoint_id", "new_contactpoint_id", "moved_source_record_ids",
                         "viewers", "revived", "merged_ids_moved"}  # fmt: skip


def test_a_split_to_a_new_child_answers_that_no_id_was_revived(app, client, directory):
    [item, _] = directory.load_pairs()
    headers = _headers(app, directory.team_user_id)
    client.post(f"{REVIEW}/{item}/accept", headers=headers)
    survivor = directory.child_of("health", "H1")
    health = [_record(app, "H1")]

    split = client.post(
        f"{REVIEW}/children/{survivor}/split", json={"source_record_ids": health}, headers=headers
    )

    body = split.json()
    assert body["new_contactpoint_id"] == directory.child_of("health", "H1") != survivor
    assert (body["revived"], body["merged_ids_moved"]) == (False, [])


def _record(app, record_key: str) -> int:
    with app.state.sessions() as session:
        found = session.scalars(
            select(SourceRecord.id).where(SourceRecord.record_key == record_key)
        )
        return found.one()


@pytest.mark.parametrize(
    "case",
    [
        ("GET", f"{REVIEW}/999999", None, HTTPStatus.NOT_FOUND),
        ("POST", f"{REVIEW}/999999/reject", None, HTTPStatus.NOT_FOUND),
        ("GET", f"{REVIEW}?page=0", None, HTTPStatus.UNPROCESSABLE_ENTITY),
        ("GET", f"{REVIEW}?page=9", None, HTTPStatus.NOT_FOUND),
        ("POST", f"{REVIEW}/children/000000000000/split", {"source_record_ids": [1]},
         HTTPStatus.NOT_FOUND),
        ("POST", f"{REVIEW}/children/SURVIVOR/split", {"source_record_ids": []},
         HTTPStatus.UNPROCESSABLE_ENTITY),
        ("POST", f"{REVIEW}/children/SURVIVOR/split", {"source_record_ids": [999999]},
         HTTPStatus.UNPROCESSABLE_ENTITY),
        ("POST", f"{REVIEW}/children/SURVIVOR/split", {"records": [1]},
         HTTPStatus.UNPROCESSABLE_ENTITY),
    ],
)  # fmt: skip
def test_bad_input_is_a_clear_client_error(app, client, directory, case):
    method, path, body, status = case
    directory.load_pairs()
    headers = _headers(app, directory.team_user_id)
    path = path.replace("SURVIVOR", directory.child_of("health", "H1"))

    response = client.request(method, path, json=body, headers=headers)

    assert response.status_code == status
    answer = response.json()
    assert answer.get("detail") or answer.get("errors")  # says why


def test_another_councils_team_is_refused_an_item(app, client, directory):
    [item, _] = directory.load_pairs()
    headers = _headers(app, directory.other_team_user_id)

    listed = client.get(REVIEW, headers=headers).json()
    refused = client.post(f"{REVIEW}/{item}/accept", headers=headers)

    assert listed["items"] == []
    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert directory.child_of("school", "S1") != directory.child_of("health", "H1")
