"""An alert as a Mattermost post: a one-line message and a message attachment with the alert's
state as fields and its buttons as attachment actions.

Mattermost does not sign the requests a button sends, so each button's ``context`` carries a
signature of its own: HMAC-SHA256 over ``mattermost:<alert id>:<action>`` with the server's
signing key. A request whose context does not verify is not pagerline's button (or is one for
another alert) and is refused. Even a verified context is only a hint for *what* to do: the
alert is looked up and the presser's rights checked (:mod:`.presses`).

The forms (interactive dialogs) all send to one URL, so each one's ``state`` says, signed, which
form it is: the Comment form's names its alert, the open-an-alert form's the Mattermost user it
was opened for and when. One form's state never verifies as another's.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pagerline.engine.chat.card import AlertCard
from pagerline.engine.chat.forms import OpenForm
from pagerline.engine.chat.client import ChatMessage


ACTIONS_PATH = "/api/mattermost/actions"
DIALOGS_PATH = "/api/mattermost/dialogs"
COMMENT_DIALOG, COMMENT_FIELD = "pagerline_comment", "comment"
OPEN_DIALOG = "pagerline_open_alert"
COMMENT_FORM, OPEN_FORM = "comment", "open_alert"  # what a verified state says the form is
MAX_SUMMARY = 300
MAX_DETAILS = 3000
MAX_OPEN_SUMMARY = 500  # what the intake keeps of a summary
# Mattermost checks a text element's default against 150 bytes (DialogElementTextMaxLength):
# the server only logs a longer one, but the form may not show it.
MAX_TEXT_DEFAULT_BYTES = 150
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


def open_alert_dialog(form: OpenForm, chat_user_id: str, public_url: str, key: bytes, now: datetime) -> dict[str, Any]:
    """What opens the open-an-alert form for ``chat_user_id`` (``/actions/dialogs/open`` without
    its ``trigger_id``). Element names are :func:`pagerline.engine.chat.opening.open_alert`'s
    field names, so its errors go back under the right field as they are."""
    summary, details = _text_default(form.summary), form.details
    if summary != form.summary and not details:
        details = form.summary  # a summary too long for the field's default is kept whole below
    return {
        "url": public_url.rstrip("/") + DIALOGS_PATH,
        "dialog": {
            "callback_id": OPEN_DIALOG,
            "title": "Open an alert",
            "elements": [
                {"display_name": "Service", "name": "source", "type": "select", "placeholder": "Choose a service",
                 "help_text": "Its escalation policy is paged.", "options": [{"text": name, "value": str(source_id)} for source_id, name in form.sources]},
                {"display_name": "Summary", "name": "summary", "type": "text", "default": summary, "max_length": MAX_OPEN_SUMMARY},
                {"display_name": "Details", "name": "details", "type": "textarea", "optional": True, "default": _clip(details, MAX_DETAILS),
                 "max_length": MAX_DETAILS},
                {"display_name": "Priority", "name": "priority", "type": "select", "default": form.priority,
                 "options": [{"text": p, "value": p} for p in form.priorities]},
            ],
            "submit_label": "Open",
            "state": open_state(key, chat_user_id, now),
        },
    }


def open_state(key: bytes, chat_user_id: str, now: datetime) -> str:
    """The open-an-alert form's ``state``: for whom and when it was opened, signed."""
    issued = str(int(now.timestamp()))
    return f"{OPEN_FORM}:{chat_user_id}:{issued}:{_form_signature(key, OPEN_FORM, chat_user_id, issued)}"


@dataclass(frozen=True)
class FormState:
    """What a form's verified ``state`` says: which form, and what it was opened for."""

    kind: str  # COMMENT_FORM or OPEN_FORM
    ref: str  # the alert (Comment), or the Mattermost user id it was opened for (open an alert)
    issued: int | None = None  # when an open-an-alert form was opened (seconds since the epoch)


def form_state(key: bytes, state: Any) -> FormState | None:
    """Which of pagerline's forms ``state`` belongs to, when pagerline signed it; else None."""
    alert_ref = signed_state(key, state)
    if alert_ref is not None:
        return FormState(COMMENT_FORM, alert_ref)
    kind, _, rest = state.partition(":") if isinstance(state, str) else ("", "", "")
    user_id, issued, given = rest.rsplit(":", 2) if kind == OPEN_FORM and rest.count(":") >= 2 else ("", "", "")
    if not user_id or not issued.isdigit():
        return None
    if not hmac.compare_digest(_form_signature(key, OPEN_FORM, user_id, issued).encode(), given.encode()):
        return None
    return FormState(OPEN_FORM, user_id, int(issued))


def _form_signature(key: bytes, kind: str, *parts: str) -> str:
    # Its own prefix: a button's or a Comment form's signature ("mattermost:...") never matches.
    return hmac.new(key, ":".join(("mattermost-form", kind, *parts)).encode(), hashlib.sha256).hexdigest()


def _button(action: str, alert_id: int, url: str, key: bytes) -> dict[str, Any]:
    # Mattermost wants action ids of letters and digits only: "accept", "resolve", "escalate".
    context = {"alert_id": str(alert_id), "action": action, "signature": signature(key, alert_id, action)}
    return {"id": action, "name": _LABELS[action], "type": "button", "style": _STYLES[action], "integration": {"url": url, "context": context}}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text_default(text: str) -> str:
    """``text`` cut to what a text element's default may hold (bytes, as Mattermost counts)."""
    encoded = text.encode()
    if len(encoded) <= MAX_TEXT_DEFAULT_BYTES:
        return text
    return encoded[: MAX_TEXT_DEFAULT_BYTES - len("…".encode())].decode(errors="ignore") + "…"
