"""What a source sent along with an alert (links, images, labels, customDetails) is readable over
GraphQL, against a real server fed Alertmanager's own webhook body and an events-API body."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.databases import TemplateDatabases
from tests.support.graphql import World, data, fire_ok, running_world, webhook

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
RUNBOOK = "https://runbooks.example/InstanceDown?host=web-1&lang=en"
EXTRAS = """query($id: ID!) { alert(id: $id) {
  links { href text } images { src href alt } labels { key value } customDetails } }"""


@pytest.fixture(scope="module")
def world(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_world(templates, tmp_path_factory.mktemp("alert-links")) as made:
        yield made


def alertmanager_firing() -> dict[str, Any]:
    """The captured sample, with the runbook_url annotation Prometheus rules commonly carry."""
    body: dict[str, Any] = copy.deepcopy(json.loads((SAMPLES / "alertmanager-firing.json").read_text()))
    body["alerts"][0]["annotations"]["runbook_url"] = RUNBOOK
    return body


def test_an_alertmanager_alert_shows_its_prometheus_and_runbook_links_labels_and_details(world: World) -> None:
    alert_id = webhook(world.url, "alertmanager", world.ops.alertmanager_key, alertmanager_firing())[0]["alertUrl"].rsplit("/", 1)[1]

    alert = data(world.url, world.ops.alice_token, EXTRAS, id=alert_id)["alert"]
    assert alert["links"] == [
        {"href": "http://prometheus.example:9090/graph?g0.expr=up", "text": "Prometheus"},
        {"href": RUNBOOK, "text": "Runbook"},
    ]
    assert alert["images"] == []
    assert alert["labels"] == [
        {"key": "alertname", "value": "InstanceDown"},
        {"key": "instance", "value": "web-1"},
        {"key": "severity", "value": "critical"},
    ]
    assert alert["customDetails"] == {
        "annotations": {"summary": "web-1 is down", "runbook_url": RUNBOOK},
        "startsAt": "2026-11-26T16:47:28.765528Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "externalURL": "http://vm:44011",
        "groupKey": '{}:{alertname="InstanceDown", instance="web-1"}',
        "receiver": "pagerline",
    }


def test_an_events_api_alert_shows_images_links_without_text_and_nested_details(world: World) -> None:
    details = {"region": "eu-1", "checks": [{"name": "http", "ok": False}], "latencyMs": 812.5, "note": None}
    alert_id = fire_ok(
        world.url, world.ops.api_key, "checkout-links", "Checkout is slow",
        images=[{"src": "https://grafana.example/render/checkout.png", "href": "https://grafana.example/d/checkout", "alt": "p99"}],
        links=[{"href": "https://status.example/checkout"}, {"href": "javascript:alert(1)", "text": "sneaky"}],
        labels={"team": "web", "env": "prod"}, customDetails=details,
    )
    alert = data(world.url, world.ops.alice_token, EXTRAS, id=str(alert_id))["alert"]
    assert alert["images"] == [
        {"src": "https://grafana.example/render/checkout.png", "href": "https://grafana.example/d/checkout", "alt": "p99"}
    ]
    # Returned as sent: the field says clients check the scheme, and the dashboard does.
    assert alert["links"] == [
        {"href": "https://status.example/checkout", "text": None},
        {"href": "javascript:alert(1)", "text": "sneaky"},
    ]
    assert alert["labels"] == [{"key": "env", "value": "prod"}, {"key": "team", "value": "web"}]
    assert alert["customDetails"] == details


def test_the_alert_list_carries_them_too(world: World) -> None:
    """The dashboard's first load reads them from alerts(...)."""
    alert_id = fire_ok(world.url, world.ops.api_key, "listed-links", "Listed", links=[{"href": "https://x.example/", "text": "X"}])
    edges = data(world.url, world.ops.alice_token, "{ alerts(first: 100) { edges { node { id links { href text } labels { key } } } } }")
    listed = next(e["node"] for e in edges["alerts"]["edges"] if e["node"]["id"] == str(alert_id))
    assert listed["links"] == [{"href": "https://x.example/", "text": "X"}]
    assert listed["labels"] == []
