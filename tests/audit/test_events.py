"""Typed audit events and the chain's canonical serialisation (no database)."""

from __future__ import annotations

import datetime as dt
import enum
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contactpoint.audit import checkpoints, events, reports, rules, services
from contactpoint.audit.events import (
    WITHHELD,
    Actor,
    ActorKind,
    EventType,
    Outcome,
    Subject,
    SubjectKind,
    access_denied_event,
    admin_action_event,
    export_event,
    record_change_event,
    record_view_event,
    search_event,
    second_factor_set_up_event,
    shield_override_event,
    sign_in_event,
    sign_out_event,
)
from contactpoint.audit.rules import CHAINED_COLUMNS, GENESIS_HASH, canonical_json, chain_hash
from contactpoint.identifiers import InvalidIdentifierError

from tampering import PRACTITIONER, contactpoint_id

CHILD = contactpoint_id(1)
OTHER_CHILD = contactpoint_id(2)


def test_a_search_event_keeps_its_terms_and_the_contactpoint_id_of_every_result_in_order():
    event = search_event(
        PRACTITIONER,
        terms={"family_name": "Ng", "date_of_birth": dt.date(2015, 3, 14)},
        results=[OTHER_CHILD, CHILD],
    )
    assert event.event_type is EventType.SEARCH
    assert event.outcome is Outcome.SUCCESS
    assert event.actor == PRACTITIONER
    assert event.details == {
        "terms": {"family_name": "Ng", "date_of_birth": "2015-03-14"},
        "results": [OTHER_CHILD, CHILD],
        "too_many_matches": False,
    }


def test_search_results_must_be_contactpoint_ids_so_no_name_can_pass_as_one():
    with pytest.raises(InvalidIdentifierError):
        search_event(PRACTITIONER, terms={}, results=["Amelia Testerton"])


def test_a_record_view_names_the_child_by_contactpoint_id_and_keeps_the_reason():
    event = record_view_event(PRACTITIONER, contactpoint_id=CHILD, reason="  home visit  ")
    assert event.subject == Subject(SubjectKind.CHILD, CHILD)
    assert event.details == {"reason": "home visit"}


def test_a_record_view_without_a_reason_is_refused():
    with pytest.raises(ValueError, match="reason is required"):
        record_view_event(PRACTITIONER, contactpoint_id=CHILD, reason="   ")


def test_a_change_keeps_old_and_new_values_as_plain_text():
    class Colour(enum.StrEnum):
        RED = "red"

    event = record_change_event(
        PRACTITIONER,
        subject=Subject.child(CHILD),
        changes={"postcode": ("OX2 6GG", "OX4 1AA"), "ended_on": (None, dt.date(2026, 1, 2))}
        | {"colour": (None, Colour.RED)},
    )
    assert event.event_type is EventType.RECORD_CHANGE
    assert event.details["changes"] == {
        "postcode": {"old": "OX2 6GG", "new": "OX4 1AA"},
        "ended_on": {"old": None, "new": "2026-01-02"},
        "colour": {"old": None, "new": "red"},
    }


def test_a_change_with_nothing_changed_is_refused():
    with pytest.raises(ValueError, match="at least one"):
        record_change_event(PRACTITIONER, subject=Subject.child(CHILD), changes={})


def test_a_value_the_trail_cannot_keep_exactly_is_refused():
    with pytest.raises(TypeError, match="plain value"):
        record_change_event(PRACTITIONER, subject=Subject.user(1), changes={"x": (b"a", b"b")})


def test_a_denied_access_has_the_denied_outcome_the_permission_and_the_route_template():
    event = access_denied_event(
        PRACTITIONER, permission="child:record:view", route="/children/{cpid}"
    )
    assert event.outcome is Outcome.DENIED
    assert event.details == {"permission": "child:record:view", "route": "/children/{cpid}"}


def test_a_denied_access_refuses_a_url_with_a_query_string_which_can_hold_search_terms():
    with pytest.raises(ValueError, match="query string"):
        access_denied_event(PRACTITIONER, permission="child:search", route="/search?name=Ng")


def test_a_reauthentication_prompt_is_a_denied_sign_in_step_not_an_access_denied():
    event = events.reauthentication_required_event(
        PRACTITIONER, permission="directory:shield:override", route="/children/{cpid}/override"
    )
    assert event.event_type is EventType.SIGN_IN
    assert event.outcome is Outcome.DENIED
    assert event.details == {
        "method": "reauthenticate",
        "failure": "reauthentication_required",
        "permission": "directory:shield:override",
        "route": "/children/{cpid}/override",
    }
    with pytest.raises(ValueError, match="query string"):
        events.reauthentication_required_event(
            PRACTITIONER, permission="directory:shield:override", route="/override?child=1"
        )


def test_sign_in_failures_are_codes_so_a_typed_username_or_password_cannot_be_kept():
    failed = sign_in_event(
        Actor.anonymous(address="192.0.2.1"),
        outcome=Outcome.FAILURE,
        method="password",
        failure="unknown_account",
    )
    assert failed.outcome is Outcome.FAILURE
    assert failed.actor.kind is ActorKind.ANONYMOUS
    assert failed.details == {"method": "password", "failure": "unknown_account"}
    with pytest.raises(ValueError, match="code"):
        sign_in_event(PRACTITIONER, method="password", failure="hunter2 was wrong")


def test_every_other_constructor_sets_its_type_subject_and_details():
    user = Subject.user(9)
    made = [
        (sign_out_event(PRACTITIONER, cause="idle_timeout"), EventType.SIGN_OUT, None),
        (
            second_factor_set_up_event(PRACTITIONER, method="totp"),
            EventType.SECOND_FACTOR_SET_UP,
            None,
        ),
        (
            export_event(PRACTITIONER, export="search_results", rows=2, contactpoint_ids=[CHILD]),
            EventType.EXPORT,
            None,
        ),
        (
            shield_override_event(PRACTITIONER, contactpoint_id=CHILD, reason="s47 enquiry"),
            EventType.SHIELD_OVERRIDE,
            Subject.child(CHILD),
        ),
        (
            admin_action_event(
                PRACTITIONER, action="suspend_user", subject=user, changes={"active": (True, False)}
            ),
            EventType.ADMIN_ACTION,
            user,
        ),
    ]
    for event, event_type, subject in made:
        assert (event.event_type, event.subject) == (event_type, subject)
    assert made[2][0].details["contactpoint_ids"] == [CHILD]
    assert made[3][0].details == {"reason": "s47 enquiry"}
    assert made[4][0].details["changes"] == {"active": {"old": True, "new": False}}


def test_a_user_actor_needs_a_user_id_and_labels_have_a_limit():
    with pytest.raises(ValueError, match="user id"):
        Actor(ActorKind.USER)
    with pytest.raises(ValueError, match="label"):
        Actor.operator("x" * 101)


def test_withheld_is_what_a_secret_change_records_instead_of_its_values():
    assert WITHHELD == "[withheld]"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(json_values)
def test_canonical_json_round_trips_and_is_a_fixed_point(value):
    text = canonical_json(value)
    assert json.loads(text) == value
    assert canonical_json(json.loads(text)) == text


@given(st.dictionaries(st.text(), st.integers(), min_size=2))
def test_canonical_json_does_not_depend_on_key_order(mapping):
    assert canonical_json(dict(reversed(mapping.items()))) == canonical_json(mapping)


def test_canonical_json_refuses_values_it_cannot_keep_exactly():
    for value in (float("nan"), {1: "a"}, ("a",), dt.date(2026, 1, 1)):
        with pytest.raises((TypeError, ValueError)):
            canonical_json(value)


def _chained_columns() -> dict[str, object]:
    return {
        "sequence": 3,
        "occurred_at": dt.datetime(2026, 11, 25, 7, 20, 4, 287265, tzinfo=dt.UTC),
        "event_type": EventType.RECORD_VIEW,
        "outcome": Outcome.SUCCESS,
        "actor_kind": ActorKind.USER,
        "actor_user_id": 41,
        "actor_label": None,
        "actor_role": "practitioner",
        "actor_organisation_id": 7,
        "actor_address": "192.0.2.1",
        "session_ref": "abc",
        "subject_kind": SubjectKind.CHILD,
        "subject_ref": CHILD,
        "details_digest": "d" * 64,
        "previous_hash": GENESIS_HASH,
    }


@given(
    st.sampled_from(CHAINED_COLUMNS),
    st.one_of(st.none(), st.integers(), st.text(), st.sampled_from(list(EventType))),
)
def test_any_change_to_any_chained_column_changes_the_hash(column, value):
    original = _chained_columns()
    changed = original | {column: value}
    if changed[column] != original[column]:
        assert chain_hash(changed) != chain_hash(original)


def test_the_hash_sees_the_instant_not_the_time_zone_it_was_written_in():
    original = _chained_columns()
    when = original["occurred_at"]
    assert isinstance(when, dt.datetime)
    elsewhere = when.astimezone(dt.timezone(dt.timedelta(hours=5)))
    assert chain_hash(original | {"occurred_at": elsewhere}) == chain_hash(original)
    with pytest.raises(ValueError, match="timezone-aware"):
        chain_hash(original | {"occurred_at": when.replace(tzinfo=None)})


def test_the_public_api_is_pinned():
    assert set(services.__all__) == {
        "Problem",
        "VerificationResult",
        "make_checkpoint",
        "pending_changes",
        "record",
        "redact_details",
        "verify",
    }
    assert set(reports.__all__) == {
        "PAGE_SIZE",
        "NoSuchPageError",
        "ReportPage",
        "ReportQuery",
        "ReportRow",
        "overrides",
        "overrides_query",
        "report_columns",
        "user_activity",
        "user_activity_query",
        "viewed_child_query",
        "who_viewed_child",
        "write_csv",
    }
    assert {"SignedCheckpoint", "check_signature", "load_signing_key"} <= set(checkpoints.__all__)
    assert {"AuditEvent", "Actor", "EventType", "search_event"} <= set(events.__all__)
    assert rules.GENESIS_HASH == "0" * 64
