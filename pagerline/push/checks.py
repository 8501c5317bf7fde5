"""Checks a contact method's value with its provider before a code is sent to it (Pushover's
``users/validate``), so that a mistyped user key is refused at once instead of a code that
never arrives. Built from the settings per call: the check is rare (adding a contact method)."""

from __future__ import annotations

from pagerline.engine.people.contacts import ValueCheck
from pagerline.models import ContactKind
from pagerline.settings import Settings


def value_check(settings: Settings, kind: ContactKind) -> ValueCheck | None:
    if kind is ContactKind.PUSHOVER and getattr(settings, "pushover_token", None):
        from pagerline.push.pushover import PushoverTransport

        async def check(user_key: str) -> bool | None:
            transport = PushoverTransport.from_settings(settings)
            try:
                return await transport.validate(user_key)
            finally:
                await transport.close()

        return check
    return None
