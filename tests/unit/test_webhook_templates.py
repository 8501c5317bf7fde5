"""Webhook templates map real-shaped payloads (Datadog, Sentry) to the events they stand for;
the defaults handle a plain body; bad templates and bad mappings are refused clearly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pagerline.engine.sources.webhook_templates import MappingError, TemplateFieldError, compile_webhook_templates, map_payload
from pagerline.models import Priority
from tests.support.templates import DATADOG, SENTRY

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / name).read_text())  # type: ignore[no-any-return]


def test_a_datadog_webhook_becomes_an_alert_and_its_recovery_resolves() -> None:
    templates = compile_webhook_templates(DATADOG)
    payload = sample("datadog-webhook.json")
    event = map_payload(templates, payload)
    assert (event.event_type, event.summary, event.alert_key, event.priority) == (
        "ALERT", "CPU load is high on web-1", "datadog-98765432-web-1", Priority.HIGH,
    )
    assert event.details == (
        "%%%\nCPU load is above 4 on web-1 for the last 5 minutes.\n%%%\n"
        "Query: avg(last_5m):avg:system.load.1{host:web-1} > 4\nTags: env:prod,service:web,team:ops"
    )
    assert [link["text"] for link in event.links] == ["Datadog event", "Snapshot"]
    assert event.custom_details["aggreg_key"] == "9f1d3c1e2b4a5d6e" and event.via == "Webhook"
    recovered = map_payload(templates, {**payload, "alert_transition": "Recovered", "alert_priority": "P3"})
    assert (recovered.event_type, recovered.alert_key, recovered.priority) == ("RESOLVE", "datadog-98765432-web-1", Priority.LOW)


def test_a_sentry_issue_alert_becomes_an_alert() -> None:
    event = map_payload(compile_webhook_templates(SENTRY), sample("sentry-issue-alert.json"))
    assert (event.event_type, event.summary, event.alert_key, event.priority) == (
        "ALERT", "[ERROR] ZeroDivisionError: division by zero", "sentry-1170820242", Priority.HIGH,
    )
    assert event.details == (
        "app.views.checkout in charge_card\nRule: Checkout errors\nRelease: web@2.4.1\n"
        "environment=production\nlevel=error\nserver_name=web-1"
    )
    assert event.links == [
        {"href": "https://sentry.io/organizations/acme/issues/1170820242/events/d5b4e0c2b5e14a5a9b5c0c0d2e8e9f10/", "text": "Sentry issue"}
    ]


def test_the_defaults_read_a_plain_body() -> None:
    defaults = compile_webhook_templates(None)
    event = map_payload(defaults, {"title": "Backup failed", "description": "exit 3", "id": "job-7", "priority": "low"})
    assert (event.summary, event.details, event.alert_key, event.priority, event.event_type) == (
        "Backup failed", "exit 3", "job-7", Priority.LOW, "ALERT",
    )
    bare = map_payload(defaults, ["not", "an", "object"])
    assert (bare.summary, bare.alert_key, bare.custom_details) == ("Webhook event", None, {"payload": ["not", "an", "object"]})
    assert map_payload(defaults, {"summary": "x", "priority": "P1"}).priority is None  # unknown: the source decides


def test_a_mapping_to_an_unknown_event_type_is_refused() -> None:
    templates = compile_webhook_templates({"eventType": "{{ state }}"})
    with pytest.raises(MappingError, match="rendered 'flapping'"):
        map_payload(templates, {"state": "flapping", "summary": "x"})
    assert map_payload(templates, {"state": "resolve"}).event_type == "RESOLVE"


def test_links_that_are_not_http_urls_are_left_out() -> None:
    templates = compile_webhook_templates({"links": [{"href": "{{ a }}"}, {"href": "{{ b }}", "text": "B"}]})
    event = map_payload(templates, {"a": "javascript:alert(1)", "b": "https://example.com/b", "summary": "x"})
    assert event.links == [{"href": "https://example.com/b", "text": "B"}]


@pytest.mark.parametrize(
    ("raw", "field", "line", "column"),
    [
        ({"summary": "{{ title | nope }}"}, "summary", 1, 12),
        ({"details": "a\nb\n  {{#each x}}"}, "details", 3, 3),
        ({"links": [{"href": "ok"}, {"href": "{{ x", "text": "t"}]}, "links[1].href", 1, 1),
        ({"severity": "{{ x }}"}, "severity", 1, 1),
        ({"summary": 42}, "summary", 1, 1),
        ({"links": [{"text": "no href"}]}, "links[0]", 1, 1),
    ],
)
def test_bad_templates_name_the_template_and_the_position(raw: dict[str, Any], field: str, line: int, column: int) -> None:
    with pytest.raises(TemplateFieldError) as caught:
        compile_webhook_templates(raw)
    assert (caught.value.field, caught.value.line, caught.value.column) == (field, line, column)
    assert str(caught.value).startswith(f"templates.{field}: line {line}, column {column}: ")
