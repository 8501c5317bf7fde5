"""Helpers for tests that watch live updates from real server processes: seed a database from
the test process, the environment of a server on it, and making sure a subscription is
registered before the event under test is sent. (HTTP and GraphQL helpers are in
tests/support/graphql.py.)"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.graphql import fire_ok, in_db
from tests.support.processes import wait_until
from tests.support.seed import Org, seed_org

_warm_ups = itertools.count()


def seed_database(url: str, **kwargs: Any) -> Org:
    return in_db(url, lambda: seed_org(**kwargs))


def embedded_env(url: str, workdir: Path, **extra: str) -> dict[str, str]:
    """Environment of a server (or worker) on ``url`` whose notifications go to a console file."""
    return {
        "PAGERLINE_DATABASE_URL": url,
        "PAGERLINE_CONSOLE_TRANSPORT": "1",
        "PAGERLINE_CONSOLE_LOG": str(workdir / "console.log"),
        "PAGERLINE_SWEEP_INTERVAL_SECONDS": "0.2",
        **extra,
    }


def post_alert(server_url: str, org: Org, alert_key: str, summary: str = "Checkout is down", **fields: Any) -> int:
    """An ALERT event on the org's API source; returns the alert's id."""
    return fire_ok(server_url, org.api_key, alert_key, summary, **fields)


def warm_up(server_url: str, org: Org, seen: Callable[[int], bool], attempts: int = 40, per_attempt: float = 0.5) -> None:
    """A server registers a subscription a moment after the client subscribes. Post throwaway
    alerts until ``seen(alert_id)`` says one arrived, so the event under test cannot race the
    registration."""
    for _ in range(attempts):
        alert_id = post_alert(server_url, org, f"warm-up-{next(_warm_ups)}", "warm-up")
        try:
            wait_until(lambda: seen(alert_id), timeout=per_attempt, what="a warm-up event")
            return
        except AssertionError:
            continue
    raise AssertionError(f"no warm-up event arrived after {attempts} tries")
