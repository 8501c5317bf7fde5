"""The dashboard's reconnect rules (``reconnectPlan`` in pagerline/web/static/gqlws.js), tested
with Node's own test runner: tests/js/gqlws_reconnect.test.mjs. This runs it as part of pytest."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

NODE = shutil.which("node")
TESTS = Path(__file__).resolve().parents[1] / "js" / "gqlws_reconnect.test.mjs"


@pytest.mark.skipif(NODE is None, reason="needs Node.js (node on PATH) to run tests/js/gqlws_reconnect.test.mjs")
def test_gqlws_reconnect_rules_pass_under_node() -> None:
    assert NODE is not None
    result = subprocess.run([NODE, "--test", str(TESTS)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# pass 3" in result.stdout and "# fail 0" in result.stdout, result.stdout
