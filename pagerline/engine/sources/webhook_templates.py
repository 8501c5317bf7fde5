"""The generic webhook intake's mapping: any JSON payload → an event, through per-source
templates in the language of :mod:`pagerline.engine.sources.templating`.

Stored form: ``{"summary": "...", "details": "...", "alertKey": "...", "priority": "...",
"eventType": "...", "links": [{"href": "...", "text": "..."}]}``; every key is optional and
falls back to :data:`DEFAULT_TEMPLATES`. What the rendered text means:

- ``summary`` (required for ALERT events), ``details``: as rendered, trimmed.
- ``alertKey``: trimmed; empty lets the intake generate one.
- ``priority``: ``HIGH`` or ``LOW`` (any case); anything else, or nothing, leaves it to the source.
- ``eventType``: ``ALERT``, ``ACCEPT``, ``RESOLVE`` or ``COMMENT`` (any case); empty is ``ALERT``;
  anything else refuses the payload (422), because guessing could page for a recovery.
- ``links``: each rendered ``href`` that is an http(s) URL becomes a link.

The whole payload (when it is an object) becomes the alert's ``customDetails``, so event
filters can test ``customDetails.<path>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pagerline.engine.sources.events import EventInput, EventType
from pagerline.engine.sources.templating import Template, TemplateError, compile_template
from pagerline.models import Priority

TEXT_FIELDS = ("summary", "details", "alertKey", "priority", "eventType")
MAX_LINKS = 20

DEFAULT_TEMPLATES: dict[str, str] = {
    "summary": '{{ summary | default(title) | default(message) | default("Webhook event") }}',
    "details": "{{ details | default(description) }}",
    "alertKey": "{{ alertKey | default(id) }}",
    "priority": "{{ priority }}",
    "eventType": '{{ eventType | default("ALERT") }}',
}


class TemplateFieldError(ValueError):
    """A template that does not compile, with the field it belongs to and where in it."""

    def __init__(self, field: str, error: TemplateError) -> None:
        super().__init__(f"templates.{field}: {error}")
        self.field = field
        self.line = error.line
        self.column = error.column
        self.message = error.message


class MappingError(ValueError):
    """A payload the templates map to something that is not an event."""


@dataclass(frozen=True, slots=True)
class LinkTemplate:
    href: Template
    text: Template | None


@dataclass(frozen=True, slots=True)
class WebhookTemplates:
    fields: Mapping[str, Template]
    links: tuple[LinkTemplate, ...]


def _compile(field: str, source: Any) -> Template:
    if not isinstance(source, str):
        raise TemplateFieldError(field, TemplateError("must be a string", 1, 1))
    try:
        return compile_template(source)
    except TemplateError as exc:
        raise TemplateFieldError(field, exc) from None


def compile_webhook_templates(raw: Any) -> WebhookTemplates:
    """Validate and compile stored templates (None means the defaults)."""
    raw = raw or {}
    if not isinstance(raw, Mapping):
        raise TemplateFieldError("", TemplateError("templates must be an object", 1, 1))
    unknown = sorted(set(raw) - {*TEXT_FIELDS, "links"})
    if unknown:
        known = ", ".join((*TEXT_FIELDS, "links"))
        raise TemplateFieldError(unknown[0], TemplateError(f"unknown template (known: {known})", 1, 1))
    fields = {name: _compile(name, raw.get(name) or DEFAULT_TEMPLATES[name]) for name in TEXT_FIELDS}
    links_raw = raw.get("links") or []
    if not isinstance(links_raw, list) or len(links_raw) > MAX_LINKS:
        raise TemplateFieldError("links", TemplateError(f"must be a list of at most {MAX_LINKS} links", 1, 1))
    links: list[LinkTemplate] = []
    for index, link in enumerate(links_raw):
        if not isinstance(link, Mapping) or "href" not in link:
            raise TemplateFieldError(f"links[{index}]", TemplateError('a link is {"href": "...", "text": "..."}', 1, 1))
        text = link.get("text")
        links.append(
            LinkTemplate(
                _compile(f"links[{index}].href", link["href"]),
                _compile(f"links[{index}].text", text) if text is not None else None,
            )
        )
    return WebhookTemplates(fields, tuple(links))


@dataclass(frozen=True, slots=True)
class Rendered:
    """What the templates made of a payload, before it is judged (the preview shows this)."""

    summary: str
    details: str
    alert_key: str
    priority: str
    event_type: str
    links: tuple[dict[str, str], ...]


def render_payload(templates: WebhookTemplates, payload: Any) -> Rendered:
    text = {name: templates.fields[name].render(payload).strip() for name in TEXT_FIELDS}
    links: list[dict[str, str]] = []
    for link in templates.links:
        href = link.href.render(payload).strip()
        if href.startswith(("http://", "https://")):
            label = link.text.render(payload).strip() if link.text is not None else ""
            links.append({"href": href[:2000], **({"text": label[:500]} if label else {})})
    return Rendered(
        summary=text["summary"],
        details=text["details"],
        alert_key=text["alertKey"],
        priority=text["priority"],
        event_type=text["eventType"],
        links=tuple(links),
    )


def to_event(rendered: Rendered, payload: Any) -> EventInput:
    """The event a rendered payload stands for, or :class:`MappingError`."""
    event_type = rendered.event_type.upper() or EventType.ALERT
    if event_type not in EventType.ALL:
        raise MappingError(f"the eventType template rendered '{rendered.event_type[:50]}', not one of {', '.join(EventType.ALL)}")
    priority = rendered.priority.upper()
    return EventInput(
        event_type=event_type,
        summary=rendered.summary[:500] or None,
        details=rendered.details[:65_536] or None,
        alert_key=rendered.alert_key[:255] or None,
        priority=Priority(priority) if priority in ("HIGH", "LOW") else None,
        links=[dict(link) for link in rendered.links],
        custom_details=dict(payload) if isinstance(payload, Mapping) else {"payload": payload},
        via="Webhook",
    )


def map_payload(templates: WebhookTemplates, payload: Any) -> EventInput:
    return to_event(render_payload(templates, payload), payload)
