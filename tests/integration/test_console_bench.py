"""The admin console benchmark's measuring code (bench/console.py), run small so it cannot rot:
its schedule seeded (3 layers, 5 overrides), one load of the 4-week timeline in Chromium with the
data-to-drawn marks taken, and the figures' verdicts."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pytest

from tests.support.bench_scripts import bench_script
from tests.support.browser import needs_chromium, needs_web_app, outside_playwright
from tests.support.databases import TemplateDatabases
from tests.support.live import embedded_env
from tests.support.processes import serving, start_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser

@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    """bench/console.py as a module (it imports bench/common.py and bench/webapp.py, as when run)."""
    with bench_script("console") as module:
        yield module


def test_a_slow_load_misses_the_budget(bench: ModuleType) -> None:
    runs = [bench.Run(shifts=10, pieces=30, data_to_shown_ms=ms, data_to_frame_ms=ms + 5) for ms in (20.0, 40.0, 250.0)]
    figures = {f.name: f for f in bench.figures_for(runs, 100 * 10**6)}
    assert figures["timeline 4 weeks, data to drawn max"].met is False
    assert figures["timeline 4 weeks, data to drawn p50"].value == 40.0
    figures = {f.name: f for f in bench.figures_for(runs[:2], 100 * 10**6)}
    assert figures["timeline 4 weeks, data to drawn max"].met is True


@needs_chromium
@needs_web_app
def test_the_timeline_is_drawn_and_timed_in_a_real_page(bench: ModuleType, browser: Browser, templates: TemplateDatabases, tmp_path: Path) -> None:
    # Playwright's sync API runs an event loop in this thread: the seeding runs in another.
    url = outside_playwright(lambda: templates.sqlite(tmp_path))
    schedule_id = outside_playwright(lambda: asyncio.run(bench._seed(url, 5)))
    with serving(start_server(embedded_env(url, tmp_path), tmp_path)) as server:
        token = bench.sign_in(server.url, "admin@ops.test", "admin-password")
        path = f"/admin/schedules/{schedule_id}?weeks={bench.WEEKS}&from={bench.FROM.date().isoformat()}"
        run = bench.load_once(browser, server.url, token, path)
    # Four weeks of three layers: every day has someone, split by five overrides and handoffs.
    assert run.shifts > 28
    assert run.pieces > run.shifts  # the layers' rows and the overrides' are drawn too
    assert 0 <= run.data_to_shown_ms <= run.data_to_frame_ms < 10_000
    assert math.isfinite(run.data_to_shown_ms)
