"""Request bodies of the intake routes, validated strictly, and their mapping to engine input.

Unknown fields are ignored (senders add fields over time); known fields with the wrong type are
refused with a 422 that names the field.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pagerline.engine.sources.events import EventInput, EventType
from pagerline.engine.sources.webhook_templates import WebhookTemplates, map_payload
from pagerline.models import IntegrationType, Priority


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


class ImageIn(_Strict):
    src: str = Field(max_length=2000)
    href: str | None = Field(default=None, max_length=2000)
    alt: str | None = Field(default=None, max_length=500)


class LinkIn(_Strict):
    href: str = Field(max_length=2000)
    text: str | None = Field(default=None, max_length=500)


class CommentIn(_Strict):
    creator: str | None = Field(default=None, max_length=200)
    content: str = Field(min_length=1, max_length=4000)


class EventBody(_Strict):
    """ilert's events API body."""

    integrationKey: str | None = Field(default=None, max_length=200)
    apiKey: str | None = Field(default=None, max_length=200)
    eventType: Literal["ALERT", "ACCEPT", "RESOLVE", "COMMENT"]
    summary: str | None = Field(default=None, max_length=500)
    details: str | None = Field(default=None, max_length=65_536)
    alertKey: str | None = Field(default=None, max_length=255)
    priority: Literal["HIGH", "LOW"] | None = None
    images: list[ImageIn] = Field(default_factory=list, max_length=20)
    links: list[LinkIn] = Field(default_factory=list, max_length=50)
    customDetails: dict[str, Any] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)
    routingKey: str | None = Field(default=None, max_length=200)
    comments: list[CommentIn] = Field(default_factory=list, max_length=50)

    def to_event(self) -> EventInput:
        return EventInput(
            event_type=self.eventType,
            summary=self.summary,
            details=self.details,
            alert_key=self.alertKey,
            priority=Priority(self.priority) if self.priority else None,
            images=[i.model_dump(exclude_none=True) for i in self.images],
            links=[link.model_dump(exclude_none=True) for link in self.links],
            custom_details=self.customDetails,
            labels=self.labels,
            routing_key=self.routingKey,
            comments=[(c.creator or "", c.content) for c in self.comments],
            via="API",
        )


class PromAlert(BaseModel):
    """One alert of an Alertmanager (or Grafana) webhook. Lenient on extra fields."""

    model_config = ConfigDict(extra="ignore")

    status: Literal["firing", "resolved"]
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: str | None = None
    endsAt: str | None = None
    generatorURL: str | None = None
    fingerprint: str | None = None
    # Grafana's additions
    silenceURL: str | None = None
    dashboardURL: str | None = None
    panelURL: str | None = None
    valueString: str | None = None


class PromWebhook(BaseModel):
    """Alertmanager webhook (version 4) and Grafana alerting's variant of it."""

    model_config = ConfigDict(extra="ignore")

    version: str | None = None
    status: str | None = None
    receiver: str | None = None
    alerts: list[PromAlert] = Field(max_length=1000)
    externalURL: str | None = None
    groupKey: str | None = None
    # Grafana
    title: str | None = None
    message: str | None = None


def _fingerprint(alert: PromAlert) -> str:
    """Alertmanager's own fingerprint, or a stable one from the labels when a sender omits it."""
    if alert.fingerprint:
        return alert.fingerprint
    return hashlib.sha256(json.dumps(alert.labels, sort_keys=True).encode()).hexdigest()[:16]


def _details(alert: PromAlert) -> str:
    lines: list[str] = []
    for key in ("description", "message"):
        if alert.annotations.get(key):
            lines.append(alert.annotations[key])
    if alert.valueString:
        lines.append(f"Values: {alert.valueString}")
    if alert.labels:
        lines.append("Labels:")
        lines += [f"  {k} = {v}" for k, v in sorted(alert.labels.items())]
    other = {k: v for k, v in alert.annotations.items() if k not in ("summary", "description", "message")}
    if other:
        lines.append("Annotations:")
        lines += [f"  {k} = {v}" for k, v in sorted(other.items())]
    return "\n".join(lines)


def _links(alert: PromAlert, via: str) -> list[dict[str, Any]]:
    links: list[dict[str, Any]] = []
    named = [
        (alert.generatorURL, "Source" if via == "Grafana" else "Prometheus"),
        (alert.annotations.get("runbook_url"), "Runbook"),
        (alert.dashboardURL, "Dashboard"),
        (alert.panelURL, "Panel"),
        (alert.silenceURL, "Silence"),
    ]
    for href, text in named:
        if href:
            links.append({"href": href, "text": text})
    return links


def _priority(alert: PromAlert) -> Priority | None:
    """An explicit ``priority`` label (HIGH/LOW) decides; otherwise the source's default."""
    value = alert.labels.get("priority", "").upper()
    return Priority(value) if value in ("HIGH", "LOW") else None


def prom_events(body: PromWebhook, via: str) -> list[EventInput]:
    """One event per Alertmanager alert: keyed by fingerprint; ``resolved`` resolves."""
    events: list[EventInput] = []
    for alert in body.alerts:
        summary = alert.annotations.get("summary") or alert.labels.get("alertname") or body.title or "Alert"
        events.append(
            EventInput(
                event_type=EventType.RESOLVE if alert.status == "resolved" else EventType.ALERT,
                summary=summary[:500],
                details=_details(alert)[:65_536],
                alert_key=_fingerprint(alert),
                priority=_priority(alert),
                links=_links(alert, via),
                labels=dict(alert.labels),
                custom_details={
                    "annotations": dict(alert.annotations),
                    "startsAt": alert.startsAt,
                    "endsAt": alert.endsAt,
                    "externalURL": body.externalURL,
                    "groupKey": body.groupKey,
                    "receiver": body.receiver,
                },
                via=via,
            )
        )
    return events


# A test event's body per integration type, as that tool would send it (``sendTestEvent``).
# One alert key for all tests of a source: a second test joins the open test alert (the
# intake's dedup), as a repeated real event would.
TEST_ALERT_KEY = "pagerline-test-event"
TEST_SUMMARY = "Test event from pagerline"
TEST_DETAILS = "Sent from the admin console to check this source end to end: resolve it once seen."
_PROM_TEST_BODY: dict[str, Any] = {
    "version": "4",
    "status": "firing",
    "receiver": "pagerline",
    "alerts": [{
        "status": "firing",
        "labels": {"alertname": "PagerlineTestEvent", "severity": "critical"},
        "annotations": {"summary": TEST_SUMMARY, "description": TEST_DETAILS},
        "fingerprint": TEST_ALERT_KEY,
    }],
}
_API_TEST_BODY: dict[str, Any] = {"eventType": "ALERT", "summary": TEST_SUMMARY, "details": TEST_DETAILS, "alertKey": TEST_ALERT_KEY}
_WEBHOOK_TEST_BODY: dict[str, Any] = {"summary": TEST_SUMMARY, "details": TEST_DETAILS, "alertKey": TEST_ALERT_KEY}


def sample_body(integration_type: IntegrationType) -> dict[str, Any]:
    if integration_type in (IntegrationType.ALERTMANAGER, IntegrationType.GRAFANA):
        return json.loads(json.dumps(_PROM_TEST_BODY))
    if integration_type is IntegrationType.WEBHOOK:
        return dict(_WEBHOOK_TEST_BODY)
    return dict(_API_TEST_BODY)  # API, and heartbeat sources (their monitors' events are API-shaped)


def events_of_body(integration_type: IntegrationType, body: Any, templates: WebhookTemplates) -> list[EventInput]:
    """What the source's own intake route makes of ``body`` (the events API's, Alertmanager's,
    Grafana's or the templated webhook's mapping). Raises pydantic's ValidationError or a
    MappingError for a body the route would refuse with a 422."""
    if integration_type is IntegrationType.ALERTMANAGER:
        return prom_events(PromWebhook.model_validate(body), "Alertmanager")
    if integration_type is IntegrationType.GRAFANA:
        return prom_events(PromWebhook.model_validate(body), "Grafana")
    if integration_type is IntegrationType.WEBHOOK:
        return [map_payload(templates, body)]
    return [EventBody.model_validate(body).to_event()]
