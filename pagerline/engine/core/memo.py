"""Bounded memos: a dict that keeps what was made for a key, emptied whole when full (what is
still in use is made again at once, and nothing has to track what was used last)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def remembered(memo: dict[K, V], key: K, make: Callable[[], V], size: int) -> V:
    """``memo[key]``, made by ``make()`` the first time; ``memo`` is emptied when it holds
    ``size`` entries."""
    found = memo.get(key)
    if found is None:
        found = make()
        if len(memo) >= size:
            memo.clear()
        memo[key] = found
    return found
