"""README's settings, command-line and endpoint tables are generated from the code (see
tests/support/readme.py) and must match it: a setting, command, option or route missing from
README, or listed there without existing, fails here. ``PAGERLINE_WRITE_DOCS=1`` rewrites the
tables after a deliberate change. README and docs never point at files users do not have."""

from __future__ import annotations

import os
import re

from pagerline.settings import Settings
from tests.support.readme import README, ROUTES, WRITE_ENV, app_routes, blocks, generated, rewrite

DOCS = [README, *sorted((README.parent / "docs").glob("*.md"))]
# Names that look like settings and are not: variables the tests read (they configure the test
# run, not pagerline) and the iOS notification category of pages.
NOT_SETTINGS = {"PAGERLINE_TEST_DATABASE_URL", "PAGERLINE_TEST_REDIS_URL", "PAGERLINE_WRITE_DOCS", "PAGERLINE_ALERT"}


def test_readme_tables_match_the_code() -> None:
    text = README.read_text(encoding="utf-8")
    tables = generated()
    assert set(blocks(text)) == set(tables), f"README's generated blocks: {sorted(blocks(text))}, expected {sorted(tables)}"
    if os.environ.get(WRITE_ENV) == "1":
        README.write_text(rewrite(text, tables), encoding="utf-8")
        return
    stale = [name for name, body in blocks(text).items() if body != tables[name]]
    assert not stale, f"README's {stale} table(s) differ from the code; regenerate with {WRITE_ENV}=1"


def test_every_route_is_described_and_every_description_is_a_route() -> None:
    routes = app_routes()
    assert sorted(set(routes) - set(ROUTES)) == [], "routes without a description in tests/support/readme.py"
    assert sorted(set(ROUTES) - set(routes)) == [], "descriptions of routes the app does not have"


def test_every_setting_the_docs_name_exists() -> None:
    known = {f"PAGERLINE_{name.upper()}" for name in Settings.model_fields} | NOT_SETTINGS
    for doc in DOCS:
        named = set(re.findall(r"PAGERLINE_[A-Z0-9_]*[A-Z0-9]", doc.read_text(encoding="utf-8")))
        assert sorted(named - known) == [], f"{doc.name} names settings that do not exist"


def test_the_docs_point_at_no_file_users_do_not_have() -> None:
    for doc in DOCS:
        assert "DESIGN.md" not in doc.read_text(encoding="utf-8"), doc.name
