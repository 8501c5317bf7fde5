"""Opsgenie's Alert API in pagerline's terms: what a request means, what it does, and the record
``GET /v2/alerts/requests/{id}`` reads back.

Senders written for Opsgenie (Alertmanager's ``opsgenie_configs``, Grafana's Opsgenie contact
point, scripts) post ``message``, ``alias``, ``description``, ``details``, ``tags``,
``priority``, ``entity``, ``source``, ``note`` and ``user``. Here they become one
:class:`~pagerline.engine.sources.events.EventInput` for the intake (the one event path: dedup
by alert key, the source's filter, grouping, maintenance and priority rule):

- ``message`` is the summary, ``description`` the details, ``alias`` the alert key (Opsgenie
  deduplicates by alias; pagerline compares keys case-insensitively);
- ``details`` (Opsgenie's key/value "extra properties"; Alertmanager sends its common labels
  there) are the alert's labels; ``tags``, ``entity``, ``source``, ``priority`` and ``user``
  are kept in its custom details;
- ``priority`` P1..P5 maps through the source's ``opsgeniePriorities`` (P1-P2 HIGH, P3-P5 LOW
  by default); without one the source's default priority decides, so an Alertmanager that sends
  none pages as the source says;
- ``note`` is a comment on the alert.

Parsing is pure and refuses only what means nothing (no message, a priority that is not P1..P5,
a field of the wrong type, an alias longer than Opsgenie's 512 characters) with
:class:`OpsgenieInvalid`. Text over Opsgenie's documented limits is cut to them, not refused: a
pager should not drop an alert because its description ran long.

Opsgenie answers 202 and processes later; pagerline processes before answering, then stores
the outcome (:class:`~pagerline.models.IntakeRequest`) so that the request id it hands out can
be asked about at once. Each change commits in the engine's own transactions and the record
right after, all before the 202 goes out; a database that fails in between gets a 503 and a
sender that retries finds the alert already there (a create joins it, an acknowledge or close
changes nothing twice).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from pagerline.engine.alerts.transitions import accept_alert, comment_alert, resolve_alert
from pagerline.engine.core import metrics
from pagerline.engine.core.errors import Conflict, NotFound
from pagerline.engine.sources.events import EventInput, EventType, ResponseCode
from pagerline.engine.sources.intake import ingest_event
from pagerline.engine.sources.intake_settings import OPSGENIE_PRIORITIES
from pagerline.engine.sources.lookup import SourceInfo
from pagerline.models import Alert, AlertStatus, IntakeRequest, Priority

#: How the timeline names this intake ("Event received via Opsgenie API: ...").
VIA = "Opsgenie API"

# Opsgenie's documented limits (characters).
MESSAGE_CHARS = 130
ALIAS_CHARS = 512
DESCRIPTION_CHARS = 15_000
ENTITY_CHARS = 512
SOURCE_CHARS = 100
USER_CHARS = 100
NOTE_CHARS = 25_000
MAX_TAGS = 20
TAG_CHARS = 50
DETAILS_CHARS = 8_000  # keys and values together

#: pagerline's alert keys hold 255 characters; a longer alias becomes its start and a digest.
ALERT_KEY_CHARS = 255
_KEPT_ALIAS_CHARS = 180

#: The top-level message of Opsgenie's answer to a body with wrong fields (they are in ``errors``).
NOT_PROCESSABLE = "Request body is not processable. Please check the errors."

_ALERT_ID = re.compile(r"[0-9]{1,10}")
_MAX_ALERT_ID = 2**31 - 1  # alerts.id is an INTEGER


class Action(str, Enum):
    """Opsgenie's names for what a request did (the request status's ``action``)."""

    CREATE = "Create"
    ACKNOWLEDGE = "Acknowledge"
    CLOSE = "Close"
    ADD_NOTE = "AddNote"


class IdentifierType(str, Enum):
    """How ``/v2/alerts/{identifier}/...`` names the alert. ``id`` (Opsgenie's default) and
    ``tiny`` are both pagerline's alert id, the number the app shows and the request status
    returns as ``alertId``; ``alias`` is the alert key of the source's open alert."""

    ID = "id"
    TINY = "tiny"
    ALIAS = "alias"


class OpsgenieInvalid(ValueError):
    """A request Opsgenie would refuse with 422: ``errors`` maps each field at fault to why (empty
    when the fault is not in the body, e.g. the identifierType)."""

    def __init__(self, message: str, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = dict(errors or {})


@dataclass(frozen=True, slots=True)
class CreateAlert:
    """A create request, checked and cut to Opsgenie's limits."""

    message: str
    alias: str | None = None
    description: str | None = None
    details: dict[str, str] = field(default_factory=dict)
    details_dropped: int = 0  # entries left out past DETAILS_CHARS
    tags: tuple[str, ...] = ()
    entity: str | None = None
    source: str | None = None
    priority: str | None = None  # P1..P5 as sent
    note: str | None = None
    user: str | None = None


@dataclass(frozen=True, slots=True)
class ActionBody:
    """The body of an acknowledge, close or notes request (all optional but a note's ``note``)."""

    user: str | None = None
    source: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a request did, as its request status reports it."""

    success: bool
    status: str
    alert_id: int | None = None
    alias: str | None = None


# --------------------------------------------------------------------------- parsing (pure)


class _Fields:
    """Reads a body's fields, collecting every fault before refusing, as Opsgenie lists them."""

    def __init__(self, body: Any) -> None:
        if not isinstance(body, dict):
            raise OpsgenieInvalid(NOT_PROCESSABLE, {"body": "The body must be a JSON object."})
        self.body = body
        self.errors: dict[str, str] = {}

    def text(self, name: str, limit: int) -> str | None:
        """An optional string field, stripped, cut to ``limit``; None when absent, null or blank."""
        value = self.body.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            self.errors[name] = f"{name.capitalize()} must be a string."
            return None
        value = value.strip()
        return value[:limit] if value else None

    def done(self) -> None:
        if self.errors:
            raise OpsgenieInvalid(NOT_PROCESSABLE, self.errors)


def parse_create(body: Any) -> CreateAlert:
    """``POST /v2/alerts``'s body as a :class:`CreateAlert`, or :class:`OpsgenieInvalid`.
    Fields pagerline has no use for (``responders``, ``visibleTo``, ``actions``) are ignored:
    the source's escalation policy decides who is paged."""
    fields = _Fields(body)
    message = fields.text("message", MESSAGE_CHARS)
    if message is None and "message" not in fields.errors:
        fields.errors["message"] = "Message can not be empty."
    alias = _alias(body.get("alias"), fields.errors)
    details, dropped = _details(body.get("details"), fields.errors)
    tags = _tags(body.get("tags"), fields.errors)
    priority = body.get("priority")
    if priority is not None and priority not in OPSGENIE_PRIORITIES:
        fields.errors["priority"] = f"Priority should be one of [{', '.join(OPSGENIE_PRIORITIES)}]."
    parsed = CreateAlert(
        message=message or "",
        alias=alias,
        description=fields.text("description", DESCRIPTION_CHARS),
        details=details,
        details_dropped=dropped,
        tags=tags,
        entity=fields.text("entity", ENTITY_CHARS),
        source=fields.text("source", SOURCE_CHARS),
        priority=priority if isinstance(priority, str) else None,
        note=fields.text("note", NOTE_CHARS),
        user=fields.text("user", USER_CHARS),
    )
    fields.done()
    return parsed


def _alias(value: Any, errors: dict[str, str]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        errors["alias"] = "Alias must be a string."
        return None
    value = value.strip()
    if len(value) > ALIAS_CHARS:
        errors["alias"] = f"Alias can not be longer than {ALIAS_CHARS} characters."
        return None
    return value or None


def _details(value: Any, errors: dict[str, str]) -> tuple[dict[str, str], int]:
    """Opsgenie's ``details``: an object of strings. Entries past DETAILS_CHARS (keys and values
    counted) are left out and counted, in the order sent."""
    if value is None:
        return {}, 0
    if not isinstance(value, dict) or not all(isinstance(item, str) for item in value.values()):
        errors["details"] = "Details must be a map of strings."
        return {}, 0
    kept: dict[str, str] = {}
    used = 0
    for key, item in value.items():
        size = len(key) + len(item)
        if used + size > DETAILS_CHARS:
            break
        kept[key] = item
        used += size
    return kept, len(value) - len(kept)


def _tags(value: Any, errors: dict[str, str]) -> tuple[str, ...]:
    """Opsgenie's ``tags``: a list of strings; blank ones and repeats dropped, each cut to
    TAG_CHARS, the first MAX_TAGS kept."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        errors["tags"] = "Tags must be a list of strings."
        return ()
    kept: list[str] = []
    for tag in value:
        tag = tag.strip()[:TAG_CHARS]
        if tag and tag not in kept:
            kept.append(tag)
    return tuple(kept[:MAX_TAGS])


def parse_action(body: Any, action: Action) -> ActionBody:
    """The body of an acknowledge, close or notes request; a note needs its ``note``."""
    fields = _Fields(body)
    parsed = ActionBody(
        user=fields.text("user", USER_CHARS), source=fields.text("source", SOURCE_CHARS), note=fields.text("note", NOTE_CHARS)
    )
    if action is Action.ADD_NOTE and parsed.note is None and "note" not in fields.errors:
        fields.errors["note"] = "Note can not be empty."
    fields.done()
    return parsed


def parse_identifier_type(value: str | None) -> IdentifierType:
    """The ``identifierType`` query parameter (default ``id``, as Opsgenie's)."""
    if value is None:
        return IdentifierType.ID
    for known in IdentifierType:
        if value.strip().lower() == known.value:
            return known
    raise OpsgenieInvalid(f"identifierType should be one of [{', '.join(t.value for t in IdentifierType)}].")


def parse_identifier(identifier: str, identifier_type: IdentifierType) -> str:
    """The path's identifier, refused when it could never name an alert by that type."""
    if identifier_type is IdentifierType.ALIAS and len(identifier.strip()) > ALIAS_CHARS:
        raise OpsgenieInvalid(f"identifier can not be longer than {ALIAS_CHARS} characters.")
    if not identifier.strip():
        raise OpsgenieInvalid("identifier can not be empty.")
    return identifier.strip()


def alert_key_for(alias: str) -> str:
    """The alert key an alias is stored under: the alias itself when it fits pagerline's 255
    characters, else its start and a digest of all of it (lower-cased, as keys compare), so that
    the same alias always finds the same alert."""
    alias = alias.strip()
    if len(alias) <= ALERT_KEY_CHARS:
        return alias
    digest = hashlib.sha256(alias.lower().encode("utf-8", "surrogatepass")).hexdigest()
    return f"{alias[:_KEPT_ALIAS_CHARS]}~{digest}"


def create_event(create: CreateAlert, priorities: Mapping[str, Priority]) -> EventInput:
    """The intake event of a create request; ``priorities``: the source's opsgeniePriorities."""
    extras: dict[str, Any] = {
        "tags": list(create.tags) or None,
        "entity": create.entity,
        "source": create.source,
        "priority": create.priority,
        "user": create.user,
        "detailsLeftOut": create.details_dropped or None,
    }
    return EventInput(
        event_type=EventType.ALERT,
        summary=create.message,
        details=create.description,
        alert_key=alert_key_for(create.alias) if create.alias else None,
        priority=priorities[create.priority] if create.priority else None,
        labels=dict(create.details),
        custom_details={name: value for name, value in extras.items() if value is not None},
        via=VIA,
    )


def _author(user: str | None) -> str:
    """Who a note is by on the timeline: the sender's ``user`` (not a pagerline user), marked."""
    return f"{user} via {VIA}" if user else VIA


def _via(user: str | None) -> str:
    return f"{VIA} ({user})" if user else VIA


# --------------------------------------------------------------------------- processing


_CREATED = {
    ResponseCode.NEW_ALERT_CREATED: "Created alert",
    ResponseCode.EVENT_ADDED_TO_ALERT: "Alert already exists with this alias; the request was added to it",
    ResponseCode.EVENT_FILTERED: "Alert was not created: the source's event filter dropped it",
    ResponseCode.SOURCE_IN_MAINTENANCE: "Alert was not created: the source is in a maintenance window",
}


async def create_alert(source: SourceInfo, create: CreateAlert, event: EventInput, now: datetime) -> Outcome:
    """Create (or, by alias, join) the alert; the note becomes a comment on it. A request the
    source's filter or maintenance window drops is a success that made no alert, as the intake
    records it (the source's dropped events)."""
    result = await ingest_event(source, event, now)
    if create.note and result.alert_id is not None:
        await comment_alert(result.alert_id, None, create.note, now, author=_author(create.user))
    return Outcome(True, _CREATED[result.response_code], result.alert_id, create.alias or result.alert_key)


NO_ALERT = "Alert does not exist"
ALREADY_CLOSED = "Alert is already closed"
_DONE = {Action.ACKNOWLEDGE: "Acknowledged alert", Action.CLOSE: "Closed alert", Action.ADD_NOTE: "Added note"}
_EVENT_TYPES = {Action.ACKNOWLEDGE: EventType.ACCEPT, Action.CLOSE: EventType.RESOLVE, Action.ADD_NOTE: EventType.COMMENT}


async def act_on_alert(
    source: SourceInfo, action: Action, identifier: str, identifier_type: IdentifierType, body: ActionBody, now: datetime
) -> Outcome:
    """Acknowledge (accept), close (resolve) or add a note to one of ``source``'s alerts. An alert
    that cannot be found is a failed request ("Alert does not exist"), as Opsgenie reports it;
    the request itself was still accepted."""
    if identifier_type is IdentifierType.ALIAS:
        return await _act_by_alias(source, action, identifier, body, now)
    alert = await _alert_of_source(source, identifier)
    if alert is None:
        return Outcome(False, NO_ALERT, None, None)
    alert_id, alert_key, status = alert
    metrics.EVENTS_RECEIVED.labels(source.integration_type.value, _EVENT_TYPES[action]).inc()
    if action is Action.ACKNOWLEDGE:
        try:
            await accept_alert(alert_id, None, now, via=_via(body.user))
        except Conflict:
            return Outcome(False, ALREADY_CLOSED, alert_id, alert_key)
    elif action is Action.CLOSE:
        if status is AlertStatus.RESOLVED:
            return await _noted(Outcome(True, ALREADY_CLOSED, alert_id, alert_key), body, now)
        await resolve_alert(alert_id, None, now, via=_via(body.user))
    return await _noted(Outcome(True, _DONE[action], alert_id, alert_key), body, now)


async def _act_by_alias(source: SourceInfo, action: Action, alias: str, body: ActionBody, now: datetime) -> Outcome:
    """By alias, through the intake's event path: the alias names the source's open alert with
    that key (a closed alert's alias is free again, as a new create with it opens a new alert)."""
    key = alert_key_for(alias)
    comments = [(_author(body.user), body.note)] if action is Action.ADD_NOTE and body.note else []
    event = EventInput(_EVENT_TYPES[action], alert_key=key, comments=comments, via=_via(body.user))
    try:
        result = await ingest_event(source, event, now)
    except Conflict:  # closed between finding and accepting it
        return Outcome(False, ALREADY_CLOSED, None, alias)
    except NotFound:  # gone (retention) between finding and acting on it
        return Outcome(False, NO_ALERT, None, alias)
    if result.alert_id is None:
        return Outcome(False, NO_ALERT, None, alias)
    outcome = Outcome(True, _DONE[action], result.alert_id, alias)
    return outcome if action is Action.ADD_NOTE else await _noted(outcome, body, now)


async def _noted(outcome: Outcome, body: ActionBody, now: datetime) -> Outcome:
    """The request's note as a comment on the alert it acted on (after the action, which it
    is about)."""
    if body.note and outcome.alert_id is not None:
        await comment_alert(outcome.alert_id, None, body.note, now, author=_author(body.user))
    return outcome


async def _alert_of_source(source: SourceInfo, identifier: str) -> tuple[int, str, AlertStatus] | None:
    """(id, alert key, status) of the alert ``identifier`` names by id, if it is ``source``'s:
    an integration key acts on its own source's alerts only."""
    if not _ALERT_ID.fullmatch(identifier) or int(identifier) > _MAX_ALERT_ID:
        return None
    row = await Alert.filter(id=int(identifier), source_id=source.id).first().values_list("id", "alert_key", "status")
    if row is None:
        return None
    alert_id, alert_key, status = row  # type: ignore[misc]
    return int(alert_id), str(alert_key), AlertStatus(status)


# --------------------------------------------------------------------------- the request record


_REQUEST_ID = re.compile(r"[0-9a-fA-F-]{1,36}")


async def record_request(request_id: str, source_id: int, action: Action, outcome: Outcome, now: datetime) -> None:
    await IntakeRequest.create(
        id=request_id,
        source_id=source_id,
        action=action.value,
        success=outcome.success,
        status=outcome.status[:500],
        alert_id=outcome.alert_id,
        alias=outcome.alias[:ALIAS_CHARS] if outcome.alias else None,
        created_at=now,
    )


async def find_request(request_id: str, source_id: int) -> IntakeRequest | None:
    """The request ``request_id`` made with ``source_id``'s key; another source's requests are
    not found (as none of Opsgenie's requests of another account are)."""
    if not _REQUEST_ID.fullmatch(request_id):
        return None
    return await IntakeRequest.get_or_none(id=request_id.lower(), source_id=source_id)


def _timestamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def request_status(row: IntakeRequest) -> dict[str, Any]:
    """The ``data`` of Opsgenie's Get Request Status answer. ``integrationId`` is the source's id;
    ``alertId`` the alert's (empty when none, or when retention has removed it since)."""
    alert_id = row.alert_id  # type: ignore[attr-defined]
    return {
        "success": row.success,
        "action": row.action,
        "processedAt": _timestamp(row.created_at),
        "integrationId": str(row.source_id),  # type: ignore[attr-defined]
        "isSuccess": row.success,
        "status": row.status,
        "alertId": str(alert_id) if alert_id is not None else "",
        "alias": row.alias or "",
    }
