"""The settings, command-line and endpoint tables of the documentation are generated from the
code (see tests/support/readme.py) and must match it: a setting, command, option or route missing
from its page, or listed there without existing, fails here. ``PAGERLINE_WRITE_DOCS=1`` rewrites
the tables after a deliberate change. README and docs never point at files users do not have."""

from __future__ import annotations

import os
import re

import pytest

from pagerline.settings import Settings
from tests.support.readme import PAGES, ROUTES, WRITE_ENV, app_routes, blocks, doc_files, generated, rewrite

# Names that look like settings and are not: variables the tests read (they configure the test
# run, not pagerline) and the iOS notification category of pages.
NOT_SETTINGS = {"PAGERLINE_TEST_DATABASE_URL", "PAGERLINE_TEST_REDIS_URL", "PAGERLINE_WRITE_DOCS", "PAGERLINE_ALERT"}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_each_table_on_its_page_matches_the_code(name: str) -> None:
    page = PAGES[name]
    text = page.read_text(encoding="utf-8")
    assert list(blocks(text)) == [name], f"{page.name} should hold the generated {name} table, and only it"
    table = generated()[name]
    if os.environ.get(WRITE_ENV) == "1":
        page.write_text(rewrite(text, {name: table}), encoding="utf-8")
        return
    assert blocks(text)[name] == table, f"{page.name}'s {name} table differs from the code; regenerate with {WRITE_ENV}=1"


def test_no_other_page_holds_a_generated_table() -> None:
    holders = {path for path in doc_files() if blocks(path.read_text(encoding="utf-8"))}
    assert holders == set(PAGES.values())


def test_every_route_is_described_and_every_description_is_a_route() -> None:
    routes = app_routes()
    assert sorted(set(routes) - set(ROUTES)) == [], "routes without a description in tests/support/readme.py"
    assert sorted(set(ROUTES) - set(routes)) == [], "descriptions of routes the app does not have"


def test_every_setting_the_docs_name_exists() -> None:
    known = {f"PAGERLINE_{name.upper()}" for name in Settings.model_fields} | NOT_SETTINGS
    for doc in doc_files():
        named = set(re.findall(r"PAGERLINE_[A-Z0-9_]*[A-Z0-9]", doc.read_text(encoding="utf-8")))
        assert sorted(named - known) == [], f"{doc.name} names settings that do not exist"


def test_the_docs_point_at_no_file_users_do_not_have() -> None:
    for doc in doc_files():
        assert "DESIGN.md" not in doc.read_text(encoding="utf-8"), doc.name
