"""An alert as a Mattermost post: a one-line message and a message attachment with the alert's
state as fields and its buttons as attachment actions.

Mattermost does not sign the requests a button sends, so each button's ``context`` carries a
signature of its own: HMAC-SHA256 over ``mattermost:<alert id>:<action>`` with the server's
signing key. A request whose context does not verify is not pagerline's button (or is one for
another alert) and is refused. Even a verified context is only a hint for *what* to do: the
alert is looked up and the presser's rights checked (:mod:`.presses`).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from pagerline.engine.chat.card import AlertCard
from pagerline.engine.chat.client import ChatMessage

ACTIONS_PATH = "/api/mattermost/actions"
DIALOGS_PATH = "/api/mattermost/dialogs"
COMMENT_DIALOG, COMMENT_FIELD = "pagerline_comment", "comment"
MAX_SUMMARY = 300
MAX_DETAILS = 3000
_LABELS = {"accept": "Accept", "resolve": "Resolve", "escalate": "Escalate", "comment": "Comment"}
_STYLES = {"accept": "primary", "resolve": "good", "escalate": "danger", "comment": "default"}
# The attachment's side bar: red while nobody has it, amber once accepted, green when resolved.
COLORS = {"Pending": "#d24b4e", "Accepted": "#f2a23a", "Resolved": "#3db887"}


def signature(key: bytes, alert_id: int | str, action: str) -> str:
    """What a button's context must carry for ``action`` on alert ``alert_id``."""
    return hmac.new(key, f"mattermost:{alert_id}:{action}".encode(), hashlib.sha256).hexdigest()


def signed(key: bytes, context: Any) -> tuple[str, str] | None:
    """The (alert id, action) a button's ``context`` names, when its signature is pagerline's
    for exactly that pair; None for an unsigned, forged or altered context."""
    if not isinstance(context, dict):
        return None
    alert_id, action, given = (context.get(k) for k in ("alert_id", "action", "signature"))
    alert_ref = str(alert_id) if isinstance(alert_id, (int, str)) and not isinstance(alert_id, bool) else ""
    if not alert_ref or not isinstance(action, str) or not isinstance(given, str):
        return None
    if not hmac.compare_digest(signature(key, alert_ref, action).encode(), given.encode()):
        return None
    return alert_ref, action


def alert_post(card: AlertCard, public_url: str, key: bytes) -> ChatMessage:
    """The post's ``message`` as ``text`` and its ``props`` as the one element of ``blocks``."""
    return ChatMessage(text=card.text, blocks=[post_props(card, public_url, key)])


def post_props(card: AlertCard, public_url: str, key: bytes) -> dict[str, Any]:
    """The post's ``props``: the attachment, and no @channel/@all/@here notifications from an
    alert's summary or details (they come from outside and may say anything)."""
    who = f" by {card.by}" if card.by else ""
    fields = [
        {"short": True, "title": "Status", "value": f"{card.status}{who}"},
        {"short": True, "title": "Priority", "value": card.priority},
        {"short": True, "title": "Source", "value": card.source},
        {"short": True, "title": "Escalation level", "value": str(card.escalation_level)},
    ]
    if card.incident_channel:
        fields.append({"short": False, "title": "Discussed in", "value": f"~{card.incident_channel}"})
    url = public_url.rstrip("/") + ACTIONS_PATH
    attachment: dict[str, Any] = {
        "fallback": card.text,
        "color": COLORS.get(card.status, "#8a8a8a"),
        "title": _clip(card.headline, MAX_SUMMARY),
        "title_link": card.link,
        "fields": fields,
        "actions": [_button(action, card.alert_id, url, key) for action in card.actions if action in _LABELS],
    }
    if card.details:
        attachment["text"] = _clip(card.details, MAX_DETAILS)
    return {"attachments": [attachment], "disable_group_highlight": True}


def comment_dialog(alert_id: int, summary: str, public_url: str, key: bytes) -> dict[str, Any]:
    """What opens the Comment form (``/actions/dialogs/open`` without its ``trigger_id``). Its
    ``state`` comes back with the submission, signed like a button's context, so a submission
    names an alert only when pagerline opened the form for it."""
    return {
        "url": public_url.rstrip("/") + DIALOGS_PATH,
        "dialog": {
            "callback_id": COMMENT_DIALOG,
            "title": f"Comment on #{alert_id}"[:24],
            "introduction_text": _clip(summary, MAX_SUMMARY),
            "elements": [{"display_name": "Comment", "name": COMMENT_FIELD, "type": "textarea", "max_length": MAX_DETAILS}],
            "submit_label": "Comment",
            "state": f"{alert_id}:{signature(key, alert_id, 'comment')}",
        },
    }


def signed_state(key: bytes, state: Any) -> str | None:
    """The alert a Comment form's ``state`` names, when pagerline signed it; else None."""
    alert_ref, _, given = state.partition(":") if isinstance(state, str) else ("", "", "")
    return alert_ref if alert_ref and signed(key, {"alert_id": alert_ref, "action": "comment", "signature": given}) else None


def _button(action: str, alert_id: int, url: str, key: bytes) -> dict[str, Any]:
    # Mattermost wants action ids of letters and digits only: "accept", "resolve", "escalate".
    context = {"alert_id": str(alert_id), "action": action, "signature": signature(key, alert_id, action)}
    return {"id": action, "name": _LABELS[action], "type": "button", "style": _STYLES[action], "integration": {"url": url, "context": context}}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
