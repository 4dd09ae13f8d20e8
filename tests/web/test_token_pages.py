"""API tokens for a council's users: pages and API, within the team's reach only."""

from __future__ import annotations

from http import HTTPStatus

from test_api_tokens import bearer, issue_token

from contactpoint.access.models import ApiToken
from contactpoint.access.permissions import Permission
from contactpoint.access.policy import Role

import factories
from accounts import Account, denials_of, form_token, open_session_for, session_cookie
from markup import parse_html, text_of, text_of_class

USERS_API = "/api/v1/users"


def _team_and_colleagues(app):
    """A signed-in council team member; a colleague in the same council; a user elsewhere."""
    with app.state.sessions() as session:
        council = factories.council(session)
        team = factories.council_team(session, of=council)
        colleague = factories.council_team(session, of=council)
        theirs = factories.practitioner(session)
        session.commit()
        team_account = Account(app, team)
        ids = colleague.id, theirs.id
    cookie = session_cookie(open_session_for(app, team_account, Role.COUNCIL_TEAM))
    return cookie, team_account, *ids


def _post(client, cookie, page: str, action: str, fields: dict[str, str | list[str]]):
    token = form_token(client.get(page, headers=cookie).text)
    return client.post(
        action, data={"csrf_token": token, **fields}, headers=cookie, follow_redirects=False
    )


def _issue_on_page(client, cookie, user_id: int, **fields: str | list[str]):
    page = f"/users/{user_id}/tokens"
    wanted = {"role": "council_team", "scopes": ["access:user:manage"], "days": "30", **fields}
    return _post(client, cookie, page, page, wanted)


def _tokens(app) -> list[ApiToken]:
    with app.state.sessions() as session:
        tokens = list(session.query(ApiToken).order_by(ApiToken.id))
        session.expunge_all()
        return tokens


def _summary_links(response) -> set[str]:
    summary = parse_html(response.text).find(".//div[@data-module='govuk-error-summary']")
    assert summary is not None, "no error summary"
    return {a.get("href") for a in summary.iter("a")}


def test_issuing_shows_the_token_once_and_it_works_against_the_api(app, client):
    cookie, _, colleague, _ = _team_and_colleagues(app)

    issued = _issue_on_page(client, cookie, colleague)
    token = text_of_class(parse_html(issued.text), "app-api-token")
    listed = client.get(f"/users/{colleague}/tokens", headers=cookie)
    used = client.get(USERS_API, headers=bearer(token))

    assert issued.status_code == HTTPStatus.OK
    assert token.startswith("cpt_")
    assert "shown only once" in text_of(parse_html(issued.text), "main")
    assert token not in listed.text
    assert token[:12] in listed.text
    assert used.status_code == HTTPStatus.OK
    [api_token] = _tokens(app)
    assert api_token.user_id == colleague
    assert api_token.acting_role is Role.COUNCIL_TEAM
    assert api_token.scopes == "access:user:manage"
    assert (api_token.expires_at - api_token.created_at).days == 30
    assert api_token.last_used_at is not None


def test_revoking_on_the_page_stops_the_token_at_once(app, client):
    cookie, _, colleague, _ = _team_and_colleagues(app)
    token = text_of_class(
        parse_html(_issue_on_page(client, cookie, colleague).text), "app-api-token"
    )
    [api_token] = _tokens(app)
    page = f"/users/{colleague}/tokens"

    revoked = _post(client, cookie, page, f"{page}/{api_token.id}/revoke", {})
    used = client.get(USERS_API, headers=bearer(token))
    listed = client.get(page, headers=cookie)

    assert revoked.status_code == HTTPStatus.SEE_OTHER
    assert revoked.headers["location"] == page
    assert used.status_code == HTTPStatus.UNAUTHORIZED
    assert used.json()["detail"] == "The API token has been revoked."
    assert "Revoked" in text_of(parse_html(listed.text), "table")


def test_bad_input_gets_an_error_summary_linking_to_each_field(app, client):
    cookie, _, colleague, _ = _team_and_colleagues(app)
    page = f"/users/{colleague}/tokens"

    nothing = _post(client, cookie, page, page, {"days": "0"})
    beyond = _issue_on_page(client, cookie, colleague, scopes=["feeds:load:submit"], days="366")
    role = _issue_on_page(client, cookie, colleague, role="practitioner", days="ten")
    risky = _issue_on_page(client, cookie, colleague, scopes=["retention:subject_access:manage"])
    unknown = _issue_on_page(client, cookie, colleague, scopes=["everything"])
    superscript = _issue_on_page(client, cookie, colleague, days="²")

    for response in (nothing, beyond, role, risky, unknown, superscript):
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert text_of(parse_html(response.text), "title").startswith("Error: ")
    assert _summary_links(nothing) == {"#role", "#scopes", "#days"}
    assert _summary_links(beyond) == {"#scopes", "#days"}
    assert _summary_links(role) == {"#role", "#days"}
    assert _summary_links(risky) == _summary_links(unknown) == {"#scopes"}
    assert _summary_links(superscript) == {"#days"}
    assert 'value="retention:subject_access:manage"' not in nothing.text
    assert _tokens(app) == []


def test_a_user_of_another_council_is_not_found(app, client):
    cookie, _, colleague, theirs = _team_and_colleagues(app)
    page = f"/users/{colleague}/tokens"  # a form token from a page the team may see
    token_id = issue_token_for(app, theirs)

    seen = client.get(f"/users/{theirs}/tokens", headers=cookie)
    issued = _post(
        client,
        cookie,
        page,
        f"/users/{theirs}/tokens",
        {"role": "practitioner", "scopes": ["directory:child:search"], "days": "30"},
    )
    revoked = _post(client, cookie, page, f"/users/{theirs}/tokens/{token_id}/revoke", {})
    wrong_user = _post(client, cookie, page, f"{page}/{token_id}/revoke", {})

    assert {seen.status_code, issued.status_code, revoked.status_code, wrong_user.status_code} == {
        HTTPStatus.NOT_FOUND
    }
    assert [t.revoked_at for t in _tokens(app)] == [None]


def issue_token_for(app, user_id: int) -> int:
    """A practitioner's token, issued by the operator; its id."""
    with app.state.sessions() as session:
        account = Account(app, session.get(factories.UserAccount, user_id))
    issue_token(app, account, role=Role.PRACTITIONER, scopes=(Permission.DIRECTORY_CHILD_SEARCH,))
    return _tokens(app)[-1].id


def test_a_practitioner_is_refused_and_the_refusal_audited(app, client):
    with app.state.sessions() as session:
        practitioner = factories.practitioner(session)
        session.commit()
        account = Account(app, practitioner)
    cookie = session_cookie(open_session_for(app, account, Role.PRACTITIONER))

    response = client.get(f"/users/{account.id}/tokens", headers=cookie)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert denials_of(app, account) == 1


def test_the_user_page_links_to_the_tokens_page(app, client):
    cookie, _, colleague, _ = _team_and_colleagues(app)

    page = client.get(f"/users/{colleague}", headers=cookie)

    assert f'href="/users/{colleague}/tokens"' in page.text


# --- API -----------------------------------------------------------------------------


def _api_headers(app, team: Account) -> dict[str, str]:
    return bearer(issue_token(app, team, scopes=(Permission.ACCESS_API_TOKEN_MANAGE,)))


def test_the_api_issues_a_token_once_lists_it_and_revokes_it(app, client):
    _, team, colleague, _ = _team_and_colleagues(app)
    headers = _api_headers(app, team)
    wanted = {"role": "council_team", "scopes": ["access:user:manage"], "days": 7}

    created = client.post(f"{USERS_API}/{colleague}/tokens", json=wanted, headers=headers)
    token = created.json()["token"]
    works = client.get(USERS_API, headers=bearer(token))
    listed = client.get(f"{USERS_API}/{colleague}/tokens", headers=headers)
    prefix = created.json()["details"]["prefix"]
    revoked = client.post(f"/api/v1/tokens/{prefix}/revoke", headers=headers)
    refused = client.get(USERS_API, headers=bearer(token))

    assert created.status_code == HTTPStatus.CREATED
    assert created.json()["details"]["scopes"] == ["access:user:manage"]
    assert works.status_code == HTTPStatus.OK
    assert listed.status_code == HTTPStatus.OK
    assert [t["prefix"] for t in listed.json()] == [prefix]
    assert "token" not in listed.json()[0]
    assert token not in listed.text
    assert listed.json()[0]["last_used_at"] is not None
    assert revoked.status_code == HTTPStatus.OK
    assert revoked.json()["revoked_at"] is not None
    assert refused.status_code == HTTPStatus.UNAUTHORIZED


def test_the_api_names_the_field_of_bad_input(app, client):
    _, team, colleague, _ = _team_and_colleagues(app)
    headers = _api_headers(app, team)
    path = f"{USERS_API}/{colleague}/tokens"
    good = {"role": "council_team", "scopes": ["access:user:manage"], "days": 7}
    cases = {
        "days": {**good, "days": 366},
        "scopes": {**good, "scopes": []},
        "role": {**good, "role": "nobody"},
        "extra": {**good, "extra": "field"},
    }
    beyond = {**good, "scopes": ["feeds:load:submit"]}
    not_theirs = {**good, "role": "practitioner"}

    for name, body in cases.items():
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY, name
        assert ["body", name] in [e["location"] for e in response.json()["errors"]], name
    for name, body in (("scopes", beyond), ("role", not_theirs)):
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY, name
        assert [e["location"] for e in response.json()["errors"]] == [["body", name]]
    assert len(_tokens(app)) == 1  # only the caller's own


def test_the_api_answers_404_outside_the_council(app, client):
    _, team, _, theirs = _team_and_colleagues(app)
    headers = _api_headers(app, team)
    issue_token_for(app, theirs)
    their_prefix = _tokens(app)[-1].prefix
    wanted = {"role": "practitioner", "scopes": ["directory:child:search"], "days": 7}

    listed = client.get(f"{USERS_API}/{theirs}/tokens", headers=headers)
    created = client.post(f"{USERS_API}/{theirs}/tokens", json=wanted, headers=headers)
    revoked = client.post(f"/api/v1/tokens/{their_prefix}/revoke", headers=headers)
    unknown = client.post("/api/v1/tokens/cpt_nothing/revoke", headers=headers)

    statuses = {r.status_code for r in (listed, created, revoked, unknown)}
    assert statuses == {HTTPStatus.NOT_FOUND}
    assert all(t.revoked_at is None for t in _tokens(app))


def test_the_api_refuses_a_token_without_the_scope(app, client):
    _, team, colleague, _ = _team_and_colleagues(app)
    headers = bearer(issue_token(app, team))  # access:user:manage only

    response = client.get(f"{USERS_API}/{colleague}/tokens", headers=headers)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert denials_of(app, team) == 1


def test_a_control_character_typed_into_a_field_is_not_echoed_into_the_page(app, client):
    cookie, _, colleague, _ = _team_and_colleagues(app)

    response = _issue_on_page(client, cookie, colleague, days="3\x07")  # parsed strictly

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert _summary_links(response) == {"#days"}
    assert 'value="3"' in response.text
