"""Liveness, readiness and Prometheus metrics.

Notification and alert counts come from the database at scrape time, so they add up across
every server and worker process; process-local counters (events received, deliveries by this
process, escalation lag) come from the Prometheus client.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tortoise import connections
from tortoise.functions import Count

from pagerline.models import Alert, AlertStatus, Notification, Priority


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    checks: dict[str, str] = {}
    try:
        await connections.get("default").execute_query("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready
        checks["database"] = f"error: {type(exc).__name__}"
    broker_ok = await request.app.state.bus.ping()
    checks["broker"] = "ok" if broker_ok else "error: unreachable"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status_code=200 if ready else 503)


def _escape(value: object) -> str:
    text = str(getattr(value, "value", value))  # enum members render as their value
    return text.replace("\\", "\\\\").replace('"', '\\"')


async def _database_metrics() -> list[str]:
    lines = [
        "# HELP pagerline_notifications Notifications in the outbox by channel and status (all processes)",
        "# TYPE pagerline_notifications gauge",
    ]
    rows = await Notification.all().annotate(n=Count("id")).group_by("channel", "status").values("channel", "status", "n")
    for row in rows:
        lines.append(
            f'pagerline_notifications{{channel="{_escape(row["channel"])}",status="{_escape(row["status"])}"}} {row["n"]}'
        )
    lines += ["# HELP pagerline_alerts Alerts by status (all processes)", "# TYPE pagerline_alerts gauge"]
    for row in await Alert.all().annotate(n=Count("id")).group_by("status").values("status", "n"):
        lines.append(f'pagerline_alerts{{status="{_escape(row["status"])}"}} {row["n"]}')
    first_due = (
        await Alert.filter(status=AlertStatus.PENDING, priority=Priority.HIGH, next_escalation_at__isnull=False)
        .order_by("next_escalation_at")
        .first()
        .values_list("next_escalation_at", flat=True)
    )
    lag = max(0.0, (datetime.now(UTC) - first_due).total_seconds()) if first_due else 0.0
    lines += [
        "# HELP pagerline_escalation_overdue_seconds How far the most overdue escalation is behind (0 when none)",
        "# TYPE pagerline_escalation_overdue_seconds gauge",
        f"pagerline_escalation_overdue_seconds {lag:.3f}",
    ]
    return lines


async def metrics(request: Request) -> Response:
    body = generate_latest(REGISTRY).decode()
    try:
        body += "\n".join(await _database_metrics()) + "\n"
    except Exception:  # metrics must answer even when the database does not
        body += "pagerline_database_up 0\n"
    return Response(body, media_type=CONTENT_TYPE_LATEST)


routes = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
]
