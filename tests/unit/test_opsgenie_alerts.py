"""Opsgenie's Alert API bodies in pagerline's terms (pagerline.engine.sources.opsgenie_alerts):
what a create becomes for the intake, what is refused with Opsgenie's field-by-field errors, what
is cut to Opsgenie's limits, and that no JSON at all makes the parser raise anything else."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pagerline.engine.sources.events import EventType
from pagerline.engine.sources.intake import validate
from pagerline.engine.sources.intake_settings import DEFAULT_OPSGENIE, compile_intake_settings
from pagerline.engine.sources.opsgenie_alerts import (
    ALERT_KEY_CHARS,
    NOT_PROCESSABLE,
    VIA,
    Action,
    ActionBody,
    CreateAlert,
    IdentifierType,
    OpsgenieInvalid,
    alert_key_for,
    create_event,
    parse_action,
    parse_create,
    parse_identifier,
    parse_identifier_type,
)
from pagerline.models import Priority

# What Alertmanager 0.25's opsgenie_configs posts for a firing group (its defaults).
ALERTMANAGER_CREATE = {
    "alias": "6d3c3a5f2b1e4b0c9f7f2d8e1a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b",
    "message": "[FIRING:1] DiskFull (db-1 critical)",
    "description": "Alerts Firing:\nLabels:\n - alertname = DiskFull\n",
    "details": {"alertname": "DiskFull", "instance": "db-1", "severity": "critical"},
    "source": "http://alertmanager:9093/#/alerts?receiver=pagerline",
}


def refused(body: Any) -> OpsgenieInvalid:
    with pytest.raises(OpsgenieInvalid) as caught:
        parse_create(body)
    return caught.value


def test_alertmanagers_create_becomes_one_event_keyed_by_its_alias() -> None:
    create = parse_create(ALERTMANAGER_CREATE)
    event = create_event(create, DEFAULT_OPSGENIE)
    assert (event.event_type, event.summary, event.alert_key) == (EventType.ALERT, "[FIRING:1] DiskFull (db-1 critical)", ALERTMANAGER_CREATE["alias"])
    assert event.details == ALERTMANAGER_CREATE["description"].strip()
    assert event.labels == ALERTMANAGER_CREATE["details"]  # Opsgenie's details are key/value pairs: labels
    assert event.custom_details == {"source": ALERTMANAGER_CREATE["source"]}
    assert event.priority is None  # none sent: the source's default priority decides
    assert event.via == VIA
    validate(event)  # meets the intake's own rule


def test_every_field_lands_somewhere() -> None:
    create = parse_create({
        "message": "Checkout is down", "alias": "checkout", "description": "5xx on every request",
        "details": {"region": "eu"}, "tags": ["web", "OverwriteQuietHours"], "entity": "checkout-svc",
        "source": "synthetics", "priority": "P2", "note": "Paging the web team", "user": "monitor-bot",
        "responders": [{"type": "team", "name": "web"}], "visibleTo": [], "actions": ["Restart"],
    })
    assert create.note == "Paging the web team" and create.user == "monitor-bot"
    event = create_event(create, DEFAULT_OPSGENIE)
    assert event.priority is Priority.HIGH
    assert event.custom_details == {
        "tags": ["web", "OverwriteQuietHours"], "entity": "checkout-svc", "source": "synthetics", "priority": "P2", "user": "monitor-bot",
    }
    assert event.labels == {"region": "eu"}


@pytest.mark.parametrize(("priority", "mapped"), [("P1", "HIGH"), ("P2", "HIGH"), ("P3", "LOW"), ("P4", "LOW"), ("P5", "LOW")])
def test_priorities_map_by_the_default_table(priority: str, mapped: str) -> None:
    event = create_event(parse_create({"message": "m", "priority": priority}), DEFAULT_OPSGENIE)
    assert event.priority is Priority(mapped)


def test_a_sources_own_table_wins() -> None:
    table = compile_intake_settings({"opsgeniePriorities": {"P3": "HIGH", "P1": "LOW"}}).opsgenie_priorities
    assert create_event(parse_create({"message": "m", "priority": "P3"}), table).priority is Priority.HIGH
    assert create_event(parse_create({"message": "m", "priority": "P1"}), table).priority is Priority.LOW
    assert create_event(parse_create({"message": "m", "priority": "P2"}), table).priority is Priority.HIGH  # the default's


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"message": "Message can not be empty."}),
        ({"message": "   "}, {"message": "Message can not be empty."}),
        ({"message": None}, {"message": "Message can not be empty."}),
        ({"message": 42}, {"message": "Message must be a string."}),
        ({"message": "m", "priority": "P9"}, {"priority": "Priority should be one of [P1, P2, P3, P4, P5]."}),
        ({"message": "m", "priority": "p1"}, {"priority": "Priority should be one of [P1, P2, P3, P4, P5]."}),
        ({"message": "m", "tags": "web,db"}, {"tags": "Tags must be a list of strings."}),
        ({"message": "m", "tags": ["web", 3]}, {"tags": "Tags must be a list of strings."}),
        ({"message": "m", "details": ["a"]}, {"details": "Details must be a map of strings."}),
        ({"message": "m", "details": {"nested": {"a": "b"}}}, {"details": "Details must be a map of strings."}),
        ({"message": "m", "alias": "a" * 513}, {"alias": "Alias can not be longer than 512 characters."}),
        ({"message": "m", "alias": 7}, {"alias": "Alias must be a string."}),
        ({"message": "m", "entity": ["x"]}, {"entity": "Entity must be a string."}),
        # Every fault at once, as Opsgenie lists them.
        ({"priority": "P0", "tags": {}}, {"message": "Message can not be empty.", "priority": "Priority should be one of [P1, P2, P3, P4, P5].", "tags": "Tags must be a list of strings."}),
    ],
)
def test_a_body_that_means_nothing_is_refused_field_by_field(body: dict[str, Any], errors: dict[str, str]) -> None:
    error = refused(body)
    assert (error.message, error.errors) == (NOT_PROCESSABLE, errors)


@pytest.mark.parametrize("body", [[], "message", 3, None, [{"message": "m"}]])
def test_a_body_that_is_not_an_object_is_refused(body: Any) -> None:
    assert refused(body).errors == {"body": "The body must be a JSON object."}


def test_text_over_opsgenies_limits_is_cut_not_refused() -> None:
    create = parse_create({
        "message": "m" * 200, "description": "d" * 20_000, "entity": "e" * 600, "source": "s" * 150,
        "note": "n" * 30_000, "user": "u" * 150,
        "tags": [f"tag-{n}-" + "x" * 60 for n in range(25)],
    })
    assert (len(create.message), len(create.description or ""), len(create.entity or ""), len(create.source or "")) == (130, 15_000, 512, 100)
    assert (len(create.note or ""), len(create.user or "")) == (25_000, 100)
    assert len(create.tags) == 20 and all(len(tag) == 50 for tag in create.tags)
    assert create.tags[0].startswith("tag-0-")


def test_tags_lose_blanks_and_repeats_and_keep_their_order() -> None:
    assert parse_create({"message": "m", "tags": [" db ", "", "web", "db", "  "]}).tags == ("db", "web")


def test_details_past_8000_characters_are_left_out_and_counted() -> None:
    details = {f"k{n}": "v" * 990 for n in range(10)}  # 992 or so characters each
    create = parse_create({"message": "m", "details": details})
    assert list(create.details) == [f"k{n}" for n in range(8)] and create.details_dropped == 2
    assert create_event(create, DEFAULT_OPSGENIE).custom_details == {"detailsLeftOut": 2}


def test_nulls_are_absent_fields() -> None:
    create = parse_create({"message": "m", "alias": None, "description": None, "details": None, "tags": None, "priority": None, "note": None})
    assert create == CreateAlert(message="m")
    assert create_event(create, DEFAULT_OPSGENIE).alert_key is None  # the intake makes one


def test_a_long_alias_becomes_a_key_that_fits_and_finds_the_same_alert() -> None:
    alias = "checkout/" + "x" * 400
    key = alert_key_for(alias)
    assert len(key) <= ALERT_KEY_CHARS and key.startswith("checkout/x")
    assert alert_key_for(alias) == key and alert_key_for(f"  {alias} ") == key
    assert alert_key_for(alias.upper()).lower() == key.lower()  # keys compare case-insensitively
    assert alert_key_for(alias + "y") != key
    assert alert_key_for("short-alias") == "short-alias"
    assert create_event(parse_create({"message": "m", "alias": alias}), DEFAULT_OPSGENIE).alert_key == key


def test_action_bodies() -> None:
    assert parse_action({}, Action.CLOSE) == ActionBody()
    assert parse_action({"source": "http://alertmanager:9093", "user": "ops", "note": "fixed"}, Action.ACKNOWLEDGE) == ActionBody("ops", "http://alertmanager:9093", "fixed")
    with pytest.raises(OpsgenieInvalid) as caught:
        parse_action({"user": "ops"}, Action.ADD_NOTE)
    assert caught.value.errors == {"note": "Note can not be empty."}
    with pytest.raises(OpsgenieInvalid) as caught:
        parse_action({"note": ["fixed"]}, Action.ADD_NOTE)
    assert caught.value.errors == {"note": "Note must be a string."}


@pytest.mark.parametrize(("raw", "parsed"), [(None, IdentifierType.ID), ("id", IdentifierType.ID), ("alias", IdentifierType.ALIAS), ("Alias", IdentifierType.ALIAS), ("tiny", IdentifierType.TINY)])
def test_identifier_types(raw: str | None, parsed: IdentifierType) -> None:
    assert parse_identifier_type(raw) is parsed


@pytest.mark.parametrize("raw", ["name", "", "ids"])
def test_an_unknown_identifier_type_is_refused(raw: str) -> None:
    with pytest.raises(OpsgenieInvalid) as caught:
        parse_identifier_type(raw)
    assert caught.value.message == "identifierType should be one of [id, tiny, alias]." and caught.value.errors == {}


def test_identifiers() -> None:
    assert parse_identifier(" 42 ", IdentifierType.ID) == "42"
    assert parse_identifier("a" * 512, IdentifierType.ALIAS) == "a" * 512
    for bad, kind in (("a" * 513, IdentifierType.ALIAS), ("  ", IdentifierType.ID)):
        with pytest.raises(OpsgenieInvalid):
            parse_identifier(bad, kind)


# Any JSON a sender could post (text the body reader lets through: no NUL, no lone surrogates).
STORABLE_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | STORABLE_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(STORABLE_TEXT, children, max_size=4),
    max_leaves=12,
)
FIELDS = ["message", "alias", "description", "details", "tags", "entity", "source", "priority", "note", "user", "responders"]
LIKELY_VALUES = JSON_VALUES | st.sampled_from(["P1", "P3", "P5", "Disk full", " "]) | st.lists(STORABLE_TEXT, max_size=25) | st.dictionaries(STORABLE_TEXT, STORABLE_TEXT, max_size=5)
BODIES = JSON_VALUES | st.dictionaries(st.sampled_from(FIELDS) | STORABLE_TEXT, LIKELY_VALUES, max_size=8)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=BODIES)
def test_any_json_is_an_event_the_intake_takes_or_opsgenies_refusal(body: Any) -> None:
    try:
        create = parse_create(body)
    except OpsgenieInvalid as error:
        assert error.message == NOT_PROCESSABLE and error.errors and all(isinstance(v, str) for v in error.errors.values())
        return
    event = create_event(create, DEFAULT_OPSGENIE)
    validate(event)  # never BadInput: what parses is what the intake accepts
    assert event.summary and len(event.summary) <= 130
    assert event.alert_key is None or 0 < len(event.alert_key) <= ALERT_KEY_CHARS


@settings(max_examples=300, deadline=None)
@given(body=BODIES, action=st.sampled_from(list(Action)[1:]))
def test_any_json_is_an_action_body_or_opsgenies_refusal(body: Any, action: Action) -> None:
    try:
        parsed = parse_action(body, action)
    except OpsgenieInvalid as error:
        assert error.message == NOT_PROCESSABLE and error.errors
        return
    assert action is not Action.ADD_NOTE or parsed.note

