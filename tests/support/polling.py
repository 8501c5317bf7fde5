"""Waiting for work another thread or process does, and a free local port: the one copy every
test helper uses (tests/support/processes.py and the fakes in tests/fakes/ re-export them).

Nothing here moves time: a wait polls, bounded by ``timeout``, for something that really
happens elsewhere (a server comes up, a fake receives a request, a subscriber gets an event).
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from typing import Any

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


class _Deadline:
    """The bound of one wait: :meth:`check` fails the test once ``timeout`` seconds are over."""

    def __init__(self, timeout: float, what: str) -> None:
        self.timeout = timeout
        self.what = what
        self.at = time.monotonic() + timeout

    def check(self) -> None:
        if time.monotonic() > self.at:
            raise AssertionError(f"timed out after {self.timeout}s waiting for {self.what}")


def wait_until(predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05, what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something truthy (returned), or fail after ``timeout``
    seconds. Blocks the calling thread between polls."""
    deadline = _Deadline(timeout, what)
    while not (result := predicate()):
        deadline.check()
        time.sleep(interval)
    return result


async def wait_until_async(
    predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.02, what: str = "condition"
) -> Any:
    """:func:`wait_until` for code on an event loop (a WebSocket reader fills what it checks)."""
    deadline = _Deadline(timeout, what)
    while not (result := predicate()):
        deadline.check()
        await asyncio.sleep(interval)
    return result
