"""A real Prometheus Alertmanager (Debian's ``prometheus-alertmanager``, installed by ``make
alertmanager``) for tests of the receivers that point it at pagerline: its ``pagerduty_configs``
(PagerDuty Events API v2) and ``opsgenie_configs`` (Opsgenie Alert API) send exactly what they
send to those services, so what arrives is the real client's output, not a copy of it.

Usage::

    config = alertmanager_config('''
      - name: pagerline
        pagerduty_configs:
          - routing_key: KEY
            url: http://127.0.0.1:PORT/v2/enqueue
    ''')
    with running_alertmanager(config, tmp_path) as am:
        am.fire({"alertname": "DiskFull", "severity": "critical"}, {"summary": "Disk full on db-1"})
        ...  # wait for the alert in pagerline
        am.resolve({"alertname": "DiskFull", "severity": "critical"})

The configuration text is the caller's (:func:`alertmanager_config` writes the route with
timings short enough for a test to take seconds: it groups by nothing, waits 1 s before the
first notification and 1 s between a group's updates). Alerts are posted to Alertmanager's own
v2 API (``POST /api/v2/alerts``), as Prometheus posts them: firing without ``endsAt``, resolved
with ``endsAt`` in the past. The process listens on free ports, keeps its state in the test's
folder, and runs without clustering (``--cluster.listen-address=``), so tests never see each
other's alerts.

:data:`needs_alertmanager` skips a test when the binary is missing, saying how to install it.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.support.processes import Proc, free_port, wait_until

CANDIDATES = ("/usr/bin/prometheus-alertmanager", "prometheus-alertmanager", "alertmanager")


def alertmanager_binary() -> str | None:
    for candidate in CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


needs_alertmanager = pytest.mark.skipif(
    alertmanager_binary() is None,
    reason="Prometheus Alertmanager is not installed (`make alertmanager`, or apt-get install prometheus-alertmanager)",
)


def alertmanager_config(
    receivers: str,
    *,
    receiver: str = "pagerline",
    group_by: tuple[str, ...] = ("...",),
    group_wait: str = "1s",
    group_interval: str = "1s",
    repeat_interval: str = "1h",
    resolve_timeout: str = "5m",
) -> str:
    """A whole configuration: one route to ``receiver`` and the caller's ``receivers`` list
    (YAML list items, at any indentation). ``group_by: ['...']`` makes every alert its own group,
    so each alert is one notification with its own key."""
    groups = ", ".join(f"'{label}'" for label in group_by)
    items = textwrap.indent(textwrap.dedent(receivers).strip("\n"), "  ")
    return (
        f"global:\n  resolve_timeout: {resolve_timeout}\n"
        f"route:\n  receiver: {receiver}\n  group_by: [{groups}]\n"
        f"  group_wait: {group_wait}\n  group_interval: {group_interval}\n  repeat_interval: {repeat_interval}\n"
        f"receivers:\n{items}\n"
    )


def _time(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Alertmanager:
    proc: Proc
    port: int
    started: dict[frozenset[tuple[str, str]], datetime] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def post_alerts(self, alerts: list[dict[str, object]]) -> None:
        """``POST /api/v2/alerts`` as Prometheus does (labels, annotations, startsAt, endsAt, ...)."""
        response = httpx.post(f"{self.url}/api/v2/alerts", json=alerts, timeout=10)
        assert response.status_code == 200, response.text

    def fire(self, labels: Mapping[str, str], annotations: Mapping[str, str] | None = None, *, generator_url: str | None = None) -> None:
        """A firing alert (no ``endsAt``: it stays firing until resolved or ``resolve_timeout``)."""
        starts_at = datetime.now(UTC)
        self.started[frozenset(labels.items())] = starts_at
        alert: dict[str, object] = {"labels": dict(labels), "annotations": dict(annotations or {}), "startsAt": _time(starts_at)}
        if generator_url:
            alert["generatorURL"] = generator_url
        self.post_alerts([alert])

    def resolve(self, labels: Mapping[str, str], annotations: Mapping[str, str] | None = None) -> None:
        """The same alert resolved: ``endsAt`` just past (and after its ``startsAt``)."""
        now = datetime.now(UTC)
        starts_at = self.started.get(frozenset(labels.items()), now - timedelta(seconds=2))
        ends_at = max(now - timedelta(milliseconds=100), starts_at + timedelta(milliseconds=1))
        self.post_alerts([{
            "labels": dict(labels), "annotations": dict(annotations or {}), "startsAt": _time(starts_at), "endsAt": _time(ends_at),
        }])

    def alerts(self) -> list[dict[str, object]]:
        """What Alertmanager holds now (``GET /api/v2/alerts``)."""
        response = httpx.get(f"{self.url}/api/v2/alerts", timeout=10)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def log(self) -> str:
        return self.proc.log()


@contextmanager
def running_alertmanager(config: str, workdir: Path, *, name: str = "alertmanager") -> Iterator[Alertmanager]:
    """Writes ``config`` to ``workdir``, starts Alertmanager on a free port and waits until it is
    ready; stops it after the block."""
    binary = alertmanager_binary()
    if binary is None:
        pytest.skip("Prometheus Alertmanager is not installed (`make alertmanager`)")
    folder = workdir / name
    folder.mkdir(parents=True, exist_ok=True)
    config_file = folder / "alertmanager.yml"
    config_file.write_text(config)
    port = free_port()
    proc = Proc(
        args=[
            binary,
            f"--config.file={config_file}",
            f"--storage.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",  # no clustering: no gossip port, no peers
            "--log.level=debug",  # what it sent and what the receiver answered, for failures
        ],
        env={"PATH": "/usr/bin:/bin", "HOME": str(folder)},
        log_path=folder / "alertmanager.log",
    )
    proc.start()
    manager = Alertmanager(proc, port)

    def ready() -> bool:
        assert proc.popen is not None
        if proc.popen.poll() is not None:
            raise AssertionError(f"alertmanager exited early:\n{proc.log()}")
        try:
            return httpx.get(f"{manager.url}/-/ready", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(ready, timeout=30, what="alertmanager /-/ready")
        yield manager
    finally:
        proc.stop()
