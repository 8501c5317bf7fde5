"""A real graphql-transport-ws client running in a background thread, for tests that drive
processes synchronously and want to see what a subscriber receives."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from typing import Any

import websockets


class Subscriber(threading.Thread):
    def __init__(self, server_url: str, token: str, query: str) -> None:
        super().__init__(daemon=True)
        self.url = server_url.replace("http://", "ws://") + "/graphql"
        self.token = token
        self.query = query
        self.received: list[dict[str, Any]] = []
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self._closing = threading.Event()

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # surfaced by the test through .error
            self.error = exc
            self.ready.set()

    async def _main(self) -> None:
        async with websockets.connect(self.url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init", "payload": {"authToken": self.token}}))
            ack = json.loads(await ws.recv())
            if ack["type"] != "connection_ack":
                raise AssertionError(f"not acknowledged: {ack}")
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": self.query}}))
            self.ready.set()
            while not self._closing.is_set():
                try:
                    message = json.loads(await asyncio.wait_for(ws.recv(), timeout=0.1))
                except TimeoutError:
                    continue
                if message["type"] == "next":
                    self.received.append(message["payload"]["data"])

    def close(self) -> None:
        self._closing.set()
        self.join(5)


async def subscribe_live(ws: Any, token: str, query: str, warm_up: Callable[[int], object], attempts: int = 50) -> None:
    """On an open graphql-transport-ws socket: sign in, subscribe (id "1"), and cause events with
    ``warm_up(attempt)`` (run in a thread) until one arrives: the server registers a subscription
    a moment after the client subscribes, so the event under test must not race it."""
    await ws.send(json.dumps({"type": "connection_init", "payload": {"authToken": token}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
    for attempt in range(attempts):
        await asyncio.to_thread(warm_up, attempt)
        try:
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout=0.2))
        except TimeoutError:
            continue
        assert message["type"] == "next", message
        return
    raise AssertionError("the subscription never delivered a warm-up event")
