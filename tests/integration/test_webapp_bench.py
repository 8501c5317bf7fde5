"""The web app benchmark's measuring code (bench/webapp.py), run small so it cannot rot: the
first-load sizes of the built app, 20 open alerts rendered in Chromium with the data-to-rows
marks taken, and 5 events seen by the open page's MutationObserver. Lighthouse is not run here
(it is fetched with npm on the benchmark's first run); its scores go through the same
:func:`figures_for` checked below.
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pytest

from tests.support.bench_scripts import bench_script
from tests.support.browser import Site, needs_chromium, needs_web_app
from tests.support.live import post_alert

if TYPE_CHECKING:
    from playwright.sync_api import Browser

@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    """bench/webapp.py as a module (it imports bench/common.py as ``common``, as when run)."""
    with bench_script("webapp") as module:
        yield module


def test_first_load_counts_the_scripts_and_styles_the_page_references_gzipped(bench: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    files = {"assets/app.js": b"console.log('app');" * 300, "assets/chunk.js": b"export const x = 1;" * 50,
             "assets/app.css": b"body { color: red }" * 100, "assets/logo.png": b"\x89PNG" * 500, "assets/lazy.js": b"lazy" * 99}
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    (tmp_path / "index.html").write_text(
        '<html><head><script type="module" crossorigin src="/assets/app.js"></script>'
        '<link rel="modulepreload" href="/assets/chunk.js"><link rel="stylesheet" href="/assets/app.css">'
        '<link rel="icon" href="/assets/logo.png"></head><body></body></html>'
    )
    sizes = bench.first_load_assets(tmp_path)
    assert sizes == {name: len(gzip.compress(files[name], compresslevel=6)) for name in ("assets/app.js", "assets/chunk.js", "assets/app.css")}


@needs_web_app
def test_first_load_of_the_built_app_is_its_scripts_and_styles(bench: ModuleType) -> None:
    sizes = bench.first_load_assets()
    assert any(name.endswith(".js") for name in sizes) and any(name.endswith(".css") for name in sizes)
    for name, size in sizes.items():
        assert 0 < size < (bench.APP_DIR / name).stat().st_size  # gzipped, so smaller


def test_a_list_short_of_the_open_alerts_and_a_lost_event_are_missed(bench: ModuleType) -> None:
    renders = [bench.RenderRun(rows=20, data_to_rows_ms=12.0, data_to_frame_ms=20.0)]
    figures = {f.name: f for f in bench.figures_for({"a.js": 1000}, {"performance": 91.0, "accessibility": 94.0, "signed_in": 1.0},
                                                      renders, 20, 15, 20, [0.01, math.inf], 100 * 10**6)}
    assert figures["render 20 rows max"].met is True
    assert figures["rows listed of its own"].met is False  # 15 of 20 open alerts listed
    assert figures["event commit to row p99"].met is False  # one of two events never arrived
    assert figures["Lighthouse performance"].met is True
    assert figures["Lighthouse accessibility"].met is False


@needs_chromium
@needs_web_app
def test_rows_render_and_events_are_seen_in_a_real_page(bench: ModuleType, browser: Browser, site: Site) -> None:
    base = site.server.url
    for i in range(20):
        post_alert(base, site.org, f"bench-open-{i}", f"Open alert {i}", priority="HIGH" if i % 2 else "LOW")
    token = bench.sign_in(base, "alice@ops.test", "alice-password")
    edges = bench.open_alert_edges(base, token, 20)
    assert len(edges) == 20

    runs = bench.measure_render(browser, base, token, edges, 1)
    assert [run.rows for run in runs] == [20]
    for run in runs:
        assert 0 <= run.data_to_rows_ms <= run.data_to_frame_ms < 10_000
    assert bench.render_once(browser, base, token, None).rows == 20  # the app's own answer

    seen = bench.measure_visible(browser, base, token, site.org.api_key, 5, 0.05, tag="test")
    assert len(seen) == 5
    assert all(math.isfinite(s) and s < bench.SEEN_TIMEOUT_S for s in seen)
