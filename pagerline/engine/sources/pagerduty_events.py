"""PagerDuty Events API v2 bodies read as the intake's events and deployments (pure: no I/O).

A team moving from PagerDuty changes only the URL its tools post to, so a body is read as
PagerDuty documents it (``POST /v2/enqueue``, ``POST /v2/change/enqueue``):

- ``event_action`` ``trigger`` is an ALERT, ``acknowledge`` an ACCEPT, ``resolve`` a RESOLVE;
  ``dedup_key`` is the alert key (at most 255 characters; required for acknowledge and resolve;
  a trigger without one gets a fresh key from the intake, returned to the sender).
- A trigger needs ``payload.summary`` (at most 1,024 characters, PagerDuty's limit: longer is
  refused, as PagerDuty refuses it), ``payload.source`` and ``payload.severity`` (``critical``,
  ``error``, ``warning`` or ``info``). The severity becomes the event's priority through the
  source's map (``intakeSettings.pagerdutySeverities``; by default critical and error are HIGH,
  warning and info LOW).
- ``payload.custom_details`` becomes the alert's custom details as sent (a value that is not an
  object is kept under the name ``custom_details``). ``severity``, ``source``, ``component``,
  ``group`` and ``class`` become the alert's labels, so event filters and grouping can use them.
- ``links`` and ``images`` become the alert's; ``client_url`` is one more link, named after
  ``client`` ("View in Sample Monitoring Service"), as PagerDuty shows it.
- An alert keeps the first 500 characters of the summary as its title; a longer summary is kept
  whole in the details. ``payload.timestamp`` (when the sender detected the problem) is shown in
  the details as sent.
- ``acknowledge`` and ``resolve`` read only the key and ``dedup_key``: PagerDuty uses the
  payload of trigger events only.

A change event needs ``payload.summary`` (at most 1,024 characters); ``payload.timestamp``
(ISO 8601, or epoch seconds or milliseconds) is when it happened (missing: now);
``payload.custom_details`` and ``links`` are kept, and ``payload.source`` is kept in the custom
details as ``source`` (unless they have their own).

Everything wrong with a body is collected and raised at once as :class:`InvalidEvent`, whose
``errors`` are the lines PagerDuty's 400 answer lists, each naming the field as PagerDuty does
(``'payload.summary'``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pagerline.engine.core.errors import BadInput
from pagerline.engine.sources.deployments import DeploymentInput, parse_timestamp
from pagerline.engine.sources.events import EventInput, EventType
from pagerline.engine.sources.intake_settings import PAGERDUTY_SEVERITIES
from pagerline.models import Priority

ACTIONS: Mapping[str, str] = {"trigger": EventType.ALERT, "acknowledge": EventType.ACCEPT, "resolve": EventType.RESOLVE}
SEVERITIES = PAGERDUTY_SEVERITIES  # critical, error, warning, info
MAX_SUMMARY = 1024  # PagerDuty's limit for payload.summary (alert and change events)
MAX_DEDUP_KEY = 255  # PagerDuty's limit for dedup_key, and the alert key's
MAX_ROUTING_KEY = 200  # as the events API's integrationKey
MAX_FIELD = 1024  # source, component, group, class, client, timestamp
MAX_URL = 2000
MAX_TEXT = 500  # a link's text, an image's alt
MAX_LINKS = 50
MAX_IMAGES = 20
ALERT_SUMMARY_CHARS = 500  # what an alert keeps as its title (the intake cuts there)
VIA = "PagerDuty Events API"
LABEL_FIELDS = ("severity", "source", "component", "group", "class")


class InvalidEvent(Exception):
    """A body PagerDuty would refuse: ``errors`` lists every reason."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """A valid ``/v2/enqueue`` body, before the source's severity map gives it a priority."""

    action: str  # trigger, acknowledge or resolve
    dedup_key: str | None
    summary: str | None = None
    severity: str | None = None
    timestamp: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    custom_details: dict[str, Any] = field(default_factory=dict)
    links: list[dict[str, str]] = field(default_factory=list)
    images: list[dict[str, str]] = field(default_factory=list)

    def to_event(self, severities: Mapping[str, Priority]) -> EventInput:
        """The intake's event; ``severities`` is the source's map (every severity in it)."""
        if self.action != "trigger":
            return EventInput(event_type=ACTIONS[self.action], alert_key=self.dedup_key, via=VIA)
        assert self.summary is not None and self.severity is not None
        return EventInput(
            event_type=EventType.ALERT,
            summary=self.summary,
            details=_details(self.summary, self.timestamp),
            alert_key=self.dedup_key,
            priority=severities[self.severity],
            images=self.images,
            links=self.links,
            custom_details=self.custom_details,
            labels=self.labels,
            via=VIA,
        )


def _details(summary: str, timestamp: str | None) -> str | None:
    lines = []
    if len(summary.strip()) > ALERT_SUMMARY_CHARS:
        lines.append(summary.strip())
    if timestamp:
        lines.append(f"Detected by the sender at {timestamp}")
    return "\n\n".join(lines) or None


class _Reader:
    """Reads fields of a JSON object, noting what is wrong instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, path: str, problem: str) -> None:
        self.errors.append(f"'{path}' {problem}")

    def text(self, obj: Mapping[str, Any], name: str, path: str, limit: int, *, required: bool = False) -> str | None:
        """A string field; None (or absent) is missing. ``required`` also refuses a blank one."""
        value = obj.get(name)
        if value is None:
            if required:
                self.fail(path, "is missing")
            return None
        if not isinstance(value, str):
            self.fail(path, "must be a string")
            return None
        if required and not value.strip():
            self.fail(path, "must not be blank")
            return None
        if len(value) > limit:
            self.fail(path, f"is too long (maximum is {limit} characters)")
            return None
        return value

    def objects(self, obj: Mapping[str, Any], name: str, limit: int) -> list[Mapping[str, Any]]:
        value = obj.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(name, "must be an array")
            return []
        if len(value) > limit:
            self.fail(name, f"may hold at most {limit} entries")
            return []
        found = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                found.append(item)
            else:
                self.fail(f"{name}[{i}]", "must be an object")
        return found

    def links(self, obj: Mapping[str, Any]) -> list[dict[str, str]]:
        links = []
        for i, item in enumerate(self.objects(obj, "links", MAX_LINKS)):
            href = self.text(item, "href", f"links[{i}].href", MAX_URL, required=True)
            text = self.text(item, "text", f"links[{i}].text", MAX_TEXT)
            if href is not None:
                links.append({"href": href, **({"text": text} if text else {})})
        return links

    def images(self, obj: Mapping[str, Any]) -> list[dict[str, str]]:
        images = []
        for i, item in enumerate(self.objects(obj, "images", MAX_IMAGES)):
            src = self.text(item, "src", f"images[{i}].src", MAX_URL, required=True)
            href = self.text(item, "href", f"images[{i}].href", MAX_URL)
            alt = self.text(item, "alt", f"images[{i}].alt", MAX_TEXT)
            if src is not None:
                images.append({"src": src, **({"href": href} if href else {}), **({"alt": alt} if alt else {})})
        return images

    def payload(self, body: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """``payload``, required; None (noted) when it is missing or not an object."""
        value = body.get("payload")
        if value is None:
            self.fail("payload", "is missing")
            return None
        if not isinstance(value, dict):
            self.fail("payload", "must be an object")
            return None
        return value


def custom_details_of(value: Any) -> dict[str, Any]:
    """``payload.custom_details`` as an alert's custom details: an object as it is, anything
    else (PagerDuty shows a string too) kept under the name ``custom_details``."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    return {"custom_details": value}


def routing_key_of(body: Mapping[str, Any]) -> str:
    """The integration key a body names (checked first: the rate limit is per key)."""
    reader = _Reader()
    key = reader.text(body, "routing_key", "routing_key", MAX_ROUTING_KEY, required=True)
    if key is None:
        raise InvalidEvent(reader.errors)
    return key


def parse_alert_event(body: Mapping[str, Any]) -> AlertEvent:
    """A ``/v2/enqueue`` body checked as PagerDuty checks it; raises :class:`InvalidEvent`."""
    reader = _Reader()
    reader.text(body, "routing_key", "routing_key", MAX_ROUTING_KEY, required=True)
    action = body.get("event_action")
    if action is None:
        reader.fail("event_action", "is missing")
    elif not isinstance(action, str) or action not in ACTIONS:
        reader.fail("event_action", f"must be one of {', '.join(ACTIONS)}")
    before = len(reader.errors)
    dedup_key = reader.text(body, "dedup_key", "dedup_key", MAX_DEDUP_KEY)
    if dedup_key is not None and not dedup_key.strip():
        dedup_key = None  # blank: as if absent (a trigger gets a fresh key)
    if action in ("acknowledge", "resolve"):
        if dedup_key is None and len(reader.errors) == before:
            reader.fail("dedup_key", f"is required for {action} events")
        if reader.errors:
            raise InvalidEvent(reader.errors)
        return AlertEvent(action=str(action), dedup_key=dedup_key)
    payload = reader.payload(body)
    summary = severity = timestamp = None
    labels: dict[str, str] = {}
    custom_details: dict[str, Any] = {}
    if payload is not None:
        summary = reader.text(payload, "summary", "payload.summary", MAX_SUMMARY, required=True)
        source = reader.text(payload, "source", "payload.source", MAX_FIELD, required=True)
        severity = payload.get("severity")
        if severity is None:
            reader.fail("payload.severity", "is missing")
        elif severity not in SEVERITIES:
            reader.fail("payload.severity", f"must be one of {', '.join(SEVERITIES)}")
        timestamp = reader.text(payload, "timestamp", "payload.timestamp", MAX_FIELD)
        for name, value in (("severity", severity), ("source", source)):
            if isinstance(value, str):
                labels[name] = value
        for name in ("component", "group", "class"):
            value = reader.text(payload, name, f"payload.{name}", MAX_FIELD)
            if value and value.strip():
                labels[name] = value
        custom_details = custom_details_of(payload.get("custom_details"))
    client = reader.text(body, "client", "client", MAX_FIELD)
    client_url = reader.text(body, "client_url", "client_url", MAX_URL)
    links = reader.links(body)
    if client_url and client_url.strip():
        links.append({"href": client_url, "text": f"View in {client}" if client and client.strip() else client_url})
    images = reader.images(body)
    if reader.errors:
        raise InvalidEvent(reader.errors)
    assert summary is not None and isinstance(severity, str)
    return AlertEvent(
        action="trigger",
        dedup_key=dedup_key,
        summary=summary,
        severity=severity,
        timestamp=timestamp if timestamp and timestamp.strip() else None,
        labels=labels,
        custom_details=custom_details,
        links=links,
        images=images,
    )


def parse_change_event(body: Mapping[str, Any], now: datetime) -> DeploymentInput:
    """A ``/v2/change/enqueue`` body as a deployment; raises :class:`InvalidEvent`."""
    reader = _Reader()
    reader.text(body, "routing_key", "routing_key", MAX_ROUTING_KEY, required=True)
    payload = reader.payload(body)
    summary = None
    at = now
    details: dict[str, Any] = {}
    if payload is not None:
        summary = reader.text(payload, "summary", "payload.summary", MAX_SUMMARY, required=True)
        source = reader.text(payload, "source", "payload.source", MAX_FIELD)
        raw_time = payload.get("timestamp")
        if raw_time is not None:
            if not isinstance(raw_time, str):
                reader.fail("payload.timestamp", "must be a string (ISO 8601)")
            else:
                try:
                    at = parse_timestamp(raw_time, now)
                except BadInput as exc:
                    reader.fail("payload.timestamp", f"is not valid: {exc.message}")
        details = custom_details_of(payload.get("custom_details"))
        if source and source.strip() and "source" not in details:
            details = {**details, "source": source}
    links = reader.links(body)
    reader.images(body)  # checked as PagerDuty's schema has them; a deployment shows no images
    if reader.errors:
        raise InvalidEvent(reader.errors)
    assert summary is not None
    return DeploymentInput(summary=summary, at=at, custom_details=details, links=links)
