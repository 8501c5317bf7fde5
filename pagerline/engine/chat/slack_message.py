"""An alert as a Slack message (Block Kit): what it is, where it stands, and its buttons.

The buttons carry the alert's id as their value and the action as their ``action_id``; a press
is trusted only for who pressed (Slack signs the request), never for what the value claims:
the alert is looked up and the presser's rights checked (:mod:`.presses`).
"""

from __future__ import annotations

from typing import Any

from pagerline.engine.chat.card import AlertCard
from pagerline.engine.chat.forms import OpenForm
from pagerline.engine.chat.client import ChatMessage
from pagerline.models import Alert


ACTION_PREFIX = "pagerline_"
MAX_SUMMARY = 150  # a header block takes at most 150 characters
_LABELS = {"accept": "Accept", "resolve": "Resolve", "escalate": "Escalate", "comment": "Comment"}


def alert_message(card: AlertCard) -> ChatMessage:
    """The alert's message in Block Kit: a header, its state, its own channel, details, buttons."""
    who = f" by {card.by}" if card.by else ""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(card.headline, MAX_SUMMARY), "emoji": False}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*Status*\n{card.status}{_escape(who)}"},
                {"type": "mrkdwn", "text": f"*Priority*\n{card.priority}"},
                {"type": "mrkdwn", "text": f"*Source*\n{_escape(card.source)}"},
                {"type": "mrkdwn", "text": f"*Escalation level*\n{card.escalation_level}"},
            ],
        },
    ]
    if card.incident_channel:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"Discussed in <#{card.incident_channel}>"}]})
    if card.details:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _escape(_clip(card.details, 2900))}})
    elements = [_button(_LABELS[action], action, card.alert_id, style="primary" if action == "accept" else None) for action in card.actions]
    elements.append({"type": "button", "text": {"type": "plain_text", "text": "Open"}, "url": card.link, "action_id": f"{ACTION_PREFIX}open"})
    blocks.append({"type": "actions", "block_id": f"alert-{card.alert_id}", "elements": elements})
    return ChatMessage(text=card.text, blocks=blocks)


COMMENT_VIEW = "pagerline_comment"
COMMENT_BLOCK, COMMENT_INPUT = "comment", "text"


def comment_view(alert: Alert) -> dict[str, Any]:
    """The modal a Comment button opens; its submission names the alert in private_metadata
    (only a hint, like a button's value: the alert is looked up and the presser's rights checked)."""
    return {
        "type": "modal",
        "callback_id": COMMENT_VIEW,
        "private_metadata": str(alert.id),
        "title": {"type": "plain_text", "text": f"Comment on #{alert.id}"[:24]},
        "submit": {"type": "plain_text", "text": "Comment"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "section", "text": {"type": "plain_text", "text": _clip(alert.summary, 3000)}},
            {
                "type": "input",
                "block_id": COMMENT_BLOCK,
                "label": {"type": "plain_text", "text": "Comment"},
                "element": {"type": "plain_text_input", "action_id": COMMENT_INPUT, "multiline": True, "max_length": 3000},
            },
        ],
    }


OPEN_VIEW = "pagerline_open_alert"
OPEN_SHORTCUT = "pagerline_open_alert"  # the message shortcut's callback id (see the app manifest)


def open_alert_view(form: OpenForm) -> dict[str, Any]:
    """The modal that opens an alert: the service (an alert source) whose policy is paged, and
    what to say; what it offers is the engine's (:func:`pagerline.engine.chat.opening.open_form`)."""
    summary, details = form.summary, form.details
    options = [{"text": {"type": "plain_text", "text": _clip(name, 75)}, "value": str(source_id)} for source_id, name in form.sources]
    priorities = [{"text": {"type": "plain_text", "text": p}, "value": p} for p in form.priorities]
    chosen = next((p for p in priorities if p["value"] == form.priority), priorities[0])
    return {
        "type": "modal",
        "callback_id": OPEN_VIEW,
        "title": {"type": "plain_text", "text": "Open an alert"},
        "submit": {"type": "plain_text", "text": "Open"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "input", "block_id": "source", "label": {"type": "plain_text", "text": "Service"},
             "hint": {"type": "plain_text", "text": "Its escalation policy is paged."},
             "element": {"type": "static_select", "action_id": "value", "options": options}},
            {"type": "input", "block_id": "summary", "label": {"type": "plain_text", "text": "Summary"},
             "element": {"type": "plain_text_input", "action_id": "value", "max_length": 500, **({"initial_value": _clip(summary, 500)} if summary else {})}},
            {"type": "input", "block_id": "details", "optional": True, "label": {"type": "plain_text", "text": "Details"},
             "element": {"type": "plain_text_input", "action_id": "value", "multiline": True, "max_length": 3000,
                         **({"initial_value": _clip(details, 3000)} if details else {})}},
            {"type": "input", "block_id": "priority", "label": {"type": "plain_text", "text": "Priority"},
             "element": {"type": "static_select", "action_id": "value", "options": priorities, "initial_option": chosen}},
        ],
    }


def _button(label: str, action: str, alert_id: int, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "text": {"type": "plain_text", "text": label}, "action_id": ACTION_PREFIX + action, "value": str(alert_id)}
    if style:
        button["style"] = style
    return button


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _escape(text: str) -> str:
    """Slack's mrkdwn control characters, as Slack asks them escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
