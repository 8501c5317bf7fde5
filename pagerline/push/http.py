"""What the transports that speak plain HTTPS APIs with httpx share (Twilio, ntfy, Pushover,
Telegram): clients per event loop, the provider's JSON answer read defensively, and the rule
that a 429 or a 5xx is worth another try, no sooner than ``Retry-After``.

Clients per loop, because an httpx client's connections belong to the loop that opened them: a
worker runs its sends in one loop, tests run each test in a fresh one, and a client of a
finished loop can only be dropped, not closed.

Several small clients rather than one large one: httpcore's connection pool looks at every
connection for every request it places, each time a request starts or ends, so one pool of 64
connections spent about 10 ms of CPU per request (measured with ``bench/push.py``: 105
deliveries/s on one core) where pools of 8 spend about 1 ms. A request takes a free slot of one
of the shards, so no shard ever has more requests than connections and nothing queues inside
httpcore.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from pagerline.push.base import DeliveryResult, Outcome

SHARD_CONNECTIONS = 8  # connections per httpx client; see the module's docstring


@dataclass
class _LoopState:
    loop: asyncio.AbstractEventLoop
    shards: list[httpx.AsyncClient]
    free_slots: asyncio.Queue[int]  # one entry per request that may start now: its shard
    side_client: httpx.AsyncClient | None = field(default=None)


class LoopClient:
    """Up to ``concurrency`` requests at once, over httpx clients made on first use in each
    loop with ``client_options``.

        async with loop_client.slot() as client:
            response = await client.post(...)
    """

    def __init__(self, concurrency: int, **client_options: Any) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.concurrency = concurrency
        self._options = client_options
        self._state: _LoopState | None = None

    def _current(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        state = self._state
        if state is None or state.loop is not loop:
            sizes = [SHARD_CONNECTIONS] * (self.concurrency // SHARD_CONNECTIONS)
            if self.concurrency % SHARD_CONNECTIONS:
                sizes.append(self.concurrency % SHARD_CONNECTIONS)
            free_slots: asyncio.Queue[int] = asyncio.Queue()
            # Slots interleaved across shards, so light traffic spreads rather than piling on one.
            for slot in range(max(sizes)):
                for shard, size in enumerate(sizes):
                    if slot < size:
                        free_slots.put_nowait(shard)
            state = _LoopState(loop, [self._client(size) for size in sizes], free_slots)
            self._state = state
        return state

    def _client(self, connections: int) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        return httpx.AsyncClient(limits=limits, **self._options)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[httpx.AsyncClient]:
        """A client with a connection free for one request; waits while ``concurrency`` requests
        are in flight."""
        state = self._current()
        shard = await state.free_slots.get()
        try:
            yield state.shards[shard]
        finally:
            state.free_slots.put_nowait(shard)

    def side_client(self) -> httpx.AsyncClient:
        """A client of its own connection, outside the slots: for a long poll, which must not
        hold a slot that pages need."""
        state = self._current()
        if state.side_client is None:
            state.side_client = self._client(1)
        return state.side_client

    async def aclose(self) -> None:
        state, self._state = self._state, None
        if state is not None and state.loop is asyncio.get_running_loop():
            for client in [*state.shards, *([state.side_client] if state.side_client else [])]:
                await client.aclose()


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The answer's JSON object, or an empty dict when it is not one (a proxy's HTML page)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` in delta-seconds; an HTTP date is ignored (the engine's backoff applies)."""
    if value is None or not value.strip().isdigit():
        return None
    return float(value.strip())


def refused(response: httpx.Response, reason: str) -> DeliveryResult:
    """A provider's non-success answer: RETRY for 429 and 5xx (no sooner than its
    ``Retry-After``), FAILED for any other status, which would fail the same way again."""
    if response.status_code == 429 or response.status_code >= 500:
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait is not None:
            reason += f" (Retry-After {wait:g} s)"
        return DeliveryResult(Outcome.RETRY, reason[:300], retry_after_seconds=wait)
    return DeliveryResult(Outcome.FAILED, reason[:300])


def unreachable(provider: str, exc: httpx.HTTPError, timeout: float) -> DeliveryResult:
    """No answer at all: worth another try (the request may or may not have arrived)."""
    if isinstance(exc, httpx.TimeoutException):
        return DeliveryResult(Outcome.RETRY, f"{provider} timed out after {timeout:g}s")
    return DeliveryResult(Outcome.RETRY, f"{provider} unreachable: {type(exc).__name__} {exc}".strip()[:300])
