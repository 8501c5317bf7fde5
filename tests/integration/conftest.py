"""Fixtures of the web app tests in a real browser (test_web_app_browser.py and
test_web_app_timeline_browser.py): one site and one chromium per test module. And a GraphQL
``world`` (a running server over two seeded teams) per module, for modules that need no other
shape of it (most older modules still define their own).

Other modules that need a differently shaped server (test_gql_client.py,
test_setup_warnings.py) define a ``site`` fixture of their own, which pytest uses there instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.support.browser import Site, chromium, start_site
from tests.support.databases import TemplateDatabases
from tests.support.graphql import World, running_world
from tests.support.processes import serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture(scope="module")
def site(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    made = start_site(templates, tmp_path_factory.mktemp("web-app"))
    with serving(made.server):
        yield made


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def world(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_world(templates, tmp_path_factory.mktemp("world")) as made:
        yield made
