"""An alert as a Microsoft Teams message: an Adaptive Card 1.4, wrapped as a Workflows webhook
expects it (a ``message`` with one ``application/vnd.microsoft.card.adaptive`` attachment).

Version 1.4 is what Teams renders in channels today. Its buttons are ``Action.OpenUrl``: a
webhook card cannot send a press back to pagerline, so each button opens pagerline's confirm
page through a signed link (:mod:`.links`), and "Open" opens the alert itself. Comments are made
on the alert's page, so there is no Comment button.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from pagerline.engine.chat.card import AlertCard

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.4"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MAX_SUMMARY = 300
MAX_DETAILS = 3000  # a webhook message is at most 28 KB; the details are the only long part
_LABELS = {"accept": "Accept", "resolve": "Resolve", "escalate": "Escalate"}  # in the card's order
# The status line's colour, so a channel scrolled past shows at a glance what still needs someone.
_COLOURS = {"Pending": "Attention", "Accepted": "Warning", "Resolved": "Good"}


def adaptive_card(card: AlertCard, link_for: Callable[[str], str]) -> dict[str, Any]:
    """The card: headline, status line, facts, details, then a button per action the alert
    allows now (``link_for(action)``: its signed link) and "Open"."""
    who = f" by {card.by}" if card.by else ""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": _clip(card.headline, MAX_SUMMARY), "size": "Large", "weight": "Bolder", "wrap": True},
        {"type": "TextBlock", "text": f"{card.status}{who}", "color": _COLOURS.get(card.status, "Default"), "weight": "Bolder", "spacing": "None", "wrap": True},
        {
            "type": "FactSet",
            "facts": [
                {"title": "Status", "value": f"{card.status}{who}"},
                {"title": "Priority", "value": card.priority},
                {"title": "Source", "value": card.source},
                {"title": "Escalation level", "value": str(card.escalation_level)},
            ],
        },
    ]
    if card.details:
        body.append({"type": "TextBlock", "text": _clip(card.details, MAX_DETAILS), "wrap": True, "isSubtle": True})
    actions: list[dict[str, Any]] = [
        {"type": "Action.OpenUrl", "title": label, "url": link_for(action), **({"style": "positive"} if action == "accept" else {})}
        for action, label in _LABELS.items()
        if action in card.actions
    ]
    actions.append({"type": "Action.OpenUrl", "title": "Open", "url": card.link})
    return {"$schema": SCHEMA, "type": "AdaptiveCard", "version": VERSION, "fallbackText": card.text, "body": body, "actions": actions}


def webhook_message(content: dict[str, Any]) -> dict[str, Any]:
    """What a Workflows "post to a channel when a webhook request is received" flow takes."""
    return {"type": "message", "attachments": [{"contentType": CONTENT_TYPE, "contentUrl": None, "content": content}]}


def fingerprint(card: AlertCard) -> str:
    """What the card shows, in 16 hex digits: a card that would look the same as the one posted
    is not posted again (a comment changes the alert but not its card). Links are left out:
    they carry a fresh expiry each time they are drawn."""
    shown = "\x1f".join(
        [card.headline, card.details or "", card.status, card.by or "", card.priority, card.source, str(card.escalation_level), ",".join(card.actions)]
    )
    return hashlib.sha256(shown.encode()).hexdigest()[:16]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
