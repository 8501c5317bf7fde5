"""An alert as a Microsoft Teams message: an Adaptive Card 1.4, wrapped as a Workflows webhook
expects it (a ``message`` with one ``application/vnd.microsoft.card.adaptive`` attachment).

Version 1.4 is what Teams renders in channels today. Its buttons are ``Action.OpenUrl``: a
webhook card cannot send a press back to pagerline, so each button opens pagerline's confirm
page through a signed link (:mod:`.links`), and "Open" opens the alert itself. Comments are made
on the alert's page, so there is no Comment button.

Teams draws a TextBlock's text and a fact's value as Markdown (bold, italic, links, lists). What
people and monitors wrote (the summary, details, source name and who acted) is shown as written:
:func:`markdown_literal` backslash-escapes what Markdown would read as formatting, so a summary
``**db** [click](http://evil)`` shows those characters and links nowhere.
"""

from __future__ import annotations

import hashlib
import re
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

# Markdown that starts anywhere in a line: escapes, code, emphasis, links and images, autolinks,
# strikethrough, table cells; an entity (``&amp;`` would show as ``&``); and the second brace of
# a ``{{DATE(…)}}``/``{{TIME(…)}}``, which Adaptive Cards replace with a formatted date before
# Markdown runs (escaping the first brace would leave ``{{DATE(`` whole).
_INLINE = re.compile(r"[\\`*_\[\]<~|]|&(?=#?[0-9A-Za-z]+;)|(?<=\{)\{(?=(?:DATE|TIME)\()")
# Markdown that starts only a line, escaped at its first character: a heading ("# "), a list
# item ("- ", "+ "), a quote, and the rules and underlines ("---", "===") that would make a rule or
# turn the line above into a heading. Only those shapes, so "#7" and "-5 °C" stay as they are.
_BLOCK_MARK = re.compile(r"#{1,6}(?=[ \t]|$)|[-+](?=[ \t]|$)|-[- \t]*$|=[= \t]*$|>")
# A numbered list item ("1. ", "2) "), escaped at its "." or ")", so "1.5 GB" stays as it is.
_ORDERED = re.compile(r"[0-9]{1,9}(?=[.)](?:[ \t]|$))")
_LINE_BREAK = re.compile(r"(\r\n|\r|\n)")  # Markdown's line endings; split() keeps them
# Four leading spaces would make a code block, where escapes show as backslashes: a line's
# indent becomes no-break spaces, which Markdown does not count as indent but still draws. One for
# each space or tab, so no character grows past two (the webhook takes 28 KB).
_NBSP = "\u00a0"


def adaptive_card(card: AlertCard, link_for: Callable[[str], str]) -> dict[str, Any]:
    """The card: headline, status line, facts, details, then a button per action the alert
    allows now (``link_for(action)``: its signed link) and "Open"."""
    who = f" by {markdown_literal(card.by)}" if card.by else ""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": markdown_literal(_clip(card.headline, MAX_SUMMARY)), "size": "Large", "weight": "Bolder", "wrap": True},
        {"type": "TextBlock", "text": f"{card.status}{who}", "color": _COLOURS.get(card.status, "Default"), "weight": "Bolder", "spacing": "None", "wrap": True},
        {
            "type": "FactSet",
            "facts": [
                {"title": "Status", "value": f"{card.status}{who}"},
                {"title": "Priority", "value": card.priority},
                {"title": "Source", "value": markdown_literal(card.source)},
                {"title": "Escalation level", "value": str(card.escalation_level)},
            ],
        },
    ]
    if card.details:
        body.append({"type": "TextBlock", "text": markdown_literal(_clip(card.details, MAX_DETAILS)), "wrap": True, "isSubtle": True})
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


def markdown_literal(text: str) -> str:
    """``text`` as Adaptive Card Markdown that draws it as written: each line's formatting
    characters backslash-escaped (CommonMark's escapes, as markdown-it reads them: the Markdown
    the Adaptive Cards SDK draws with), its indent made of no-break spaces, its line breaks kept."""
    parts = _LINE_BREAK.split(text)  # lines at even places, the line breaks between them at odd
    return "".join(part if index % 2 else _literal_line(part) for index, part in enumerate(parts))


def _literal_line(line: str) -> str:
    text = line.lstrip(" \t")
    indent = line[: len(line) - len(text)]
    rest = _INLINE.sub(lambda found: "\\" + found.group(), text)
    if _BLOCK_MARK.match(rest):
        rest = "\\" + rest
    elif ordered := _ORDERED.match(rest):
        rest = f"{ordered.group()}\\{rest[ordered.end():]}"
    return _NBSP * len(indent) + rest


def _clip(text: str, limit: int) -> str:
    """Clipped before :func:`markdown_literal`, so the limit counts what is shown and never cuts
    an escape from the character it escapes."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
