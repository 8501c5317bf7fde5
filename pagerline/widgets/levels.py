"""Selected policy levels (ilert's widget option): which escalation rules count as "on call".

A responder who is level 3 of every policy as a backstop does not want the widget to say "on
call" around the clock. A selection names the levels that count:

- ``N`` (``1``, ``2``): level N of every escalation policy;
- ``P:N`` (``7:1``): level N of policy P only.

Levels are numbered from 1 in rule order, as ``onCallByPolicy`` numbers them. Over HTTP the
selection is ``?levels=1,7:2`` (or the parameter repeated); in GraphQL ``widget(levels: ["1",
"7:2"])``. Without a selection every route counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from pagerline.engine.core.errors import BadInput

MAX_SELECTORS = 50
MAX_LEVEL = 99


@dataclass(frozen=True, slots=True)
class LevelSelection:
    every_policy: frozenset[int]
    per_policy: frozenset[tuple[int, int]]

    def matches(self, policy_id: int, level: int) -> bool:
        return level in self.every_policy or (policy_id, level) in self.per_policy

    def canonical(self) -> tuple[str, ...]:
        """The selection as written back to clients: sorted, duplicates gone."""
        return tuple(str(n) for n in sorted(self.every_policy)) + tuple(
            f"{p}:{n}" for p, n in sorted(self.per_policy)
        )


def _number(text: str, what: str, upper: int | None = None) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 9:  # int() takes neither "²" nor 5,000 digits
        raise BadInput(f"levels: {what} must be a positive whole number, got '{text[:20]}'")
    value = int(text)
    if value < 1 or (upper is not None and value > upper):
        raise BadInput(f"levels: {what} must be between 1 and {upper or 'any'}, got {value}")
    return value


def parse_levels(raw: list[str] | None) -> LevelSelection | None:
    """``["1", "7:2"]`` (items may also be comma-separated) → a selection; None or nothing
    selected → None (every route counts). Raises BadInput naming the bad item."""
    items = [part.strip() for entry in raw or [] for part in entry.split(",") if part.strip()]
    if not items:
        return None
    if len(items) > MAX_SELECTORS:
        raise BadInput(f"levels: at most {MAX_SELECTORS} selectors")
    every: set[int] = set()
    per: set[tuple[int, int]] = set()
    for item in items:
        policy, sep, level = item.partition(":")
        if sep:
            per.add((_number(policy, "a policy id"), _number(level, "a level", MAX_LEVEL)))
        else:
            every.add(_number(policy, "a level", MAX_LEVEL))
    return LevelSelection(frozenset(every), frozenset(per))
