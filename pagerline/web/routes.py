"""Serves the responder web app: ``GET /`` (and its client-side routes) is the page,
``/assets/*`` its hashed scripts and styles, ``/static/graphiql/*`` GraphiQL's packaged assets.

The app is built from ``web/`` (TypeScript, React, Vite) into ``app/`` beside this module by
``make web``; nothing is rendered on the server, so this module only sends files. The page gets
a Content-Security-Policy that lets it load scripts and styles from this origin only (the build
has no inline script or style, and a summary that smuggles in markup cannot run). Asset names
carry a hash of their content, so they are cached for a year; the page itself is revalidated
every time, so a new release is picked up at the next load. Without a build, the page says how
to make one instead of failing.

The app is installable: ``/manifest.webmanifest`` and its ``/icons/*``, and the service worker
``/sw.js`` (scope ``/``, its offline shell and Web Push). The worker's address never changes, so it
is sent with ``no-cache``: the browser asks for it at every check and a release reaches it at once.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
APP_DIR = WEB_DIR / "app"

# 'self' in connect-src covers the same-origin WebSocket (ws:/wss:) in current browsers.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "worker-src 'self'; manifest-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # The page names the current release's assets: always revalidate it.
    "Cache-Control": "no-cache",
}
IMMUTABLE = "public, max-age=31536000, immutable"
# The install files at fixed addresses: the worker and the manifest are revalidated every time
# (a stale worker would keep an old release's offline shell); the icons may be kept a day.
INSTALL_FILES = {
    "sw.js": ("text/javascript; charset=utf-8", "no-cache"),
    "manifest.webmanifest": ("application/manifest+json", "no-cache"),
}
ICON_CACHE = "public, max-age=86400"

NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pagerline: web app not built</title></head>
<body><h1>The web app is not built</h1>
<p>This server runs from a source checkout whose web app has not been built yet. Run
<code>make web</code> (it needs Node.js 20 or newer) and reload this page.</p>
<p>The API works without it: <a href="/graphql">GraphQL</a>, <a href="/api/openapi.json">REST</a>.</p>
</body></html>
"""


class HashedAssets(StaticFiles):
    """Vite's output: every name carries its content's hash, so a name never changes meaning."""

    async def check_config(self) -> None:
        # Not built yet: every asset is simply not found (404), as the page says to run `make web`.
        if self.directory is not None and not os.path.isdir(self.directory):
            return
        await super().check_config()

    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope, status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = IMMUTABLE
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


class Icons(HashedAssets):
    """The app's icons (manifest, home screen): fixed names, so cached for a day, not for ever."""

    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope, status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = ICON_CACHE
        return response


def web_app_routes(app_dir: Path) -> list[BaseRoute]:
    """The app built into ``app_dir``: its page at ``/`` and at every address the app itself
    handles (deep links), and its hashed assets."""

    async def web_app(request: Request) -> Response:
        page = app_dir / "index.html"
        if not page.is_file():
            return HTMLResponse(NOT_BUILT, status_code=503, headers=PAGE_HEADERS)
        return FileResponse(page, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)

    def install_file(name: str) -> Route:
        media_type, cache = INSTALL_FILES[name]

        async def send(request: Request) -> Response:
            path = app_dir / name
            if not path.is_file():
                return Response("not built: run `make web`\n", status_code=404, media_type="text/plain")
            headers = {**PAGE_HEADERS, "Cache-Control": cache}
            return FileResponse(path, media_type=media_type, headers=headers)

        return Route(f"/{name}", send, methods=["GET", "HEAD"])

    return [
        Route("/", web_app, methods=["GET", "HEAD"]),
        *(install_file(name) for name in INSTALL_FILES),
        Mount("/icons", app=Icons(directory=app_dir / "icons", check_dir=False), name="icons"),
        Route("/alerts/{alert_id:int}", web_app, methods=["GET", "HEAD"]),
        Route("/history", web_app, methods=["GET", "HEAD"]),
        Route("/coverage/request", web_app, methods=["GET", "HEAD"]),
        Route("/oncall", web_app, methods=["GET", "HEAD"]),
        Route("/coverage", web_app, methods=["GET", "HEAD"]),
        Route("/me", web_app, methods=["GET", "HEAD"]),
        Route("/schedules/{schedule_id:int}", web_app, methods=["GET", "HEAD"]),
        Route("/admin", web_app, methods=["GET", "HEAD"]),
        Route("/admin/{section:path}", web_app, methods=["GET", "HEAD"]),
        Route("/invite/{token}", web_app, methods=["GET", "HEAD"]),  # an invitation link (engine.people.invitations)
        Route("/chat/act", web_app, methods=["GET", "HEAD"]),  # a Teams card's signed button: a page that asks (engine.chat.links)
        Mount("/assets", app=HashedAssets(directory=app_dir / "assets", check_dir=False), name="assets"),
    ]


routes = [*web_app_routes(APP_DIR), Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static")]
