"""One execution and one serialization per bus event and group of alike subscriptions.

A bus event reaches every subscription of the process. Subscriptions whose operation (document,
operation name, variables) and audience (role and teams: everything visibility rules read) are
equal, and that were shown the same object for the event, would get the same result: the first
of them to reach the event executes it (:func:`shared_execution`) and the others await that
execution instead of running their own. Its ``next`` payload is serialized once as well
(:func:`prepared_next`): the WebSocket writes those same bytes to every subscriber, with each
subscription's own ``id`` spliced in front.

Visibility stays exact: each subscription still decides with its own viewer whether it sees the
event at all (:mod:`pagerline.graphql.core.bus_events`), and the shown object is part of the key.
A field may also depend on who the viewer is, not only on their audience (a user's phone number
is shown to that user and admins only). The execution runs with a viewer that notes whether
anything read its identity (:class:`AudienceViewer`); a result that did is shared only with
subscriptions of the same user, and the others execute for their own.

An ``UPDATED`` event whose result shows a group nothing new (the same data, apart from ``kind``,
as the last message for that alert) is not sent to the group: a notification handed to a phone
adds a timeline entry, which a selection of status and summary does not show.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from typing import Any

from graphql import ExecutionResult, OperationDefinitionNode
from prometheus_client import Counter

from pagerline.engine.people.accounts import Viewer
from pagerline.models import Role

EXECUTIONS = Counter(
    "pagerline_subscription_executions_total",
    "Subscription events executed by this process, by topic and kind: one per event and group of alike subscriptions",
    ["topic", "kind"],
)
MESSAGES = Counter(
    "pagerline_subscription_messages_total",
    "Subscription `next` messages this process wrote from a shared serialization, by topic",
    ["topic"],
)
UNCHANGED = Counter(
    "pagerline_subscription_unchanged_total",
    "UPDATED events not sent to a group of subscriptions because their result showed nothing new, by topic",
    ["topic"],
)

# Long enough for every subscription of the process to have taken the event from its queue
# (a queue holds at most QUEUE_SIZE events; one that falls further behind is resynced).
SHARED_SECONDS = 10.0
# Topics whose every event is news although its result repeats the last one: a configuration
# change says only what changed (kind, id, UPDATED), so a second edit of the same thing looks
# alike and must still reach the console.
EVERY_EVENT_NEWS = frozenset({"config"})
# How many (group, alert) signatures are remembered to spot an UPDATED that shows nothing new.
REMEMBERED_SIGNATURES = 20_000


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a delivery's execution turned out, for the group's other members
    (:mod:`pagerline.graphql.core.hub`): ``payload`` is the shared ``next`` payload JSON; None
    with ``shared`` means nothing is to be sent (an UPDATED showing nothing new), None without
    it means the result is not shareable (errors, or it read who the viewer is)."""

    payload: str | None
    shared: bool


@dataclass(slots=True, eq=False)
class Delivery:
    """What :func:`pagerline.graphql.core.bus_events.visible_changes` yields for: the bus
    event (by identity) and the object the viewer was shown (by identity)."""

    event: dict[str, Any]
    shown: object
    topic: str
    kind: str
    subject: str  # which thing changed (the event's ids), to compare an UPDATED with the last message
    outcome: Outcome | None = None  # set once executed
    executed: Callable[[], None] | None = None  # called once the outcome is set (the hub passes it on)

    @classmethod
    def of(cls, event: dict[str, Any], shown: object) -> Delivery:
        return cls(
            event, shown, str(event.get("topic")), str(event.get("kind", "UPDATED")),
            json.dumps(event.get("ids") or {}, sort_keys=True, default=str),
        )


# Set by the subscription's generator just before it yields; read by the execution of that
# yield, which graphql-core runs in the same task right after the generator returns the value.
current_delivery: contextvars.ContextVar[Delivery | None] = contextvars.ContextVar("pagerline_delivery", default=None)


class AudienceViewer(Viewer):
    """The viewer as a shared execution sees it: notes whether anything read who it is (its
    user or token) rather than only its audience (role and teams)."""

    def __getattribute__(self, name: str) -> Any:
        if name in ("user", "token_id"):
            object.__setattr__(self, "identity_read", True)
        return object.__getattribute__(self, name)

    @property
    def is_admin(self) -> bool:  # the role only: not an identity read
        return object.__getattribute__(self, "user").role is Role.ADMIN

    @classmethod
    def of(cls, viewer: Viewer) -> AudienceViewer:
        audience = cls(**{f.name: getattr(viewer, f.name) for f in fields(Viewer)})
        object.__setattr__(audience, "identity_read", False)
        return audience


def operation_key(operation: OperationDefinitionNode, variables: dict[str, Any]) -> tuple[Any, ...]:
    """What makes two subscriptions' operations alike: the document's text, the operation's name
    and the variables' values (an operation parsed without locations is alike only to itself)."""
    source = operation.loc.source.body if operation.loc is not None else id(operation)
    name = operation.name.value if operation.name is not None else None
    return (source, name, json.dumps(variables, sort_keys=True, default=repr))


def audience(viewer: Viewer | None) -> tuple[Any, ...]:
    """What visibility rules read of a viewer."""
    if viewer is None:
        return ("anonymous",)
    return (viewer.user.role.value, viewer.token_kind.value, tuple(sorted(viewer.team_ids)))


@dataclass(slots=True)
class _Shared:
    delivery: Delivery  # held, so the ids in the key are not reused while the entry lives
    result: asyncio.Future[ExecutionResult]
    user_id: int | None = None  # set when the result depends on who the viewer is


_results: dict[tuple[Any, ...], _Shared] = {}
# id(result data) -> (the data, its `payload` JSON or None: not to be sent, the topic)
_payloads: dict[int, tuple[dict[str, Any], str | None, str]] = {}
_signatures: OrderedDict[tuple[Any, ...], str] = OrderedDict()


async def shared_execution(
    delivery: Delivery, operation_key: tuple[Any, ...], context: Any, execute: Callable[[], Awaitable[ExecutionResult] | ExecutionResult]
) -> ExecutionResult:
    """The result of ``execute()`` for this delivery, run once per group of alike subscriptions."""
    viewer = context.get("viewer") if isinstance(context, dict) else None
    group = (*operation_key, audience(viewer))
    key = (id(delivery.event), id(delivery.shown), group)
    shared = _results.get(key)
    if shared is None or shared.delivery.event is not delivery.event or shared.delivery.shown is not delivery.shown:
        shared = _start(key, group, delivery, context, execute)
    result = await _wait(shared.result)
    delivery.outcome = _outcome(shared, result)
    if delivery.executed is not None:
        delivery.executed()  # the group's other members get it now, not after this socket's write
    if shared.user_id is not None and viewer is not None and viewer.user.id != shared.user_id:
        # The result read who its viewer is: this viewer gets one of its own (shared with
        # this user's other subscriptions).
        personal_key = (*key, viewer.user.id)
        personal = _results.get(personal_key)
        if personal is None or personal.delivery.event is not delivery.event:
            personal = _start(personal_key, (*group, viewer.user.id), delivery, context, execute)
        result = await _wait(personal.result)
    return result if not result.errors else ExecutionResult(result.data, list(result.errors), result.extensions)


def _outcome(shared: _Shared, result: ExecutionResult) -> Outcome:
    if shared.user_id is not None or result.errors or not isinstance(result.data, dict):
        return Outcome(None, False)
    entry = _payloads.get(id(result.data))
    return Outcome(entry[1], True) if entry is not None and entry[0] is result.data else Outcome(None, False)


async def _wait(future: asyncio.Future[ExecutionResult]) -> ExecutionResult:
    # Shielded: a subscriber that goes away must not cancel the execution the others await.
    return future.result() if future.done() else await asyncio.shield(future)


def _start(
    key: tuple[Any, ...], group: tuple[Any, ...], delivery: Delivery, context: Any,
    execute: Callable[[], Awaitable[ExecutionResult] | ExecutionResult],
) -> _Shared:
    shared = _Shared(delivery, asyncio.get_running_loop().create_future())
    _results[key] = shared
    asyncio.get_running_loop().call_later(SHARED_SECONDS, _forget, key, shared)
    task = asyncio.ensure_future(_run(shared, group, context, execute))
    task.add_done_callback(lambda done: None if done.cancelled() else done.exception())
    return shared


async def _run(
    shared: _Shared, group: tuple[Any, ...], context: Any, execute: Callable[[], Awaitable[ExecutionResult] | ExecutionResult]
) -> None:
    EXECUTIONS.labels(shared.delivery.topic, shared.delivery.kind).inc()
    viewer = context.get("viewer") if isinstance(context, dict) else None
    recording = AudienceViewer.of(viewer) if isinstance(viewer, Viewer) else None
    if recording is not None:
        context["viewer"] = recording
    try:
        outcome = execute()
        result = await outcome if isinstance(outcome, Awaitable) else outcome
    except BaseException as exc:
        if not shared.result.done():
            shared.result.set_exception(exc)
        raise
    finally:
        if recording is not None and context.get("viewer") is recording:
            context["viewer"] = viewer  # unless the connection's viewer was refreshed meanwhile
    if recording is not None and recording.identity_read:  # type: ignore[attr-defined]
        shared.user_id = viewer.user.id  # type: ignore[union-attr]
        group = (*group, viewer.user.id)  # type: ignore[union-attr]
    if not result.errors and not result.extensions and isinstance(result.data, dict):
        payload = _payload_unless_unchanged(shared.delivery, group, result.data)
        _payloads[id(result.data)] = (result.data, payload, shared.delivery.topic)
        asyncio.get_running_loop().call_later(SHARED_SECONDS, _forget_payload, result.data)
    shared.result.set_result(result)


def _payload_unless_unchanged(delivery: Delivery, group: tuple[Any, ...], data: dict[str, Any]) -> str | None:
    """The ``payload`` JSON to send, or None when an UPDATED shows this group nothing new."""
    signature = json.dumps({name: _without_kind(value) for name, value in data.items()}, separators=(",", ":"))
    remembered = (group, delivery.topic, delivery.subject)
    unchanged = delivery.kind == "UPDATED" and delivery.topic not in EVERY_EVENT_NEWS and _signatures.get(remembered) == signature
    _signatures[remembered] = signature
    _signatures.move_to_end(remembered)
    while len(_signatures) > REMEMBERED_SIGNATURES:
        _signatures.popitem(last=False)
    if unchanged:
        UNCHANGED.labels(delivery.topic).inc()
        return None
    return json.dumps({"data": data}, separators=(",", ":"))


def _without_kind(value: Any) -> Any:
    return {k: v for k, v in value.items() if k != "kind"} if isinstance(value, dict) else value


def _forget(key: tuple[Any, ...], shared: _Shared) -> None:
    if _results.get(key) is shared:
        del _results[key]


def _forget_payload(data: dict[str, Any]) -> None:
    entry = _payloads.get(id(data))
    if entry is not None and entry[0] is data:
        del _payloads[id(data)]


SKIP = ""  # prepared_next's answer for a message not to be sent


def prepared_next(operation_id: str, payload: Any) -> str | None:
    """The whole ``next`` message as text when its payload is a shared result's (the shared
    JSON with this operation's id spliced in), :data:`SKIP` when it is not to be sent, None
    when it is not a shared result (the caller serializes it as usual)."""
    if not isinstance(payload, dict) or len(payload) != 1 or "data" not in payload:
        return None
    entry = _payloads.get(id(payload["data"]))
    if entry is None or entry[0] is not payload["data"]:
        return None
    if entry[1] is None:
        return SKIP
    MESSAGES.labels(entry[2]).inc()
    return '{"id":' + json.dumps(operation_id) + ',"type":"next","payload":' + entry[1] + "}"
