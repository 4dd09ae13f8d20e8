"""The review pages in process: the queue, the evidence, accept and keep separate, splits."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from sqlalchemy import select

from contactpoint.access.models import UserAccount
from contactpoint.access.policy import Role
from contactpoint.directory.services import find_child
from contactpoint.provenance.models import SourceRecord
from linkage.test_review_support import ReviewDirectory

from accounts import Account, denials_of, form_token, open_session_for, session_cookie
from markup import parse_html, text_of, text_of_class


@pytest.fixture
def directory(app, tmp_path) -> ReviewDirectory:
    return ReviewDirectory(app.state.engine, tmp_path)


def _signed_in(app, user_id: int) -> tuple[Account, dict[str, str]]:
    with app.state.sessions() as session:
        account = Account(app, session.get(UserAccount, user_id))
    return account, session_cookie(open_session_for(app, account, Role.COUNCIL_TEAM))


def _post(client, page: str, action: str, cookie: dict[str, str], **fields):
    token = form_token(client.get(page, headers=cookie).text)
    data = {"csrf_token": token, **fields}
    return client.post(action, data=data, headers=cookie, follow_redirects=False)


def test_the_queue_lists_the_councils_items_and_links_to_each(app, client, directory):
    items = directory.load_pairs()
    _, cookie = _signed_in(app, directory.team_user_id)

    response = client.get("/review", headers=cookie)
    page = parse_html(response.text)

    assert response.status_code == HTTPStatus.OK
    assert text_of(page, "h1") == "Matches to review"
    assert "2 records waiting" in text_of_class(page, "app-review-queue")
    hrefs = [a.get("href") for a in page.iter("a")]
    assert [f"/review/{item}" for item in items] == [h for h in hrefs if h.startswith("/review/")]


def test_another_councils_team_sees_an_empty_queue_and_is_refused_the_item(app, client, directory):
    [item, _] = directory.load_pairs()
    account, cookie = _signed_in(app, directory.other_team_user_id)

    queue = client.get("/review", headers=cookie)
    refused = client.get(f"/review/{item}", headers=cookie)

    assert "There are no matches waiting" in queue.text
    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert denials_of(app, account) == 1


def test_the_item_page_sets_the_records_side_by_side_with_the_weights(app, client, directory):
    [item, _] = directory.load_pairs()
    _, cookie = _signed_in(app, directory.team_user_id)

    page = parse_html(client.get(f"/review/{item}", headers=cookie).text)

    assert "24 July 2014" in text_of_class(page, "app-incoming")
    assert "21 July 2014" in text_of_class(page, "app-candidate")
    comparisons = text_of_class(page, "app-comparisons")
    assert "Date of birth" in comparisons
    assert "one digit or day" in comparisons
    buttons = [b.text for b in page.iter("button")]
    assert "Accept: the same child" in buttons
    assert "Keep separate" in buttons


def test_accepting_merges_and_the_merged_id_leads_to_the_survivor(app, client, directory):
    [item, _] = directory.load_pairs()
    provisional = directory.child_of("school", "S1")
    candidate = directory.child_of("health", "H1")
    _, cookie = _signed_in(app, directory.team_user_id)

    response = _post(client, f"/review/{item}", f"/review/{item}/accept", cookie)
    again = _post(client, "/review", f"/review/{item}/reject", cookie)

    assert response.status_code == HTTPStatus.OK
    assert _panel_id(parse_html(response.text)) == candidate
    with app.state.sessions() as session:
        assert find_child(session, provisional).contactpoint_id == candidate
    assert again.status_code == HTTPStatus.CONFLICT
    assert "already been decided" in again.text


def test_keeping_separate_leaves_the_children_apart(app, client, directory):
    [_, item] = directory.load_pairs()
    _, cookie = _signed_in(app, directory.team_user_id)

    response = _post(client, f"/review/{item}", f"/review/{item}/reject", cookie)
    page = parse_html(response.text)

    assert response.status_code == HTTPStatus.OK
    assert text_of(page, "h1") == "Kept separate"
    assert _panel_id(page) == directory.child_of("school", "S2")
    assert directory.child_of("school", "S2") != directory.child_of("health", "H2")


@pytest.mark.parametrize("path", ["/review/999999", "/review/999999/accept"])
def test_an_unknown_item_is_not_found(app, client, directory, path):
    _, cookie = _signed_in(app, directory.team_user_id)

    if path.endswith("accept"):
        response = _post(client, "/review", path, cookie)
    else:
        response = client.get(path, headers=cookie)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert "There is no review item 999999" in response.text


@pytest.mark.parametrize("page", ["0", "x", "3"])
def test_a_bad_page_number_is_a_client_error(app, client, directory, page):
    _, cookie = _signed_in(app, directory.team_user_id)

    response = client.get(f"/review?page={page}", headers=cookie)

    assert response.status_code in {HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND}
    assert "page" in text_of_class(parse_html(response.text), "app-problem")


def test_splitting_from_the_page_gives_the_merged_id_back_and_lists_who_viewed(
    app, client, directory
):
    [item, _] = directory.load_pairs()
    merged_id = directory.child_of("school", "S1")
    account, cookie = _signed_in(app, directory.team_user_id)
    _post(client, f"/review/{item}", f"/review/{item}/accept", cookie)  # views, then merges
    survivor = directory.child_of("health", "H1")
    split_path = f"/children/{survivor}/split"

    form = client.get(split_path, headers=cookie)
    response = _post(client, split_path, split_path, cookie, records=_record(app, "S1"))
    page = parse_html(response.text)

    assert form.status_code == HTTPStatus.OK
    assert response.status_code == HTTPStatus.OK
    assert directory.child_of("school", "S1") == merged_id != survivor
    assert f"They belong again to child {merged_id}" in text_of_class(page, "govuk-panel")
    assert _panel_id(page) == merged_id
    assert "leads to its own records again" in text_of_class(page, "app-moved-ids")
    assert str(account.id) in text_of_class(page, "app-viewers")


def test_splitting_off_records_no_merged_child_brought_makes_a_new_child(app, client, directory):
    [item, _] = directory.load_pairs()
    _, cookie = _signed_in(app, directory.team_user_id)
    _post(client, f"/review/{item}", f"/review/{item}/accept", cookie)
    survivor = directory.child_of("health", "H1")
    split_path = f"/children/{survivor}/split"

    response = _post(client, split_path, split_path, cookie, records=_record(app, "H1"))
    page = parse_html(response.text)

    new_child = directory.child_of("health", "H1")
    assert new_child != survivor
    assert f"They now belong to new child {new_child}" in text_of_class(page, "govuk-panel")
    assert "app-moved-ids" not in response.text


def _panel_id(page) -> str:
    """The ContactPoint ID in the panel, in a real ``<strong>`` element, not escaped markup."""
    panel = next(e for e in page.iter() if "govuk-panel" in e.get("class", "").split())
    assert "<strong" not in "".join(panel.itertext())
    strong = panel.find(".//strong[@class='app-contactpoint-id']")
    assert strong is not None, "no <strong class=app-contactpoint-id> in the panel"
    return "".join(strong.itertext()).strip()


def _record(app, record_key: str) -> str:
    with app.state.sessions() as session:
        found = session.scalars(
            select(SourceRecord.id).where(SourceRecord.record_key == record_key)
        )
        return str(found.one())


@pytest.mark.parametrize("records", [None, "all", "stranger", "not-a-number"])
def test_a_split_that_makes_no_sense_shows_the_problem_on_the_form(app, client, directory, records):
    [item, _] = directory.load_pairs()
    _, cookie = _signed_in(app, directory.team_user_id)
    _post(client, f"/review/{item}", f"/review/{item}/accept", cookie)
    survivor = directory.child_of("health", "H1")
    with app.state.sessions() as session:
        child = find_child(session, survivor)
        ids = {
            "all": [str(r) for r in session.scalars(
                select(SourceRecord.id).where(SourceRecord.child_id == child.id))],
            "stranger": [str(r) for r in session.scalars(
                select(SourceRecord.id).where(SourceRecord.child_id != child.id))],
            "not-a-number": ["12x"],
            None: [],
        }[records]  # fmt: skip
    split_path = f"/children/{survivor}/split"

    response = _post(client, split_path, split_path, cookie, records=ids)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert text_of_class(parse_html(response.text), "govuk-error-summary")
    assert directory.child_of("school", "S1") == survivor  # nothing moved


def test_splitting_an_unknown_child_is_not_found(app, client, directory):
    _, cookie = _signed_in(app, directory.team_user_id)

    response = client.get("/children/not-an-id/split", headers=cookie)

    assert response.status_code == HTTPStatus.NOT_FOUND
