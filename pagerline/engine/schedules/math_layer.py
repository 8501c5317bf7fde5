"""Per-layer arithmetic for :mod:`pagerline.engine.schedules.math`.

A :class:`LayerMath` answers two questions about one rotation layer, both on
integer instants/wall times (see :mod:`pagerline.engine.schedules.math_time`):

* who does the rotation hand to at instant ``t`` (``index``) -- in O(1),
  because ``starts_on`` may be years in the past;
* which instants the layer covers at all (active range x weekly windows).

Handoff ``j`` (j >= 1) is ``H(j) = localize(n0 + j * R)`` where ``n0`` is the
wall time of ``starts_on`` and ``R`` the rotation length; ``H(0)`` is
``starts_on`` itself.  The rotation index at ``t`` is ``max{j : H(j) <= t}``.

Why "max" and not "the j with H(j) <= t < H(j+1)": ``localize`` (fold=0) is
strictly increasing on wall times that exist, but a wall time inside a
spring-forward gap maps to an instant *later* than the first wall times after
the gap.  With a rotation shorter than the gap (PT30M across a one-hour jump)
``H`` is therefore not monotone.  ``max{j : H(j) <= t}`` is still a
non-decreasing function of ``t``, so it partitions time cleanly; the shifts
that would have started inside the gap are simply overtaken (they get zero
length) instead of overlapping their successors.
"""

from __future__ import annotations

from pagerline.engine.schedules.math_time import FAR_FUTURE, MAX_OFFSET_US, US_PER_WEEK, Zone, monday_on_or_before

# (start, end, rotation index) with start < end, instants.
RotationSegment = tuple[int, int, int]
# (start, end) instants.
Interval = tuple[int, int]


# Weeks of window occurrences remembered per layer (about ten years); the
# cache is simply emptied when full -- refilling a week costs ~10 µs.
_WEEK_CACHE_SIZE = 512


class LayerMath:
    """Precomputed integers for one layer.

    The only mutable state is a memo of window occurrences per week: they are
    a pure function of the week, and on_call for "now" or a calendar view
    asks for the same few weeks over and over.
    """

    __slots__ = (
        "zone",
        "start",
        "end",
        "n0",
        "period",
        "users",
        "windows",
        "_weeks",
    )

    def __init__(
        self,
        zone: Zone,
        start: int,
        end: int | None,
        users: tuple[int, ...],
        period: int,
        windows: tuple[tuple[int, int], ...] | None,
    ) -> None:
        """``windows`` is None for "no restriction", else (offset from Monday
        00:00, length) pairs in wall µs, each 0 < length < one week."""
        self.zone = zone
        self.start = start
        self.end = FAR_FUTURE if end is None else end
        self.n0 = zone.wall(start)
        self.period = period
        self.users = users
        self.windows = tuple(sorted(windows)) if windows is not None else None
        self._weeks: dict[int, tuple[Interval, ...]] = {}

    # ----------------------------------------------------------------- rotation

    def index(self, t: int, wall_t: int) -> int:
        """Rotation index at instant ``t`` (requires ``t >= self.start``).

        Start from the wall-clock estimate, then correct by a step or two.  The
        corrections are exact, not heuristic:

        * upwards we stop at the first handoff that is after ``t`` *and* whose
          wall time exists -- every later handoff is then also after ``t``
          (fold=0 localisation is strictly increasing on existing wall times,
          and gap wall times map after every existing wall time before them);
          handoffs inside a gap are stepped over because a post-gap handoff
          may still be at or before ``t`` (starting from the wall estimate
          this needs a fall-back right after a spring-forward, which no
          current zone has; it is kept so correctness does not rest on that);
        * downwards, the first ``j`` with ``H(j) <= t`` is the maximum among
          the indices below the estimate.
        """
        k = (wall_t - self.n0) // self.period
        if k < 0:
            k = 0
        zone, n0, period = self.zone, self.n0, self.period
        found_above = False
        j = k + 1
        while True:
            wall = n0 + j * period
            if zone.localize(wall) <= t:
                k, found_above = j, True
            elif not zone.is_gap(wall):
                break
            j += 1
        if not found_above:
            while k > 0 and zone.localize(n0 + k * period) > t:
                k -= 1
        return k

    def rotation_segments(self, lo: int, hi: int) -> list[RotationSegment]:
        """Partition [lo, hi) into (start, end, index) pieces.

        Requires ``self.start <= lo < hi``.  Handoffs are generated one by one
        (the range is bounded by the caller); only the first index is found
        arithmetically.  A suffix minimum over the handoff instants turns the
        possibly non-monotone H into the monotone boundaries M(j) = min over
        j' >= j of H(j'), and index j then owns [M(j), M(j+1)).
        """
        zone, n0, period = self.zone, self.n0, self.period
        k0 = self.index(lo, zone.wall(lo))
        bounds: list[int] = []
        j = k0 + 1
        while True:
            wall = n0 + j * period
            h = zone.localize(wall)
            bounds.append(h)
            # Every index after k0 has H > lo (k0 is the max with H <= lo),
            # and once an existing wall time lands at or after hi nothing
            # later can come back below hi.
            if h >= hi and not zone.is_gap(wall):
                break
            j += 1
        low = hi
        for i in range(len(bounds) - 1, -1, -1):
            if bounds[i] < low:
                low = bounds[i]
            bounds[i] = low
        out: list[RotationSegment] = []
        seg_start, k = lo, k0
        for i, boundary in enumerate(bounds):
            if boundary > seg_start:
                out.append((seg_start, boundary, k))
                seg_start = boundary
                if seg_start >= hi:
                    break
            k = k0 + 1 + i
        return out

    # ------------------------------------------------------------------ windows

    def _week(self, monday: int) -> tuple[Interval, ...]:
        """Instants [localize(S), localize(E)) of the occurrences whose start
        wall time S falls in the week beginning at wall time ``monday``.

        Occurrences squeezed to nothing by a DST gap are dropped.
        """
        cached = self._weeks.get(monday)
        if cached is not None:
            return cached
        assert self.windows is not None
        localize = self.zone.localize
        occurrences: list[Interval] = []
        for offset, length in self.windows:
            s = localize(monday + offset)
            e = localize(monday + offset + length)
            if s < e:
                occurrences.append((s, e))
        result = tuple(occurrences)
        if len(self._weeks) >= _WEEK_CACHE_SIZE:
            self._weeks.clear()
        self._weeks[monday] = result
        return result

    def _window_occurrences(self, lo: int, hi: int) -> list[Interval]:
        """Every window occurrence intersecting [lo, hi), unclipped, unsorted.

        Candidate weeks are chosen on wall time with the rigorous bound
        |instant - wall| < 24 h: an occurrence can only reach [lo, hi) if its
        start wall time is before hi + 24 h and its end wall time (less than
        a week later) after lo - 24 h.  The exact test is then on instants.
        """
        out: list[Interval] = []
        monday = monday_on_or_before(lo - MAX_OFFSET_US) - US_PER_WEEK
        last = hi + MAX_OFFSET_US
        while monday < last:
            for s, e in self._week(monday):
                if s < hi and e > lo:
                    out.append((s, e))
            monday += US_PER_WEEK
        return out

    def window_intervals(self, lo: int, hi: int) -> list[Interval]:
        """Sorted, disjoint, clipped union of window occurrences in [lo, hi)."""
        occ = sorted(self._window_occurrences(lo, hi))
        merged: list[Interval] = []
        for s, e in occ:
            s = max(s, lo)
            e = min(e, hi)
            if merged and s <= merged[-1][1]:
                if e > merged[-1][1]:
                    merged[-1] = (merged[-1][0], e)
            else:
                merged.append((s, e))
        return merged

    def in_windows(self, t: int) -> bool:
        """Is instant ``t`` inside some window occurrence?"""
        if self.windows is None:
            return True
        return any(s <= t < e for s, e in self._window_occurrences(t, t + 1))

    # ------------------------------------------------------------------ public

    def user_at(self, t: int, wall_t: int) -> int | None:
        """User this layer puts on call at ``t``, or None where it does not
        cover (before start, at/after end, outside windows, no users)."""
        if not self.users or t < self.start or t >= self.end:
            return None
        if self.windows is not None and not self.in_windows(t):
            return None
        return self.users[self.index(t, wall_t) % len(self.users)]

    def pieces(self, lo: int, hi: int) -> list[tuple[int, int, int]]:
        """(start, end, user) pieces covering exactly what this layer covers
        inside [lo, hi), sorted and disjoint (not merged: adjacent pieces may
        share a user; callers merge with their own key)."""
        lo = max(lo, self.start)
        hi = min(hi, self.end)
        if not self.users or lo >= hi:
            return []
        users, n = self.users, len(self.users)
        if self.windows is None:
            return [(s, e, users[k % n]) for s, e, k in self.rotation_segments(lo, hi)]
        windows = self.window_intervals(lo, hi)
        if not windows:
            return []
        # The rotation only matters where a window is open.
        rotation = self.rotation_segments(windows[0][0], windows[-1][1])
        out: list[tuple[int, int, int]] = []
        i = w = 0
        # Classic two-pointer intersection of two sorted disjoint lists.
        while i < len(rotation) and w < len(windows):
            rs, re, k = rotation[i]
            ws, we = windows[w]
            s, e = max(rs, ws), min(re, we)
            if s < e:
                out.append((s, e, users[k % n]))
            if re <= we:
                i += 1
            else:
                w += 1
        return out
