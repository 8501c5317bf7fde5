"""The console transport: the embedded default. Writes each message as one JSON line to a file
(``PAGERLINE_CONSOLE_LOG``) or the log, so a demo shows what would have been sent. The
notification rows themselves (shown in the dashboard and by ``pagerline notifications``) are the
record."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime

from pagerline.push.base import DeliveryResult, OutgoingMessage, Outcome

log = logging.getLogger("pagerline.console")


class ConsoleTransport:
    name = "console"

    def __init__(self, path: str | None = None) -> None:
        self._path = path
        self._lock = asyncio.Lock()

    async def send(self, message: OutgoingMessage) -> DeliveryResult:
        line = json.dumps(
            {
                "at": datetime.now(UTC).isoformat(),
                "notification_id": message.notification_id,
                "channel": message.channel.value,
                "kind": message.kind,
                "user_id": message.user_id,
                "alert_id": message.alert_id,
                "to": message.destination.address,
                "title": message.title,
                "body": message.body,
            }
        )
        if self._path:
            async with self._lock:
                with open(self._path, "a", encoding="utf-8") as fh:
                    fh.write(line + "\n")
        else:
            log.info("%s", line)
        return DeliveryResult(Outcome.DELIVERED, provider_id=f"console-{message.notification_id}")

    async def close(self) -> None:
        return None
