"""The installable app's files as the server sends them (pagerline/web/routes.py): the service
worker at a fixed address, never cached long, under the strict Content-Security-Policy (which
names only what a worker and a manifest need); the manifest; the icons. And the manifest in
web/public as committed: what a phone needs to install the app, its icons real PNGs of the sizes
it says."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import httpx
from starlette.applications import Starlette

from pagerline.web.routes import CONTENT_SECURITY_POLICY, web_app_routes

PUBLIC = Path(__file__).resolve().parents[2] / "web" / "public"


def client_for(app_dir: Path) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=Starlette(routes=web_app_routes(app_dir))), base_url="http://pagerline.test")


def built(tmp_path: Path) -> Path:
    (tmp_path / "icons").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html>")
    (tmp_path / "sw.js").write_text("self.addEventListener('push', () => {});")
    (tmp_path / "manifest.webmanifest").write_text('{"name": "pagerline"}')
    (tmp_path / "icons" / "icon-192.png").write_bytes((PUBLIC / "icons" / "icon-192.png").read_bytes())
    return tmp_path


async def test_the_worker_is_revalidated_every_time_at_a_fixed_address_under_the_strict_policy(tmp_path: Path) -> None:
    async with client_for(built(tmp_path)) as client:
        worker = await client.get("/sw.js")
        assert worker.status_code == 200 and "push" in worker.text
        assert worker.headers["cache-control"] == "no-cache"
        assert worker.headers["content-type"].startswith("text/javascript")
        assert worker.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert worker.headers["x-content-type-options"] == "nosniff"
        assert (await client.get("/sw.js?v=2")).headers["cache-control"] == "no-cache"

        manifest = await client.get("/manifest.webmanifest")
        assert manifest.headers["content-type"] == "application/manifest+json"
        assert manifest.headers["cache-control"] == "no-cache" and manifest.json() == {"name": "pagerline"}

        icon = await client.get("/icons/icon-192.png")
        assert icon.status_code == 200 and icon.headers["content-type"] == "image/png"
        assert icon.headers["cache-control"] == "public, max-age=86400"
        assert (await client.get("/icons/missing.png")).status_code == 404


def test_the_policy_stays_strict_and_adds_only_worker_and_manifest_sources() -> None:
    directives = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["script-src"] == directives["style-src"] == directives["worker-src"] == directives["manifest-src"] == "'self'"
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY and "'unsafe-eval'" not in CONTENT_SECURITY_POLICY
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"


async def test_without_a_build_the_install_files_are_not_found(tmp_path: Path) -> None:
    async with client_for(tmp_path / "never-built") as client:
        for path in ("/sw.js", "/manifest.webmanifest", "/icons/icon-192.png"):
            assert (await client.get(path)).status_code == 404, path


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", path
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_the_manifest_makes_the_app_installable_with_real_icons() -> None:
    manifest = json.loads((PUBLIC / "manifest.webmanifest").read_text())
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/", "/", "standalone")
    assert manifest["name"] == "pagerline" and manifest["theme_color"].startswith("#")
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        width, height = png_size(PUBLIC / icon["src"].lstrip("/"))
        assert f"{width}x{height}" == icon["sizes"], icon["src"]
