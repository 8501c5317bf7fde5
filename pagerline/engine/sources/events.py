"""What an event is, whatever integration it came through (the intake's input type).

Kept apart from :mod:`pagerline.engine.sources.intake` so that the source policies, which the intake
consults, can describe events without importing the intake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pagerline.models import Priority


class EventType:
    ALERT = "ALERT"
    ACCEPT = "ACCEPT"
    RESOLVE = "RESOLVE"
    COMMENT = "COMMENT"
    ALL = (ALERT, ACCEPT, RESOLVE, COMMENT)


class ResponseCode:
    NEW_ALERT_CREATED = "NEW_ALERT_CREATED"
    EVENT_ADDED_TO_ALERT = "EVENT_ADDED_TO_ALERT"
    ALERT_ACCEPTED = "ALERT_ACCEPTED"
    ALERT_RESOLVED = "ALERT_RESOLVED"
    COMMENT_ADDED = "COMMENT_ADDED"
    NO_OPEN_ALERT = "NO_OPEN_ALERT"
    # Accepted and recorded (GraphQL droppedEvents), but no alert: see the source's policies.
    EVENT_FILTERED = "EVENT_FILTERED"
    SOURCE_IN_MAINTENANCE = "SOURCE_IN_MAINTENANCE"


@dataclass(frozen=True, slots=True)
class EventInput:
    event_type: str
    summary: str | None = None
    details: str | None = None
    alert_key: str | None = None
    priority: Priority | None = None
    images: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    custom_details: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, Any] = field(default_factory=dict)
    routing_key: str | None = None
    comments: list[tuple[str, str]] = field(default_factory=list)  # (creator, content)
    via: str = "API"
