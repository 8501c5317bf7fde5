"""A new thing's CREATED goes out before any other event about it.

Redis keeps the order of the publishes it gets, but the publishes of two processes race: the
server that commits a new alert publishes its ``CREATED`` through its dispatcher's pump, and a
worker woken by the sweeper (which reads the database, not the bus) can page the alert and
publish an ``UPDATED`` first. CI saw it on a loaded machine. A subscriber would then hear of an
alert it never heard created.

So the hub holds an event about a thing created while it was listening until the thing's
``CREATED`` has been routed, and routes the held events right after it. Only for
:data:`HOLD_SECONDS`: a ``CREATED`` lost with the bus (the subscriptions resync then), published
before this hub subscribed, or late behind a server stalled for longer (CI saw that too, on a
loaded machine) must not keep the rest back. Then the hub routes a ``CREATED`` of its own first
(the event's copy, loaded afresh like any event), and the real one, when it comes, as an
``UPDATED``: every subscriber hears of the thing's creation once, before anything else about
it, and every other kind as it was sent. Whether a thing is new is read from its ``created_at``
(what the event loaded); things created more than :data:`RECENT` ago are never held, so the
memory of routed ``CREATED`` events stays small.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# The longest an event waits for its thing's CREATED. A publish takes a millisecond; the race
# this covers is a server's pump lagging a worker's by up to its deadline (1 s).
HOLD_SECONDS = 2.0
# Things created longer ago than this are not waited for (their CREATED came, or never will).
RECENT = 60.0

Key = tuple[str, str]


def key_of(event: dict[str, Any]) -> Key:
    """What the event is about: its topic and the ids it names (some name lists of ids)."""
    return str(event.get("topic")), json.dumps(event.get("ids") or {}, sort_keys=True, default=str)


@dataclass
class Held:
    events: list[dict[str, Any]] = field(default_factory=list)
    until: float = 0.0  # monotonic


class CreationOrder:
    def __init__(self, wall_clock: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._wall_clock = wall_clock
        self._monotonic = monotonic
        self._listening_since: float | None = None  # Unix time the hub subscribed to the bus
        self._created: dict[Key, float] = {}  # CREATED routed: key -> monotonic time
        self._held: dict[Key, Held] = {}

    def listening(self) -> None:
        self._listening_since = self._wall_clock()
        self._created.clear()
        self._held.clear()

    def created(self, event: dict[str, Any]) -> tuple[bool, list[dict[str, Any]]]:
        """A CREATED arrives: whether it is the first for its thing (if not, one was routed in its
        place: route this one as an UPDATED), and the events held for it, oldest first, to route
        after it."""
        key = key_of(event)
        now = self._monotonic()
        first = key not in self._created
        self._created[key] = now
        self._forget_before(now - RECENT * 2)
        held = self._held.pop(key, None)
        return first, held.events if held else []

    def hold(self, event: dict[str, Any], loaded: Any) -> bool:
        """Whether ``event`` (not a CREATED) waits for its thing's CREATED; if so it is kept."""
        key = key_of(event)
        if key in self._held:
            self._held[key].events.append(event)  # behind the ones already waiting
            return True
        if key in self._created or self._listening_since is None:
            return False
        created_at = getattr(loaded, "created_at", None)
        if not isinstance(created_at, datetime):
            return False
        created = created_at.astimezone(UTC).timestamp()
        if created < self._listening_since or created < self._wall_clock() - RECENT:
            return False  # its CREATED went out before this hub listened, or long ago
        self._held[key] = Held([event], self._monotonic() + HOLD_SECONDS)
        return True

    def overdue(self) -> list[dict[str, Any]]:
        """For each thing whose CREATED did not come in time: a CREATED in its place, then its
        held events as they are, oldest first."""
        now = self._monotonic()
        late = [key for key, held in self._held.items() if held.until <= now]
        released: list[dict[str, Any]] = []
        for key in late:
            # Routed first, the stand-in counts as the CREATED (see :meth:`created`): the events
            # after it are not held again, and the real one becomes an UPDATED.
            events = self._held.pop(key).events
            released += [{**events[0], "kind": "CREATED"}, *events]
        return released

    def next_deadline(self) -> float | None:
        """Monotonic time the first held event is overdue, if any is held."""
        return min((held.until for held in self._held.values()), default=None)

    def _forget_before(self, cutoff: float) -> None:
        if len(self._created) < 1024:
            return  # pruning a small dict on every CREATED would cost more than it saves
        for key in [k for k, at in self._created.items() if at < cutoff]:
            del self._created[key]
