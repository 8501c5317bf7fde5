"""A scripted stand-in for a provider (the fake FCM/APNs/Twilio servers come with the push
issue): records every message and answers with scripted outcomes. It implements the public
Transport interface; nothing of ours is replaced."""

from __future__ import annotations

from collections import deque

from pagerline.engine.delivery import DeliveryContext, DeliveryPolicy
from pagerline.push.base import DeliveryResult, OutgoingMessage, Outcome
from pagerline.push.registry import Transports


class ScriptedTransport:
    name = "scripted"

    def __init__(self, *script: DeliveryResult) -> None:
        self.script: deque[DeliveryResult] = deque(script)
        self.sent: list[OutgoingMessage] = []

    async def send(self, message: OutgoingMessage) -> DeliveryResult:
        self.sent.append(message)
        if self.script:
            return self.script.popleft()
        return DeliveryResult(Outcome.DELIVERED, provider_id=f"ok-{len(self.sent)}")

    async def close(self) -> None:
        return None


def console_only(transport: ScriptedTransport) -> Transports:
    """Every channel goes to ``transport`` (as the console transport would in demo mode)."""
    return Transports(console=transport)


def ctx(transport: ScriptedTransport, policy: DeliveryPolicy | None = None) -> DeliveryContext:
    """A delivery context whose every channel goes to ``transport``; action tokens signed with a
    test key."""
    return DeliveryContext(console_only(transport), policy or DeliveryPolicy(), b"test-signing-key", "https://pagerline.test")
