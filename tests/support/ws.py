"""A real graphql-transport-ws client running in a background thread, for tests that drive
processes synchronously and want to see what a subscriber receives."""

from __future__ import annotations

import asyncio
import json
import threading
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
