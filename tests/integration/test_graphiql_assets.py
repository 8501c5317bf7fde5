"""GraphiQL works without internet: GET /graphql (a browser asking for HTML) is a page that
references only this server, every asset it references is served with the right content type,
and the vendored files are the ones the pinned npm releases ship (SHA256SUMS beside them)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from pagerline.graphql.core.view import GRAPHIQL_PAGE
from tests.support.databases import TemplateDatabases
from tests.support.graphql import World, running_world

CONTENT_TYPES = {".js": {"text/javascript", "application/javascript"}, ".css": {"text/css"}}
GRAPHIQL_DIR = GRAPHIQL_PAGE.parent


class References(HTMLParser):
    """Every URL the page makes the browser load or offer: src, href (and srcset, action)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "action", "srcset", "data") and value:
                self.urls.append(value)


@pytest.fixture(scope="module")
def world(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_world(templates, tmp_path_factory.mktemp("graphiql")) as made:
        yield made


def graphiql_page(url: str) -> httpx.Response:
    return httpx.get(f"{url}/graphql", headers={"Accept": "text/html"}, timeout=10)


def test_the_graphiql_page_references_only_this_server(world: World) -> None:
    page = graphiql_page(world.url)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    parser = References()
    parser.feed(page.text)
    assert len(parser.urls) >= 4, parser.urls  # React, ReactDOM, GraphiQL, its CSS at least
    for reference in parser.urls:
        resolved = urlsplit(urljoin(f"{world.url}/graphql", reference))
        if resolved.scheme == "data":
            continue  # inline (the empty favicon that saves the browser asking for /favicon.ico)
        assert (resolved.scheme, resolved.netloc) == ("http", urlsplit(world.url).netloc), reference
    assert "://" not in page.text  # no host named anywhere, not even in a script or a comment


def test_every_asset_the_page_references_is_served_with_its_content_type(world: World) -> None:
    parser = References()
    parser.feed(graphiql_page(world.url).text)
    for reference in (r for r in parser.urls if not r.startswith("data:")):
        response = httpx.get(urljoin(f"{world.url}/graphql", reference), timeout=10)
        assert response.status_code == 200, reference
        kind = response.headers["content-type"].split(";")[0].strip()
        assert kind in CONTENT_TYPES[Path(urlsplit(reference).path).suffix], (reference, kind)
        assert len(response.content) > 0


def test_the_vendored_files_are_the_pinned_releases() -> None:
    listed = {}
    for line in (GRAPHIQL_DIR / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name] = digest
    assert {"graphiql.min.js", "graphiql.min.css", "react.production.min.js", "react-dom.production.min.js"} <= set(listed)
    for name, digest in listed.items():
        assert hashlib.sha256((GRAPHIQL_DIR / name).read_bytes()).hexdigest() == digest, name
    for license_name in ("LICENSE-graphiql", "LICENSE-react", "LICENSE-react-dom"):
        assert "MIT License" in (GRAPHIQL_DIR / license_name).read_text()
