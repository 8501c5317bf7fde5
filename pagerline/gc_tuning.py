"""Garbage-collector settings for the long-running processes (`serve`, `worker`).

CPython's default thresholds run a collection every 700 allocations and a full one every
~100 of those. A busy process (a fan-out to a thousand subscribers, hundreds of deliveries a
second) makes many short-lived objects, and every full pass walks every live object while the
event loop stands still: those pauses were the tail of the subscription and push latencies
(see the README's benchmark notes).
"""

from __future__ import annotations

import gc

# Young objects are collected about thirty times less often; the older generations follow suit.
THRESHOLDS = (20_000, 20, 20)


def settle_after_startup() -> None:
    """Call once start-up is done: what was loaded by then (modules, the schema, settings)
    lives as long as the process, so later collections skip it."""
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
