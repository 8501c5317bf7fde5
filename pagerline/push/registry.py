"""Which transport serves a channel, built once per process from the settings.

Real transports (FCM, APNs, Twilio, SMTP) are added here as they are configured. A channel
without one fails its notifications with "channel not configured", unless the console transport
stands in (demo mode / ``PAGERLINE_CONSOLE_TRANSPORT``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pagerline.models import Channel
from pagerline.push.base import Transport
from pagerline.push.console import ConsoleTransport
from pagerline.settings import Settings


@dataclass
class Transports:
    # key: channel value, or "PUSH:FCM" / "PUSH:APNS" for push providers
    by_key: dict[str, Transport] = field(default_factory=dict)
    console: Transport | None = None

    def for_message(self, channel: Channel, provider: str = "") -> Transport | None:
        if channel is Channel.PUSH:
            if provider == "CONSOLE":
                return self.console
            found = self.by_key.get(f"PUSH:{provider}")
        else:
            found = self.by_key.get(channel.value)
        return found or self.console

    async def close(self) -> None:
        for transport in {id(t): t for t in [*self.by_key.values(), self.console] if t}.values():
            await transport.close()


def build_transports(settings: Settings) -> Transports:
    transports = Transports()
    if settings.console_enabled:
        transports.console = ConsoleTransport(settings.console_log)
    return transports
