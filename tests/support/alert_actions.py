"""What the engine tests of alert actions share (tests/engine/test_alert_actions.py, and
test_source_deletes.py, which deletes actions with deliveries in flight): the instant they
start at, the key action secrets are derived from, and a delivery context whose retry policy
reaches its cap in a few tries (10 s, 20 s, then 40 s at most; four attempts)."""

from __future__ import annotations

from datetime import UTC, datetime

from pagerline.engine.alerts.actions import ActionContext, ActionPolicy

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
KEY = b"test-secret-key"
CTX = ActionContext(KEY, "https://pagerline.example", ActionPolicy(max_attempts=4, backoff_base_seconds=10, backoff_cap_seconds=40))
