"""Text of notifications. Kept apart so transports and payload builders share one wording."""

from __future__ import annotations

from pagerline.models import Alert, Channel


def alert_code(alert_id: int) -> str:
    """Short code people can type in an SMS reply."""
    return f"#{alert_id}"


def page_title(alert: Alert) -> str:
    return f"[{alert.priority.value}] {alert.summary}"[:300]


def page_body(alert: Alert, source_name: str, channel: Channel = Channel.PUSH) -> str:
    """The page's text, shaped for its channel: SMS says how to reply, voice is read aloud."""
    code = alert_code(alert.id)
    if channel is Channel.SMS:
        return (
            f"pagerline {code} [{alert.priority.value}] {alert.summary[:300]} ({source_name}). "
            f"Reply 1 to accept, 2 to resolve (or '1 {alert.id}')."
        )
    if channel is Channel.VOICE:
        return f"This is pagerline. {alert.priority.value.lower()} priority alert {alert.id} from {source_name}: {alert.summary[:300]}."
    details = (alert.details or "").strip()
    text = f"{code} from {source_name}: {alert.summary}"
    if details:
        text += f"\n{details[:400]}"
    return text


def update_body(alert: Alert, what: str, who: str) -> str:
    return f"{alert_code(alert.id)} {what.lower()} by {who}: {alert.summary}"[:1000]


def update_title(alert: Alert, what: str) -> str:
    return f"{what}: {alert.summary}"[:300]
