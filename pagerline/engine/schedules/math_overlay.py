"""Priority overlay of intervals, for :mod:`pagerline.engine.schedules.math`.

Layers, static shifts and overrides are all "intervals with a priority"; the
final schedule is, at each instant, the highest-priority interval covering it.
One sweep over sorted boundaries with a max-heap of open intervals computes
that in O(n log n), independent of how the intervals nest.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


def overlay(items: Iterable[tuple[int, int, int, K]]) -> list[tuple[int, int, K]]:
    """Resolve overlapping prioritised intervals into disjoint merged pieces.

    Items are (start, end, priority, key): higher priority wins; the key is
    what ends up in the result and decides merging (equal keys on touching
    pieces merge, so the result does not depend on how items were cut).

    Equal priorities must not overlap (callers guarantee it: pieces of one
    layer are disjoint, and every override/static shift has its own
    priority), so the winner at each instant is well defined.
    """
    live = sorted((it for it in items if it[0] < it[1]), key=lambda it: it[0])
    if not live:
        return []
    points = sorted({p for s, e, _, _ in live for p in (s, e)})
    heap: list[tuple[int, int, int]] = []  # (-priority, end, item index)
    out: list[tuple[int, int, K]] = []
    n, i = len(live), 0
    for idx in range(len(points) - 1):
        here = points[idx]
        while i < n and live[i][0] <= here:
            s, e, prio, _ = live[i]
            heapq.heappush(heap, (-prio, e, i))
            i += 1
        # Lazy deletion: finished intervals only matter once they reach the top.
        while heap and heap[0][1] <= here:
            heapq.heappop(heap)
        if not heap:
            continue
        key = live[heap[0][2]][3]
        nxt = points[idx + 1]
        if out and out[-1][1] == here and out[-1][2] == key:
            out[-1] = (out[-1][0], nxt, key)
        else:
            out.append((here, nxt, key))
    return out


def paint(
    under: list[tuple[int, int, K]], over: list[tuple[int, int, K]]
) -> list[tuple[int, int, K]]:
    """Lay ``over`` on top of ``under`` (both sorted and disjoint): ``over``
    wins wherever it has a piece.

    This is the common case -- each layer and the pre-resolved override set
    are already disjoint -- and a linear merge is several times cheaper than
    the general sweep in :func:`overlay`.  Touching equal keys are not merged
    here; callers run :func:`merge_touching` once at the end.
    """
    if not over:
        return under
    if not under:
        return over
    out: list[tuple[int, int, K]] = []
    i, n = 0, len(under)
    cur: tuple[int, int, K] | None = under[0]
    for o_start, o_end, o_key in over:
        # Under pieces that finish before this over piece survive whole.
        while cur is not None and cur[1] <= o_start:
            out.append(cur)
            i += 1
            cur = under[i] if i < n else None
        # An under piece straddling o_start keeps its head.
        if cur is not None and cur[0] < o_start:
            out.append((cur[0], o_start, cur[2]))
        out.append((o_start, o_end, o_key))
        # Under pieces hidden by this over piece disappear ...
        while cur is not None and cur[1] <= o_end:
            i += 1
            cur = under[i] if i < n else None
        # ... and one straddling o_end keeps its tail.
        if cur is not None and cur[0] < o_end:
            cur = (o_end, cur[1], cur[2])
    while cur is not None:
        out.append(cur)
        i += 1
        cur = under[i] if i < n else None
    return out


def merge_touching(pieces: Iterable[tuple[int, int, K]]) -> list[tuple[int, int, K]]:
    """Merge sorted, disjoint pieces that touch and carry equal keys."""
    out: list[tuple[int, int, K]] = []
    for s, e, key in pieces:
        if out and out[-1][1] == s and out[-1][2] == key:
            out[-1] = (out[-1][0], e, key)
        else:
            out.append((s, e, key))
    return out


class IntervalIndex(Generic[K]):
    """Disjoint sorted pieces with O(log n) point lookup and range slicing."""

    __slots__ = ("starts", "ends", "keys")

    def __init__(self, pieces: list[tuple[int, int, K]]) -> None:
        self.starts = [p[0] for p in pieces]
        self.ends = [p[1] for p in pieces]
        self.keys = [p[2] for p in pieces]

    def __len__(self) -> int:
        return len(self.starts)

    def lookup(self, t: int) -> K | None:
        i = bisect_right(self.starts, t) - 1
        if i >= 0 and t < self.ends[i]:
            return self.keys[i]
        return None

    def clipped(self, lo: int, hi: int) -> list[tuple[int, int, K]]:
        """Pieces intersecting [lo, hi), clipped to it."""
        out: list[tuple[int, int, K]] = []
        i = max(bisect_right(self.starts, lo) - 1, 0)
        starts, ends, keys = self.starts, self.ends, self.keys
        while i < len(starts) and starts[i] < hi:
            s, e = max(starts[i], lo), min(ends[i], hi)
            if s < e:
                out.append((s, e, keys[i]))
            i += 1
        return out
