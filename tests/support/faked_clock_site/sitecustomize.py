"""Loaded by every Python process of the faked-clock runs (tests/support/faked_clock.py puts this
folder on PYTHONPATH), never otherwise.

Those runs leave the monotonic clock alone (FAKETIME_DONT_FAKE_MONOTONIC=1): with a faked
monotonic clock every thread wait with a timeout (Event.wait, Queue.get, Lock.acquire) waits for
ever. But libfaketime 0.9.10 then shifts the absolute monotonic deadline of clock_nanosleep all
the same, so every ``time.sleep`` fails with EINVAL. Here ``time.sleep`` waits in ``select``
instead, which takes a relative timeout that libfaketime leaves alone.
"""

from __future__ import annotations

import select
import time


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        select.select([], [], [], left)


time.sleep = _sleep
