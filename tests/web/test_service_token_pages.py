"""API tokens for organisations' systems (service accounts): pages and API, within reach."""

from __future__ import annotations

import json
from http import HTTPStatus

from sqlalchemy import select
from test_api_tokens import bearer, issue_token

from contactpoint.access.models import ApiToken
from contactpoint.access.permissions import Permission
from contactpoint.access.policy import Role, principal_for_operator
from contactpoint.access.tokens import issue_token_for_service_account
from contactpoint.audit.events import ActorKind, EventType, Outcome
from contactpoint.audit.models import AuditEventDetails, AuditEventRow
from contactpoint.organisations.models import Organisation

import factories
from accounts import Account, denials_of, form_token, open_session_for, session_cookie
from factories import NOW
from markup import parse_html, text_of, text_of_class

PAGE = "/service-tokens"
API = "/api/v1/service-tokens"
LOADS = "/api/test-only/loads"  # needs feeds:load:submit, which a system's token may carry


class Reach:
    """A signed-in council team member, an organisation in their area and one elsewhere."""

    def __init__(self, app) -> None:
        with app.state.sessions() as session:
            council = factories.council(session)
            team = factories.council_team(session, of=council)
            school = factories.accredited_organisation(session, in_council=council)
            elsewhere = factories.accredited_organisation(session)  # another council's
            session.commit()
            self.team = Account(app, team)
            self.council, self.school, self.elsewhere = council.id, school.id, elsewhere.id
            self.names = {school.id: school.name, elsewhere.id: elsewhere.name}
        token = open_session_for(app, self.team, Role.COUNCIL_TEAM)
        self.cookie = session_cookie(token)


def _post(client, cookie, action: str, fields: dict[str, str | list[str]]):
    token = form_token(client.get(PAGE, headers=cookie).text)
    return client.post(
        action, data={"csrf_token": token, **fields}, headers=cookie, follow_redirects=False
    )


def _issue_on_page(client, reach: Reach, **fields: str | list[str]):
    wanted = {
        "organisation": str(reach.school),
        "name": "Feed sender",
        "scopes": ["feeds:load:submit"],
        "days": "30",
        **fields,
    }
    return _post(client, reach.cookie, PAGE, wanted)


def _tokens(app) -> list[ApiToken]:
    with app.state.sessions() as session:
        tokens = list(session.scalars(select(ApiToken).order_by(ApiToken.id)))
        session.expunge_all()
        return tokens


def _issue_for(app, organisation_id: int, name: str = "Their system") -> ApiToken:
    """A system's token issued by the operator (for an organisation out of a test's reach)."""
    with app.state.sessions() as session:
        organisation = session.get(Organisation, organisation_id)
        issued = issue_token_for_service_account(
            session,
            by=principal_for_operator("tester"),
            name=name,
            organisation=organisation,
            scopes=[Permission.FEEDS_LOAD_SUBMIT],
            now=NOW,
        )
        session.commit()
        session.expunge_all()
        return issued.api_token


def _summary_links(response) -> set[str]:
    summary = parse_html(response.text).find(".//div[@data-module='govuk-error-summary']")
    assert summary is not None, "no error summary"
    return {a.get("href") for a in summary.iter("a")}


def _last_event(app) -> tuple[AuditEventRow, dict]:
    with app.state.sessions() as session:
        event = session.scalars(
            select(AuditEventRow).order_by(AuditEventRow.sequence.desc()).limit(1)
        ).one()
        details = json.loads(session.get(AuditEventDetails, event.sequence).details)
        session.expunge_all()
        return event, details


# --- Pages ---------------------------------------------------------------------------


def test_issuing_shows_the_token_once_and_the_system_can_use_it(app, client):
    reach = Reach(app)

    issued = _issue_on_page(client, reach)
    token = text_of_class(parse_html(issued.text), "app-api-token")
    listed = client.get(PAGE, headers=reach.cookie)
    used = client.get(LOADS, headers=bearer(token))

    assert issued.status_code == HTTPStatus.OK
    assert token.startswith("cpt_")
    assert "shown only once" in text_of(parse_html(issued.text), "main")
    assert f"Feed sender, of {reach.names[reach.school]}" in text_of(
        parse_html(issued.text), "main"
    )
    assert token not in listed.text
    assert token[:12] in text_of(parse_html(listed.text), "table")
    assert used.status_code == HTTPStatus.OK
    [api_token] = _tokens(app)
    assert api_token.organisation_id == reach.school
    assert api_token.user_id is None
    assert api_token.service_account == "Feed sender"
    assert api_token.scopes == "feeds:load:submit"
    assert (api_token.expires_at - api_token.created_at).days == 30
    event, details = _last_event(app)
    assert event.event_type is EventType.ADMIN_ACTION  # the issue, audited by the domain
    assert event.actor_user_id == reach.team.id
    assert details["action"] == "issue_api_token"


def test_the_page_offers_only_organisations_within_reach_and_a_systems_scopes(app, client):
    reach = Reach(app)

    page = parse_html(client.get(PAGE, headers=reach.cookie).text)

    offered = {option.get("value") for option in page.iter("option")}
    assert offered == {"", str(reach.council), str(reach.school)}
    scopes = {box.get("value") for box in page.iter("input") if box.get("name") == "scopes"}
    assert scopes == {
        "directory:child:search",
        "directory:child:view",
        "directory:involvement:record",
        "feeds:load:submit",
    }


def test_revoking_on_the_page_stops_the_token_and_its_next_use_is_audited(app, client):
    reach = Reach(app)
    token = text_of_class(parse_html(_issue_on_page(client, reach).text), "app-api-token")
    [api_token] = _tokens(app)

    revoked = _post(client, reach.cookie, f"{PAGE}/{api_token.id}/revoke", {})
    used = client.get(LOADS, headers=bearer(token))
    listed = client.get(PAGE, headers=reach.cookie)

    assert revoked.status_code == HTTPStatus.SEE_OTHER
    assert revoked.headers["location"] == PAGE
    assert used.status_code == HTTPStatus.UNAUTHORIZED
    assert used.json()["detail"] == "The API token has been revoked."
    assert "Revoked" in text_of(parse_html(listed.text), "table")
    event, details = _last_event(app)
    assert (event.event_type, event.outcome) == (EventType.SIGN_IN, Outcome.DENIED)
    assert event.actor_kind is ActorKind.SERVICE
    assert event.actor_organisation_id == reach.school
    assert event.session_ref == f"api_token:{api_token.id}"
    assert details == {"method": "api_token", "failure": "revoked"}
    assert "Feed sender" not in json.dumps(details) + (event.actor_label or "")


def test_bad_input_gets_an_error_summary_linking_to_each_field(app, client):
    reach = Reach(app)

    nothing = _post(client, reach.cookie, PAGE, {"days": "0"})
    beyond = _issue_on_page(client, reach, scopes=["access:user:manage"], days="366")
    unknown = _issue_on_page(client, reach, organisation="99999", scopes=["everything"])
    elsewhere = _issue_on_page(client, reach, organisation=str(reach.elsewhere))
    not_a_number = _issue_on_page(client, reach, organisation="1e3", days="²")
    too_long = _issue_on_page(client, reach, name="x" * 101)
    blank = _issue_on_page(client, reach, name="   ")
    control = _issue_on_page(client, reach, name="Feed\x07sender")

    responses = (nothing, beyond, unknown, elsewhere, not_a_number, too_long, blank, control)
    for response in responses:
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert text_of(parse_html(response.text), "title").startswith("Error: ")
    assert _summary_links(nothing) == {"#organisation", "#name", "#scopes", "#days"}
    assert _summary_links(beyond) == {"#scopes", "#days"}
    assert _summary_links(unknown) == {"#organisation", "#scopes"}
    assert _summary_links(elsewhere) == {"#organisation"}
    assert _summary_links(not_a_number) == {"#organisation", "#days"}
    assert _summary_links(too_long) == _summary_links(blank) == _summary_links(control)
    assert _summary_links(control) == {"#name"}
    assert "100 characters or fewer" in text_of(parse_html(too_long.text), "main")
    assert _tokens(app) == []


def test_another_councils_systems_tokens_are_neither_listed_nor_revoked(app, client):
    reach = Reach(app)
    theirs = _issue_for(app, reach.elsewhere)

    listed = client.get(PAGE, headers=reach.cookie)
    revoked = _post(client, reach.cookie, f"{PAGE}/{theirs.id}/revoke", {})
    no_such = _post(client, reach.cookie, f"{PAGE}/999999/revoke", {})

    assert theirs.prefix not in listed.text
    assert reach.names[reach.elsewhere] not in listed.text
    assert revoked.status_code == no_such.status_code == HTTPStatus.NOT_FOUND
    assert [t.revoked_at for t in _tokens(app)] == [None]


def test_a_users_token_is_not_revoked_from_the_systems_page(app, client):
    reach = Reach(app)
    with app.state.sessions() as session:
        colleague = factories.practitioner(
            session,
            organisation_of=session.get(Organisation, reach.school),
        )
        session.commit()
        account = Account(app, colleague)
    issue_token(app, account, role=Role.PRACTITIONER, scopes=(Permission.DIRECTORY_CHILD_SEARCH,))
    [users_token] = _tokens(app)

    revoked = _post(client, reach.cookie, f"{PAGE}/{users_token.id}/revoke", {})

    assert revoked.status_code == HTTPStatus.NOT_FOUND
    assert _tokens(app)[0].revoked_at is None


def test_a_national_administrator_manages_any_organisations_systems(app, client):
    reach = Reach(app)
    with app.state.sessions() as session:
        admin = Account(app, factories.national_administrator(session))
        session.commit()
    cookie = session_cookie(open_session_for(app, admin, Role.NATIONAL_ADMINISTRATOR))
    theirs = _issue_for(app, reach.elsewhere)

    page = client.get(PAGE, headers=cookie)
    offered = {option.get("value") for option in parse_html(page.text).iter("option")}
    issued = _post(
        client,
        cookie,
        PAGE,
        {
            "organisation": str(reach.school),
            "name": "Case system",
            "scopes": ["directory:child:search"],
            "days": "7",
        },
    )

    assert {str(reach.school), str(reach.elsewhere)} <= offered
    assert theirs.prefix in page.text
    assert issued.status_code == HTTPStatus.OK
    assert [t.organisation_id for t in _tokens(app)] == [reach.elsewhere, reach.school]


def test_a_practitioner_is_refused_and_the_refusal_audited(app, client):
    with app.state.sessions() as session:
        account = Account(app, factories.practitioner(session))
        session.commit()
    cookie = session_cookie(open_session_for(app, account, Role.PRACTITIONER))

    response = client.get(PAGE, headers=cookie)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert denials_of(app, account) == 1


# --- API -----------------------------------------------------------------------------


def _api_headers(app, reach: Reach) -> dict[str, str]:
    return bearer(issue_token(app, reach.team, scopes=(Permission.ACCESS_API_TOKEN_MANAGE,)))


def _good(reach: Reach) -> dict[str, object]:
    return {
        "organisation_id": reach.school,
        "name": "Case system",
        "scopes": ["directory:child:search", "feeds:load:submit"],
        "days": 7,
    }


def test_the_api_issues_a_systems_token_once_lists_it_and_revokes_it(app, client):
    reach = Reach(app)
    headers = _api_headers(app, reach)

    created = client.post(API, json=_good(reach), headers=headers)
    token = created.json()["token"]
    works = client.get(LOADS, headers=bearer(token))
    listed = client.get(API, headers=headers)
    prefix = created.json()["details"]["prefix"]
    revoked = client.post(f"/api/v1/tokens/{prefix}/revoke", headers=headers)
    refused = client.get(LOADS, headers=bearer(token))

    assert created.status_code == HTTPStatus.CREATED
    assert created.json()["details"]["organisation_id"] == reach.school
    assert created.json()["details"]["name"] == "Case system"
    assert created.json()["details"]["scopes"] == ["directory:child:search", "feeds:load:submit"]
    assert works.status_code == HTTPStatus.OK
    assert listed.status_code == HTTPStatus.OK
    assert [t["prefix"] for t in listed.json()] == [prefix]  # not the caller's own user token
    assert token not in listed.text
    assert listed.json()[0]["last_used_at"] is not None
    assert revoked.status_code == HTTPStatus.OK
    assert revoked.json()["revoked_at"] is not None
    assert refused.status_code == HTTPStatus.UNAUTHORIZED


def test_the_api_lists_one_organisations_tokens_and_not_another_councils(app, client):
    reach = Reach(app)
    headers = _api_headers(app, reach)
    client.post(API, json=_good(reach), headers=headers)
    client.post(API, json={**_good(reach), "organisation_id": reach.council}, headers=headers)
    _issue_for(app, reach.elsewhere)

    everything = client.get(API, headers=headers)
    school = client.get(API, params={"organisation_id": reach.school}, headers=headers)
    elsewhere = client.get(API, params={"organisation_id": reach.elsewhere}, headers=headers)
    nowhere = client.get(API, params={"organisation_id": 99999}, headers=headers)
    malformed = client.get(API, params={"organisation_id": "school"}, headers=headers)

    assert {t["organisation_id"] for t in everything.json()} == {reach.school, reach.council}
    assert [t["organisation_id"] for t in school.json()] == [reach.school]
    assert elsewhere.status_code == nowhere.status_code == HTTPStatus.NOT_FOUND
    assert elsewhere.json()["detail"] == nowhere.json()["detail"]
    assert malformed.status_code == HTTPStatus.UNPROCESSABLE_ENTITY


def test_the_api_names_the_field_of_bad_input(app, client):
    reach = Reach(app)
    headers = _api_headers(app, reach)
    good = _good(reach)
    cases = {
        "organisation_id": [
            {**good, "organisation_id": 99999},
            {**good, "organisation_id": reach.elsewhere},
            {**good, "organisation_id": 0},
            {**good, "organisation_id": 2**40},
        ],
        "name": [
            {**good, "name": ""},
            {**good, "name": "   "},
            {**good, "name": "x" * 101},
            {**good, "name": "Case\x00system"},
        ],
        "scopes": [
            {**good, "scopes": []},
            {**good, "scopes": ["access:user:manage"]},
            {**good, "scopes": ["retention:subject_access:manage"]},
            {**good, "scopes": ["everything"]},
        ],
        "days": [{**good, "days": 0}, {**good, "days": 366}],
        "extra": [{**good, "extra": "field"}],
    }

    for name, bodies in cases.items():
        for body in bodies:
            response = client.post(API, json=body, headers=headers)
            assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY, body
            locations = [e["location"][:2] for e in response.json()["errors"]]
            assert ["body", name] in locations, (body, locations)
    assert len(_tokens(app)) == 1  # only the caller's own


def test_an_organisation_beyond_reach_is_told_apart_from_none_by_nothing(app, client):
    reach = Reach(app)
    headers = _api_headers(app, reach)

    unknown = client.post(API, json={**_good(reach), "organisation_id": 99999}, headers=headers)
    beyond = client.post(
        API, json={**_good(reach), "organisation_id": reach.elsewhere}, headers=headers
    )

    assert unknown.json()["errors"] == beyond.json()["errors"]
    assert "There is no organisation with that id" in unknown.json()["errors"][0]["message"]


def test_a_systems_token_cannot_manage_tokens(app, client):
    reach = Reach(app)
    headers = _api_headers(app, reach)
    token = client.post(API, json=_good(reach), headers=headers).json()["token"]

    listed = client.get(API, headers=bearer(token))

    assert listed.status_code == HTTPStatus.FORBIDDEN
    event, details = _last_event(app)
    assert (event.event_type, event.actor_kind) == (EventType.ACCESS_DENIED, ActorKind.SERVICE)
    assert details["permission"] == "access:api_token:manage"
