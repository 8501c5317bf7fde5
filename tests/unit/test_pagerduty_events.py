"""PagerDuty Events API v2 bodies read as the intake's events and deployments
(pagerline.engine.sources.pagerduty_events): PagerDuty's own documented examples, each rule
of what is refused, and generated bodies (Hypothesis) that are either read or refused with
PagerDuty's error lines, never anything else."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pagerline.engine.sources import pagerduty_events as pd
from pagerline.engine.sources.intake import validate
from pagerline.engine.sources.intake_settings import DEFAULT_PAGERDUTY, compile_intake_settings
from pagerline.models import Priority

NOW = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)

# PagerDuty's example trigger ("Send an Alert Event"), as documented.
DOCUMENTED_TRIGGER: dict[str, Any] = {
    "payload": {
        "summary": "Example alert on host1.example.com",
        "timestamp": "2015-07-17T08:42:58.315+0000",
        "source": "monitoringtool:cloudvendor:central-region-dc-01:852559987:cluster/api-stats-prod-003",
        "severity": "info",
        "component": "postgres",
        "group": "prod-datapipe",
        "class": "deploy",
        "custom_details": {"ping time": "1500ms", "load avg": 0.75},
    },
    "routing_key": "samplekeyhere",
    "dedup_key": "samplekeyhere",
    "images": [{"src": "https://www.pagerduty.com/wp-content/uploads/2016/05/pagerduty-logo-green.png", "href": "https://example.com/", "alt": "Example text"}],
    "links": [{"href": "https://example.com/", "text": "Link text"}],
    "event_action": "trigger",
    "client": "Sample Monitoring Service",
    "client_url": "https://monitoring.example.com",
}

# PagerDuty's example change event ("Send a Change Event").
DOCUMENTED_CHANGE: dict[str, Any] = {
    "routing_key": "samplekeyhere",
    "payload": {
        "summary": "Build Success: Increase snapshot create timeout to 30 seconds",
        "timestamp": "2020-07-17T08:42:58.315+0000",
        "source": "acme-build-pipeline-tool-default-i-9999",
        "custom_details": {"build_state": "passed", "build_number": "2", "run_time": "1236s"},
    },
    "links": [{"href": "https://acme.pagerduty.dev/build/2", "text": "View more details in Acme!"}],
}


def trigger(**changes: Any) -> dict[str, Any]:
    """A minimal valid trigger; ``payload_<name>`` changes a payload field (None removes)."""
    body: dict[str, Any] = {
        "routing_key": "key", "event_action": "trigger",
        "payload": {"summary": "Disk full on db-1", "source": "db-1", "severity": "critical"},
    }
    for name, value in changes.items():
        target, field = (body["payload"], name.removeprefix("payload_")) if name.startswith("payload_") else (body, name)
        if value is None:
            target.pop(field, None)
        else:
            target[field] = value
    return body


def refused(body: dict[str, Any]) -> list[str]:
    with pytest.raises(pd.InvalidEvent) as caught:
        pd.parse_alert_event(body)
    return caught.value.errors


# --- what a trigger becomes ----------------------------------------------------------------------


def test_the_documented_trigger_becomes_an_alert_event_with_everything_kept() -> None:
    event = pd.parse_alert_event(DOCUMENTED_TRIGGER).to_event(DEFAULT_PAGERDUTY)
    assert event.event_type == "ALERT"
    assert event.alert_key == "samplekeyhere"
    assert event.summary == "Example alert on host1.example.com"
    assert event.details == "Detected by the sender at 2015-07-17T08:42:58.315+0000"
    assert event.priority is Priority.LOW  # info
    assert event.custom_details == {"ping time": "1500ms", "load avg": 0.75}
    assert event.labels == {
        "severity": "info",
        "source": "monitoringtool:cloudvendor:central-region-dc-01:852559987:cluster/api-stats-prod-003",
        "component": "postgres",
        "group": "prod-datapipe",
        "class": "deploy",
    }
    assert event.links == [
        {"href": "https://example.com/", "text": "Link text"},
        {"href": "https://monitoring.example.com", "text": "View in Sample Monitoring Service"},
    ]
    assert event.images == DOCUMENTED_TRIGGER["images"]
    assert event.via == "PagerDuty Events API"
    assert event.routing_key is None  # PagerDuty's routing_key is the integration key, not pagerline's policy routing
    validate(event)


@pytest.mark.parametrize(("severity", "priority"), [("critical", "HIGH"), ("error", "HIGH"), ("warning", "LOW"), ("info", "LOW")])
def test_severity_maps_to_priority_by_default(severity: str, priority: str) -> None:
    assert pd.parse_alert_event(trigger(payload_severity=severity)).to_event(DEFAULT_PAGERDUTY).priority is Priority(priority)


def test_a_sources_map_overrides_the_default() -> None:
    severities = compile_intake_settings({"pagerdutySeverities": {"warning": "HIGH", "critical": "LOW"}}).pagerduty_severities
    assert pd.parse_alert_event(trigger(payload_severity="warning")).to_event(severities).priority is Priority.HIGH
    assert pd.parse_alert_event(trigger(payload_severity="critical")).to_event(severities).priority is Priority.LOW
    assert pd.parse_alert_event(trigger(payload_severity="error")).to_event(severities).priority is Priority.HIGH  # untouched


@pytest.mark.parametrize("dedup_key", [None, "", "   "])
def test_a_trigger_without_a_dedup_key_leaves_the_key_to_the_intake(dedup_key: str | None) -> None:
    body = trigger(dedup_key=dedup_key) if dedup_key is not None else trigger()
    assert pd.parse_alert_event(body).to_event(DEFAULT_PAGERDUTY).alert_key is None


@pytest.mark.parametrize(("action", "event_type"), [("acknowledge", "ACCEPT"), ("resolve", "RESOLVE")])
def test_acknowledge_and_resolve_read_only_the_key_and_dedup_key(action: str, event_type: str) -> None:
    # PagerDuty reads the payload of trigger events only: a bad one changes nothing here.
    body = {"routing_key": "key", "event_action": action, "dedup_key": "srv01/mysql", "payload": {"severity": "loud"}}
    event = pd.parse_alert_event(body).to_event(DEFAULT_PAGERDUTY)
    assert (event.event_type, event.alert_key, event.priority, event.summary) == (event_type, "srv01/mysql", None, None)
    validate(event)


def test_a_summary_of_1024_characters_is_kept_whole_in_the_details() -> None:
    summary = "x" * 1024
    event = pd.parse_alert_event(trigger(payload_summary=summary)).to_event(DEFAULT_PAGERDUTY)
    assert event.summary == summary  # the intake keeps its first 500 characters as the title
    assert event.details == summary


def test_custom_details_that_are_not_an_object_are_kept_under_their_name() -> None:
    event = pd.parse_alert_event(trigger(payload_custom_details="free text")).to_event(DEFAULT_PAGERDUTY)
    assert event.custom_details == {"custom_details": "free text"}


def test_alertmanagers_empty_strings_are_dropped() -> None:
    # Alertmanager sends every image's href and alt, and every link's text, even when empty.
    body = trigger(links=[{"href": "https://grafana.example/d/1", "text": ""}], images=[{"src": "https://img.example/1.png", "alt": "", "href": ""}],
                   payload_component="", payload_group="", payload_class="")
    event = pd.parse_alert_event(body).to_event(DEFAULT_PAGERDUTY)
    assert event.links == [{"href": "https://grafana.example/d/1"}]
    assert event.images == [{"src": "https://img.example/1.png"}]
    assert event.labels == {"severity": "critical", "source": "db-1"}


# --- what is refused, in PagerDuty's words ------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (trigger(routing_key=None), "'routing_key' is missing"),
        (trigger(routing_key="  "), "'routing_key' must not be blank"),
        (trigger(routing_key=42), "'routing_key' must be a string"),
        (trigger(event_action=None), "'event_action' is missing"),
        (trigger(event_action="escalate"), "'event_action' must be one of trigger, acknowledge, resolve"),
        (trigger(event_action=["trigger"]), "'event_action' must be one of trigger, acknowledge, resolve"),
        (trigger(payload=None), "'payload' is missing"),
        (trigger(payload="Disk full"), "'payload' must be an object"),
        (trigger(payload_summary=None), "'payload.summary' is missing"),
        (trigger(payload_summary=" "), "'payload.summary' must not be blank"),
        (trigger(payload_summary="x" * 1025), "'payload.summary' is too long (maximum is 1024 characters)"),
        (trigger(payload_source=None), "'payload.source' is missing"),
        (trigger(payload_severity=None), "'payload.severity' is missing"),
        (trigger(payload_severity="CRITICAL"), "'payload.severity' must be one of critical, error, warning, info"),
        (trigger(payload_severity="high"), "'payload.severity' must be one of critical, error, warning, info"),
        (trigger(payload_component=3), "'payload.component' must be a string"),
        (trigger(dedup_key="k" * 256), "'dedup_key' is too long (maximum is 255 characters)"),
        (trigger(dedup_key=7), "'dedup_key' must be a string"),
        (trigger(links={"href": "https://x.example"}), "'links' must be an array"),
        (trigger(links=["https://x.example"]), "'links[0]' must be an object"),
        (trigger(links=[{"text": "runbook"}]), "'links[0].href' is missing"),
        (trigger(images=[{"href": "https://x.example"}]), "'images[0].src' is missing"),
        (trigger(images=[{"src": "https://x.example/1.png"}] * 21), "'images' may hold at most 20 entries"),
        ({"routing_key": "key", "event_action": "acknowledge"}, "'dedup_key' is required for acknowledge events"),
        ({"routing_key": "key", "event_action": "resolve", "dedup_key": " "}, "'dedup_key' is required for resolve events"),
    ],
)
def test_a_body_pagerduty_would_refuse_is_refused_naming_the_field(body: dict[str, Any], error: str) -> None:
    assert refused(body) == [error]


def test_every_reason_is_listed_at_once() -> None:
    body = {"routing_key": "key", "event_action": "trigger", "payload": {"summary": "", "severity": "bad"}}
    assert refused(body) == [
        "'payload.summary' must not be blank",
        "'payload.source' is missing",
        "'payload.severity' must be one of critical, error, warning, info",
    ]


def test_the_routing_key_is_read_first_and_alone() -> None:
    assert pd.routing_key_of({"routing_key": "R0UT1NG", "event_action": "nonsense"}) == "R0UT1NG"
    with pytest.raises(pd.InvalidEvent) as caught:
        pd.routing_key_of({"event_action": "trigger"})
    assert caught.value.errors == ["'routing_key' is missing"]


# --- change events ---------------------------------------------------------------------------------


def test_the_documented_change_event_becomes_a_deployment() -> None:
    deployment = pd.parse_change_event(DOCUMENTED_CHANGE, NOW)
    assert deployment.summary == "Build Success: Increase snapshot create timeout to 30 seconds"
    assert deployment.at == datetime(2020, 7, 17, 8, 42, 58, 315000, tzinfo=UTC)
    assert deployment.custom_details == {
        "build_state": "passed", "build_number": "2", "run_time": "1236s", "source": "acme-build-pipeline-tool-default-i-9999",
    }
    assert deployment.links == [{"href": "https://acme.pagerduty.dev/build/2", "text": "View more details in Acme!"}]


def test_a_change_event_without_a_timestamp_happened_now() -> None:
    deployment = pd.parse_change_event({"routing_key": "k", "payload": {"summary": "Deployed v2"}}, NOW)
    assert (deployment.at, deployment.custom_details, deployment.links) == (NOW, {}, [])


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"routing_key": "k"}, "'payload' is missing"),
        ({"routing_key": "k", "payload": {}}, "'payload.summary' is missing"),
        ({"routing_key": "k", "payload": {"summary": "s" * 1025}}, "'payload.summary' is too long (maximum is 1024 characters)"),
        ({"routing_key": "k", "payload": {"summary": "Deployed", "timestamp": "yesterday"}},
         "'payload.timestamp' is not valid: timestamp 'yesterday' is not epoch seconds, epoch milliseconds or ISO 8601"),
        ({"routing_key": "k", "payload": {"summary": "Deployed", "timestamp": 1700000000}}, "'payload.timestamp' must be a string (ISO 8601)"),
        ({"routing_key": "k", "payload": {"summary": "Deployed"}, "links": [{"text": "build"}]}, "'links[0].href' is missing"),
    ],
)
def test_a_change_event_pagerduty_would_refuse_is_refused(body: dict[str, Any], error: str) -> None:
    with pytest.raises(pd.InvalidEvent) as caught:
        pd.parse_change_event(body, NOW)
    assert caught.value.errors == [error]


# --- generated bodies --------------------------------------------------------------------------------

# Storable text: what the body reader lets through (no NUL, no lone surrogates).
TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=60)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
NONBLANK = TEXT.filter(lambda s: s.strip() != "")


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A field's value: usually of the right kind, sometimes any JSON value."""
    return st.one_of(strategy, JSON_VALUES)


def bodies() -> st.SearchStrategy[dict[str, Any]]:
    payload = st.fixed_dictionaries(
        {},
        optional={
            "summary": maybe(NONBLANK), "source": maybe(NONBLANK), "severity": maybe(st.sampled_from(pd.SEVERITIES)),
            "timestamp": maybe(TEXT), "component": maybe(TEXT), "group": maybe(TEXT), "class": maybe(TEXT), "custom_details": JSON_VALUES,
        },
    )
    link = st.fixed_dictionaries({"href": maybe(NONBLANK)}, optional={"text": maybe(TEXT)})
    image = st.fixed_dictionaries({"src": maybe(NONBLANK)}, optional={"href": maybe(TEXT), "alt": maybe(TEXT)})
    return st.fixed_dictionaries(
        {},
        optional={
            "routing_key": maybe(NONBLANK), "event_action": maybe(st.sampled_from(list(pd.ACTIONS))), "dedup_key": maybe(TEXT),
            "payload": maybe(payload), "client": maybe(TEXT), "client_url": maybe(TEXT),
            "links": maybe(st.lists(maybe(link), max_size=3)), "images": maybe(st.lists(maybe(image), max_size=3)),
            "extra": JSON_VALUES,
        },
    )


@settings(max_examples=400, deadline=None)
@given(body=bodies())
def test_any_body_is_read_or_refused_with_pagerdutys_error_lines(body: dict[str, Any]) -> None:
    try:
        parsed = pd.parse_alert_event(body)
    except pd.InvalidEvent as exc:
        assert exc.errors and all(line.startswith("'") for line in exc.errors), exc.errors
        return
    event = parsed.to_event(DEFAULT_PAGERDUTY)
    validate(event)  # what the route checks next: a read body always meets the intake's rule
    assert event.event_type == pd.ACTIONS[body["event_action"]]
    dedup_key = body.get("dedup_key")
    assert event.alert_key == (dedup_key if isinstance(dedup_key, str) and dedup_key.strip() else None)
    if event.event_type == "ALERT":
        assert event.summary == body["payload"]["summary"]
        assert event.priority is DEFAULT_PAGERDUTY[body["payload"]["severity"]]
        assert set(event.labels) <= set(pd.LABEL_FIELDS)
        assert all(isinstance(v, str) and v.strip() for v in event.labels.values())


@settings(max_examples=300, deadline=None)
@given(body=st.fixed_dictionaries(
    {"routing_key": NONBLANK},
    optional={"payload": maybe(st.fixed_dictionaries({"summary": maybe(NONBLANK)}, optional={"timestamp": maybe(TEXT), "source": maybe(TEXT), "custom_details": JSON_VALUES})),
              "links": maybe(st.lists(JSON_VALUES, max_size=2))},
))
def test_any_change_event_is_read_or_refused(body: dict[str, Any]) -> None:
    try:
        deployment = pd.parse_change_event(body, NOW)
    except pd.InvalidEvent as exc:
        assert exc.errors and all(line.startswith("'") for line in exc.errors), exc.errors
        return
    assert deployment.summary == body["payload"]["summary"]
    assert isinstance(deployment.custom_details, dict)


def valid_triggers() -> st.SearchStrategy[dict[str, Any]]:
    """Triggers PagerDuty takes: every required field, optional ones of the right kind."""
    payload = st.fixed_dictionaries(
        {"summary": NONBLANK, "source": NONBLANK, "severity": st.sampled_from(pd.SEVERITIES)},
        optional={"timestamp": TEXT, "component": TEXT, "group": TEXT, "class": TEXT, "custom_details": JSON_VALUES},
    )
    link = st.fixed_dictionaries({"href": NONBLANK}, optional={"text": TEXT})
    image = st.fixed_dictionaries({"src": NONBLANK}, optional={"href": TEXT, "alt": TEXT})
    return st.fixed_dictionaries(
        {"routing_key": NONBLANK, "event_action": st.just("trigger"), "payload": payload},
        optional={"dedup_key": TEXT, "client": TEXT, "client_url": TEXT, "links": st.lists(link, max_size=3),
                  "images": st.lists(image, max_size=3), "extra": JSON_VALUES},
    )


SEVERITY_MAPS = st.fixed_dictionaries({name: st.sampled_from(list(Priority)) for name in pd.SEVERITIES})


@settings(max_examples=300, deadline=None)
@given(body=valid_triggers(), severities=SEVERITY_MAPS)
def test_every_valid_trigger_becomes_an_alert_event_the_intake_takes(body: dict[str, Any], severities: dict[str, Priority]) -> None:
    event = pd.parse_alert_event(body).to_event(severities)
    validate(event)
    payload = body["payload"]
    assert (event.event_type, event.summary, event.priority) == ("ALERT", payload["summary"], severities[payload["severity"]])
    dedup_key = body.get("dedup_key")
    assert event.alert_key == (dedup_key if dedup_key and dedup_key.strip() else None)
    assert event.labels["severity"] == payload["severity"] and event.labels["source"] == payload["source"]
    assert [link["href"] for link in event.links[: len(body.get("links", []))]] == [link["href"] for link in body.get("links", [])]
    assert [image["src"] for image in event.images] == [image["src"] for image in body.get("images", [])]
    details = payload.get("custom_details")
    assert event.custom_details == (details if isinstance(details, dict) else ({} if details is None else {"custom_details": details}))
