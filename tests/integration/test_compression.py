"""Answers of 1 KB or more are gzipped for clients that accept it (pagerline/app.py): the web
app's scripts and its GraphQL answers reach a phone several times faster. Small answers, and
clients that do not ask for it, get the bytes as they are."""

from __future__ import annotations

import httpx

from pagerline.app import create_app
from pagerline.settings import Settings

SETTINGS = Settings(database_url="sqlite://:memory:", secret_key="test-secret")


def client() -> httpx.AsyncClient:
    """The app without its lifespan: the answers used here need no database."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(SETTINGS)), base_url="http://pagerline.test")


async def test_a_large_answer_is_gzipped_when_the_client_accepts_it() -> None:
    async with client() as http:
        plain = await http.get("/api/openapi.json", headers={"Accept-Encoding": "identity"})
        zipped = await http.get("/api/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert plain.status_code == zipped.status_code == 200
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["vary"]
    assert int(zipped.headers["content-length"]) < len(plain.content) / 3  # JSON compresses well
    assert zipped.json() == plain.json()  # httpx decoded it: the same answer


async def test_a_small_answer_is_sent_as_it_is() -> None:
    async with client() as http:
        missing = await http.get("/api/no-such-route", headers={"Accept-Encoding": "gzip"})
    assert missing.status_code == 404 and len(missing.content) < 1000
    assert "content-encoding" not in missing.headers

