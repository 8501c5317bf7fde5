"""The last raw event bodies each source received, for the template editor's preview.

The intake must not slow down for this (it takes over a thousand repeated events a second):
a process stores at most one body per source every :data:`EVERY` (the check is a dictionary
lookup, no database work), and each insert prunes the source's bodies beyond the newest
:data:`KEEP`. So a storm costs one insert and one delete per source every few seconds, and the
table holds a few rows per source whatever the traffic. A preview needs a recent example of
what a tool sends, not every one.

Secrets are not kept: the events API carries the integration key in its body, and it is
removed before the body is stored.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from pagerline.models import ReceivedPayload

log = logging.getLogger(__name__)

KEEP = 20
EVERY = timedelta(seconds=5)
MAX_LISTED = KEEP
# Body fields that are credentials, never stored (the events API's key, under either name).
SECRET_FIELDS = ("integrationKey", "apiKey")
# Sources remembered for the throttle; past this the memory starts over (a few extra inserts).
_MAX_REMEMBERED = 10_000

_last_stored: dict[int, datetime] = {}


def _without_secrets(payload: Any) -> Any:
    if isinstance(payload, dict) and any(name in payload for name in SECRET_FIELDS):
        return {k: v for k, v in payload.items() if k not in SECRET_FIELDS}
    return payload


def due(source_id: int, now: datetime) -> bool:
    """Whether a body of this source is to be stored now (and, if so, that it will be)."""
    last = _last_stored.get(source_id)
    if last is not None and last <= now < last + EVERY:
        return False
    if len(_last_stored) >= _MAX_REMEMBERED:
        _last_stored.clear()
    _last_stored[source_id] = now
    return True


async def note_payload(source_id: int, payload: Any, now: datetime) -> None:
    """Keep ``payload`` as the source's newest body, unless one was kept moments ago. Never
    fails the intake: a body that could not be kept is only missing from the preview."""
    if not due(source_id, now):
        return
    try:
        await ReceivedPayload.create(source_id=source_id, received_at=now, payload=_without_secrets(payload))
        kept = await ReceivedPayload.filter(source_id=source_id).order_by("-id").limit(KEEP).values_list("id", flat=True)
        if len(kept) == KEEP:
            await ReceivedPayload.filter(source_id=source_id, id__lt=min(kept)).delete()
    except Exception:  # the database hiccupped: the event itself is handled on its own
        log.warning("could not keep a received payload of source %s", source_id, exc_info=True)


async def recent_payloads(source_id: int, first: int = 10) -> list[ReceivedPayload]:
    """The source's newest bodies, newest first (at most :data:`MAX_LISTED`)."""
    return list(await ReceivedPayload.filter(source_id=source_id).order_by("-id").limit(max(1, min(first, MAX_LISTED))))
