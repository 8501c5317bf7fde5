"""The Dramatiq queues, and the names operators pick them by.

One queue per notification channel (``pagerline.push``, ``pagerline.sms``, ...), named after
:class:`~pagerline.models.Channel`, so a channel added there gets its queue without more code,
and one for alert-action deliveries (``pagerline.actions``). A worker consumes each queue with
threads of its own (:mod:`pagerline.workers.runtime`), and operators may consume some queues on
separate processes (``pagerline worker --queues sms,voice``).
"""

from __future__ import annotations

from pagerline.models.enums import Channel

PREFIX = "pagerline"
#: The short name of the alert-action queue, beside the channels' lower-case names.
ACTIONS = "actions"


def channel_queue(channel: Channel) -> str:
    """The Dramatiq queue of ``channel``'s notifications, e.g. ``pagerline.sms``."""
    return f"{PREFIX}.{channel.value.lower()}"


ACTIONS_QUEUE = f"{PREFIX}.{ACTIONS}"


def queue_names() -> list[str]:
    """The short names an operator picks queues by: the channels in lower case, then ``actions``."""
    return [channel.value.lower() for channel in Channel] + [ACTIONS]


def parse_queues(text: str) -> frozenset[str]:
    """``"sms, VOICE"`` -> the Dramatiq queues ``{"pagerline.sms", "pagerline.voice"}``.
    Raises ``ValueError`` naming the queues that exist when a name is unknown."""
    names = {part.strip().lower() for part in text.split(",") if part.strip()}
    known = queue_names()
    unknown = sorted(names - set(known))
    if unknown or not names:
        raise ValueError(f"unknown queue {', '.join(unknown) or '(none given)'}; the queues are: {', '.join(known)}")
    return frozenset(f"{PREFIX}.{name}" for name in names)


def all_queues() -> frozenset[str]:
    return frozenset(f"{PREFIX}.{name}" for name in queue_names())
