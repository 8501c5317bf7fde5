"""The engine takes ``now`` from its caller and never reads the wall clock itself: that is what
lets every engine test run at a fixed instant and pass whatever the date. Only the adapters
(api/, graphql/, workers/, cli) read the clock, and the faked-clock runs cover their tests."""

from __future__ import annotations

import re
from pathlib import Path

import pagerline.engine
import pagerline.widgets

# Reading the wall clock: datetime.now()/utcnow()/today(), date.today(), time.time(),
# time.localtime()/gmtime() without an argument. time.monotonic() measures durations and is fine.
WALL_CLOCK = re.compile(
    r"\b(?:datetime\.(?:now|utcnow|today)\(|date\.today\(|time\.time\(|time\.(?:localtime|gmtime)\(\))"
)


def _sources() -> list[Path]:
    folders = [Path(pagerline.engine.__file__).parent, Path(pagerline.widgets.__file__).parent]
    return sorted(path for folder in folders for path in folder.rglob("*.py"))


def test_the_engine_and_the_widget_feed_take_now_from_their_caller() -> None:
    readers = [
        f"{path.relative_to(path.parents[2])}:{number}: {line.strip()}"
        for path in _sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if WALL_CLOCK.search(line)
    ]
    assert readers == [], "pass `now` instead of reading the clock:\n" + "\n".join(readers)


def test_the_pattern_finds_each_way_of_reading_the_clock() -> None:
    for line in ("now = datetime.now(UTC)", "datetime.utcnow()", "date.today()", "t = time.time()", "time.localtime()"):
        assert WALL_CLOCK.search(line), line
    for line in ("started = time.monotonic()", "def now(self) -> datetime:", "time.localtime(seconds)", "now: datetime"):
        assert not WALL_CLOCK.search(line), line
