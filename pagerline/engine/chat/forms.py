"""What a chat form offers, drawn by each platform's renderer (Slack's modal, Mattermost's
dialog). Kept apart from :mod:`.opening`, which decides what is offered, so the renderers need
not import the engine that calls them."""

from __future__ import annotations

from dataclasses import dataclass

from pagerline.models import Priority

PRIORITIES = tuple(p.value for p in Priority)  # HIGH, then LOW


@dataclass(frozen=True)
class OpenForm:
    """What the open-an-alert form offers, for a platform's renderer to draw."""

    sources: list[tuple[int, str]]  # (alert source id, name): the services this person may see
    summary: str
    details: str
    priorities: tuple[str, ...] = PRIORITIES
    # Preselected, as Slack's form always was: someone opening an alert by hand usually wants it paged now.
    priority: str = Priority.HIGH.value
