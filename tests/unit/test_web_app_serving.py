"""How the server sends the web app's build (pagerline/web/routes.py), on a build made here: the
page revalidated every time under the strict Content-Security-Policy, hashed assets cached for a
year, deep links answered with the page, and a clear page (not a 500) when nothing is built."""

from __future__ import annotations

from pathlib import Path

import httpx
from starlette.applications import Starlette

from pagerline.web.routes import CONTENT_SECURITY_POLICY, IMMUTABLE, web_app_routes

PAGE = '<!doctype html><script type="module" src="/assets/index-abc123.js"></script>'


def client_for(app_dir: Path) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=Starlette(routes=web_app_routes(app_dir))), base_url="http://pagerline.test")


async def test_the_page_is_never_cached_and_its_hashed_assets_are_kept_a_year(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(PAGE)
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)")
    async with client_for(tmp_path) as client:
        for path in ("/", "/alerts/42", "/history", "/coverage/request", "/oncall", "/schedules/3", "/coverage", "/me", "/admin", "/admin/users/7", "/invite/abc"):
            page = await client.get(path)
            assert page.status_code == 200 and page.text == PAGE, path
            assert page.headers["cache-control"] == "no-cache"
            assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        asset = await client.get("/assets/index-abc123.js")
        assert asset.status_code == 200 and asset.headers["cache-control"] == IMMUTABLE == "public, max-age=31536000, immutable"
        assert "javascript" in asset.headers["content-type"]
        assert (await client.get("/assets/index-other.js")).status_code == 404
        assert (await client.get("/alerts/abc")).status_code == 404


async def test_without_a_build_the_page_says_to_run_make_web(tmp_path: Path) -> None:
    async with client_for(tmp_path / "never-built") as client:
        page = await client.get("/")
        assert page.status_code == 503
        assert "make web" in page.text and "Node.js 20" in page.text
        assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert (await client.get("/assets/index-abc123.js")).status_code == 404
