"""A stand-in for ``asyncio.sleep`` for code that takes its sleep as a parameter (the importers'
readers): the waits asked for are recorded, and nothing waits."""

from __future__ import annotations


class Sleeps:
    """Records the waits, waits for nothing."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
