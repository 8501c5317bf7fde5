"""Text of notifications. Kept apart so transports and payload builders share one wording."""

from __future__ import annotations

from pagerline.models import Alert


def alert_code(alert_id: int) -> str:
    """Short code people can type in an SMS reply."""
    return f"#{alert_id}"


def page_title(alert: Alert) -> str:
    return f"[{alert.priority.value}] {alert.summary}"[:300]


def page_body(alert: Alert, source_name: str) -> str:
    details = (alert.details or "").strip()
    text = f"{alert_code(alert.id)} from {source_name}: {alert.summary}"
    if details:
        text += f"\n{details[:400]}"
    return text


def update_title(alert: Alert, what: str) -> str:
    return f"{what}: {alert.summary}"[:300]
