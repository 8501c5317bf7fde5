"""What an alert's chat message says, whatever the platform draws it with: each platform's
format (:mod:`.slack_message` and the others) turns this into its own layout."""

from __future__ import annotations

from dataclasses import dataclass

from pagerline.models import Alert, AlertStatus

STATUS_NAMES = {AlertStatus.PENDING: "Pending", AlertStatus.ACCEPTED: "Accepted", AlertStatus.RESOLVED: "Resolved"}


@dataclass(frozen=True, slots=True)
class AlertCard:
    alert_id: int
    summary: str
    details: str | None
    status: str  # Pending, Accepted, Resolved
    by: str | None  # who accepted or resolved it
    priority: str  # HIGH, LOW
    source: str
    escalation_level: int  # 1-based
    link: str  # the alert in the web app
    actions: tuple[str, ...]  # what can be done now, in button order: accept, resolve, escalate, comment
    incident_channel: str | None = None  # the alert's own channel, if it has one

    @property
    def headline(self) -> str:
        return f"#{self.alert_id} {self.summary}"

    @property
    def text(self) -> str:
        """One line for notifications, screen readers and platforms without layout."""
        return f"[{self.status}] {self.headline} ({self.priority}, {self.source})"


def card_for(alert: Alert, base_url: str, incident_channel: str | None = None) -> AlertCard:
    """``alert`` with its source, accepted_by and resolved_by loaded."""
    by = None
    if alert.status is AlertStatus.ACCEPTED and alert.accepted_by is not None:  # type: ignore[attr-defined]
        by = alert.accepted_by.name  # type: ignore[attr-defined]
    elif alert.status is AlertStatus.RESOLVED and alert.resolved_by is not None:  # type: ignore[attr-defined]
        by = alert.resolved_by.name  # type: ignore[attr-defined]
    actions: list[str] = []
    if alert.status is AlertStatus.PENDING:
        actions.append("accept")
    if alert.status is not AlertStatus.RESOLVED:
        actions += ["resolve", "escalate"]
    actions.append("comment")
    return AlertCard(
        alert_id=alert.id,
        summary=alert.summary,
        details=alert.details,
        status=STATUS_NAMES[alert.status],
        by=by,
        priority=alert.priority.value,
        source=alert.source.name,  # type: ignore[attr-defined]
        escalation_level=alert.escalation_rule_index + 1,
        link=f"{base_url.rstrip('/')}/alerts/{alert.id}",
        actions=tuple(actions),
        incident_channel=incident_channel,
    )
