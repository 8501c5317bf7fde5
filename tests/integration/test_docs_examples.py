"""The requests on the documentation's integration pages are real: each page's requests are sent,
in the page's order, to the application in-process on a fresh database of a small organisation,
and each answer must be what the page shows under ``<!-- response: STATUS -->``.

A request is ``<!-- request: METHOD PATH -->`` followed by its JSON body (none for a body-less
ping); ``{key}`` in the path and ``"<integration key>"`` in the body stand for the key of a
source of the route's kind. A string ``"<...>"`` in a shown answer stands for any value (for what
differs on every run). ``PAGERLINE_WRITE_DOCS=1`` writes the answers instead, keeping those
placeholders (after a deliberate change; review the diff). Always SQLite, like the mobile guide's
examples: what the pages show must not depend on the backend.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from pagerline.app import create_app
from pagerline.engine.sources.heartbeats import create_heartbeat
from pagerline.engine.sources.settings import PolicyChanges, update_source_policy
from pagerline.engine.sources.lookup import create_source
from pagerline.models import IntegrationType
from pagerline.settings import Settings
from tests.conftest import _engine_db
from tests.support.databases import TemplateDatabases
from tests.support.readme import DOCS, WRITE_ENV, fenced_blocks
from tests.support.seed import seed_org

PUBLIC_URL = "https://pagerline.example.com"  # the address the pages use
EXAMPLE = re.compile(
    r"<!-- request: (?P<method>[A-Z]+) (?P<path>\S+) -->\n(?:```json\n(?P<body>.*?)```\n)?"
    r"(?P<between>.*?)<!-- response: (?P<status>\d{3}) -->\n```json\n(?P<answer>.*?)```\n",
    re.S,
)
PLACEHOLDER = re.compile(r"<[^<>]+>")
KEY_IN_BODY = '"<integration key>"'
PAGES = sorted(path for path in (DOCS / "integrations").glob("*.md") if EXAMPLE.search(path.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Keys:
    api: str
    alertmanager: str
    grafana: str
    webhook: str
    heartbeat: str

    def for_route(self, path: str) -> str:
        for prefix, key in (
            ("/api/events/alertmanager/", self.alertmanager),
            ("/api/events/grafana/", self.grafana),
            ("/api/events/webhook/", self.webhook),
            ("/api/heartbeats/", self.heartbeat),
        ):
            if path.startswith(prefix):
                return key
        return self.api


def matches(shown: Any, actual: Any) -> bool:
    """``actual`` is what ``shown`` says, a ``"<...>"`` string standing for any value."""
    if isinstance(shown, str) and PLACEHOLDER.fullmatch(shown):
        return True
    if isinstance(shown, dict):
        return isinstance(actual, dict) and shown.keys() == actual.keys() and all(matches(shown[k], actual[k]) for k in shown)
    if isinstance(shown, list):
        return isinstance(actual, list) and len(shown) == len(actual) and all(map(matches, shown, actual))
    return bool(shown == actual)


def with_placeholders(shown: Any, actual: Any) -> Any:
    """``actual``, keeping the placeholders ``shown`` has where the shapes agree."""
    if isinstance(shown, str) and PLACEHOLDER.fullmatch(shown):
        return shown
    if isinstance(shown, dict) and isinstance(actual, dict):
        return {k: with_placeholders(shown.get(k), v) for k, v in actual.items()}
    if isinstance(shown, list) and isinstance(actual, list):
        return [with_placeholders(shown[i] if i < len(shown) else None, v) for i, v in enumerate(actual)]
    return actual


def answer_block(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


@pytest.fixture
def sqlite_url(templates: TemplateDatabases, tmp_path: Path) -> str:
    return templates.sqlite(tmp_path)  # migrated outside the test's event loop


@pytest.fixture
async def sqlite_db(sqlite_url: str) -> AsyncIterator[str]:
    async for url in _engine_db(sqlite_url):
        yield url


async def _seed(page_text: str) -> Keys:
    org = await seed_org()
    webhook, webhook_key = await create_source("Ops webhook", org.policy_id, IntegrationType.WEBHOOK, team_id=org.team_id)
    shown_templates = [body for _, body, marker in fenced_blocks(page_text) if marker == "templates"]
    if shown_templates:
        await update_source_policy(webhook.id, PolicyChanges(templates=json.loads(shown_templates[0])))
    _, heartbeat_key = await create_heartbeat("Nightly backup", org.api_source_id, 3600)
    return Keys(org.api_key, org.alertmanager_key, org.grafana_key, webhook_key, heartbeat_key)


@pytest.mark.parametrize("page", PAGES, ids=[page.stem for page in PAGES])
async def test_every_request_on_the_page_gets_the_answer_shown(page: Path, sqlite_db: str) -> None:
    text = page.read_text(encoding="utf-8")
    keys = await _seed(text)
    settings = Settings(secret_key="docs-secret-key", public_url=PUBLIC_URL)
    written: list[str] = []
    stale: list[str] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings)), base_url=PUBLIC_URL) as client:
        for example in EXAMPLE.finditer(text):
            key = keys.for_route(example["path"])
            path = example["path"].replace("{key}", key)
            body = example["body"]
            content = body.replace(KEY_IN_BODY, json.dumps(key)).encode() if body is not None else None
            headers = {"Content-Type": "application/json"} if body is not None else {}
            response = await client.request(example["method"], path, content=content, headers=headers)
            shown = json.loads(example["answer"])
            actual = response.json() if response.content else {}
            where = f"{example['method']} {example['path']}"
            assert response.status_code == int(example["status"]), f"{page.name}: {where} answered {response.status_code}: {actual}"
            if not matches(shown, actual):
                stale.append(f"{where}: shown {shown}, answered {actual}")
            written.append(answer_block(with_placeholders(shown, actual)))
    assert written, f"{page.name} has no request examples"
    if os.environ.get(WRITE_ENV) == "1":
        answers = iter(written)
        page.write_text(
            EXAMPLE.sub(lambda m: m.group(0)[: m.start("answer") - m.start(0)] + next(answers) + "```\n", text), encoding="utf-8"
        )
        return
    assert not stale, f"{page.name}: answers differ from what the page shows (regenerate with {WRITE_ENV}=1):\n" + "\n".join(stale)


def test_placeholders_stand_for_any_value_and_nothing_else() -> None:
    assert matches({"id": "<id>", "at": "2026-11-26T14:05:00+00:00"}, {"id": 7, "at": "2026-11-26T14:05:00+00:00"})
    assert not matches({"id": "<id>"}, {"id": 7, "extra": 1})
    assert not matches({"code": "A"}, {"code": "B"})
    assert with_placeholders({"id": "<id>", "n": 1}, {"id": 9, "n": 2}) == {"id": "<id>", "n": 2}
