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
    # key: channel value, or "PUSH:FCM" / "PUSH:APNS" / "PUSH:WEB_PUSH" for push providers
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
    """One transport per configured provider: ``PUSH:FCM``, ``PUSH:APNS``, ``PUSH:WEB_PUSH``
    (always: its VAPID key is generated when not set), ``SMS`` and ``VOICE``
    (one Twilio transport for both), ``EMAIL``, ``NTFY`` (on by default: ntfy.sh needs no account),
    ``PUSHOVER`` (with an application token) and ``TELEGRAM``. A provider whose settings are all unset is
    off; one that is only partly configured raises ``ValueError`` naming the missing settings,
    so a typo fails at start-up instead of failing pages later. FCM is on with a service-account
    file, or with only a project id (Google's application-default credentials). Nothing
    connects here: the transports open their connections lazily, in the event loop that sends.
    Each provider module is imported only when that provider is configured."""
    transports = Transports()
    if settings.console_enabled:
        transports.console = ConsoleTransport(settings.console_log)
    limits = {"concurrency": settings.push_concurrency}

    if settings.fcm_credentials or settings.fcm_project_id:
        from pagerline.push.fcm import FcmTransport

        transports.by_key["PUSH:FCM"] = FcmTransport.from_settings(settings, **limits)

    if any((settings.apns_key_file, settings.apns_key_id, settings.apns_team_id, settings.apns_topic)):
        from pagerline.push.apns import ApnsTransport

        transports.by_key["PUSH:APNS"] = ApnsTransport.from_settings(settings, **limits)

    # Always on: its key is the setting or one generated and stored on first use.
    from pagerline.engine.people.web_push import vapid_private_key
    from pagerline.push.web_push import WebPushTransport

    async def vapid_key() -> str:
        return await vapid_private_key(settings.vapid_private_key)

    transports.by_key["PUSH:WEB_PUSH"] = WebPushTransport.from_settings(settings, vapid_key, **limits)

    if any((settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_from)):
        from pagerline.push.twilio import TwilioTransport

        twilio = TwilioTransport.from_settings(settings)
        transports.by_key[Channel.SMS.value] = twilio
        transports.by_key[Channel.VOICE.value] = twilio

    if settings.smtp_url or settings.smtp_from:
        from pagerline.push.email import EmailTransport

        transports.by_key[Channel.EMAIL.value] = EmailTransport.from_settings(settings)

    # On unless the URL is set empty: it needs no account (ntfy.sh by default), and a page only
    # goes to a topic a responder added and verified, so an install nobody uses it on sends nothing.
    if settings.ntfy_url:
        from pagerline.push.ntfy import NtfyTransport

        transports.by_key["NTFY"] = NtfyTransport.from_settings(settings, **limits)

    if settings.pushover_token:
        from pagerline.push.pushover import PushoverTransport

        transports.by_key["PUSHOVER"] = PushoverTransport.from_settings(settings, **limits)

    if settings.telegram_bot_token:
        from pagerline.push.telegram import CHANNEL_KEY, TelegramTransport

        transports.by_key[CHANNEL_KEY] = TelegramTransport.from_settings(settings, concurrency=settings.push_concurrency)
    return transports
