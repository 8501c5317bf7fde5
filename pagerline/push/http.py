"""What the transports that speak plain HTTPS APIs with httpx share (Twilio, ntfy, Pushover): one
client per event loop, the provider's JSON answer read defensively, and the rule that a 429 or
a 5xx is worth another try, no sooner than ``Retry-After``.

One client per loop, because an httpx client's connections belong to the loop that opened them:
a worker runs its sends in one loop, tests run each test in a fresh one, and a client of a
finished loop can only be dropped, not closed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from pagerline.push.base import DeliveryResult, Outcome


@dataclass
class _LoopState:
    loop: asyncio.AbstractEventLoop
    client: httpx.AsyncClient
    semaphore: asyncio.Semaphore


class LoopClient:
    """An ``httpx.AsyncClient`` (and a semaphore of ``concurrency``) for the running loop, made
    on first use in it with ``client_options``."""

    def __init__(self, concurrency: int, **client_options: Any) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.concurrency = concurrency
        self._options = client_options
        self._state: _LoopState | None = None

    def current(self) -> tuple[httpx.AsyncClient, asyncio.Semaphore]:
        loop = asyncio.get_running_loop()
        state = self._state
        if state is None or state.loop is not loop:
            limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
            state = _LoopState(loop, httpx.AsyncClient(limits=limits, **self._options), asyncio.Semaphore(self.concurrency))
            self._state = state
        return state.client, state.semaphore

    async def aclose(self) -> None:
        state, self._state = self._state, None
        if state is not None and state.loop is asyncio.get_running_loop():
            await state.client.aclose()


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
