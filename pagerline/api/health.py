"""Liveness, readiness and Prometheus metrics.

Two kinds of figures, chosen so a scrape costs the same on an empty database as on one with a
million resolved alerts, and adds up correctly however many servers and workers run:

- Gauges of *open work* (alerts PENDING or ACCEPTED, notifications PENDING or SENDING) are read
  from the database at scrape time, so every server reports the same all-process figure. They
  are counted through partial indexes that hold open rows only (``alerts_open``,
  ``notifications_outbox``), never by reading the alert or notification tables, which grow with
  history.
- What has *finished* (notifications sent, failed, skipped, suppressed) is reported over a
  recent window (``pagerline_notifications_recent``, the last 15 minutes): a range of the
  (status, due_at) index, as large as recent traffic and never as large as history, and still
  read from the database, so deliveries made by worker processes (which serve no /metrics) are
  in it. Totals since the beginning would mean either a scan per scrape or a shared counter row
  that every delivery of every worker must lock; the window answers what an operator asks (is
  anything failing now?) for every process at once.
- The retention job's deletions (``pagerline_retention_deleted_rows_total``) are all-time totals
  from a table of one row per deleted-from table, kept in step by the job's own transactions.
- Process counters (``pagerline_notification_deliveries_total``, ``pagerline_alerts_resolved_total``
  …) count what the scraped process itself did.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tortoise import connections
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from pagerline.models import Alert, AlertStatus, Notification, NotificationStatus, Priority, RetentionTotal

OPEN_ALERT_STATUSES = (AlertStatus.PENDING, AlertStatus.ACCEPTED)
OUTBOX_STATUSES = (NotificationStatus.PENDING, NotificationStatus.SENDING)
RECENT_MINUTES = 15


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


async def _by_channel_and_status(name: str, notifications: QuerySet[Notification]) -> list[str]:
    rows = await notifications.annotate(n=Count("id")).group_by("channel", "status").values("channel", "status", "n")
    return [f'{name}{{channel="{_escape(r["channel"])}",status="{_escape(r["status"])}"}} {r["n"]}' for r in rows]


async def _database_metrics(now: datetime) -> list[str]:
    lines = [
        "# HELP pagerline_notifications Notifications waiting or being sent, by channel and status (all processes)",
        "# TYPE pagerline_notifications gauge",
    ]
    # The status filter implies the partial index's condition, so only open rows are read.
    lines += await _by_channel_and_status("pagerline_notifications", Notification.filter(status__in=OUTBOX_STATUSES))
    lines += [
        f"# HELP pagerline_notifications_recent Notifications that fell due in the last {RECENT_MINUTES} minutes, "
        "by channel and status (all processes)",
        "# TYPE pagerline_notifications_recent gauge",
    ]
    # A range of the (status, due_at) index per status: as many rows as recent traffic, never history.
    recent = Notification.filter(status__in=list(NotificationStatus), due_at__gte=now - timedelta(minutes=RECENT_MINUTES))
    lines += await _by_channel_and_status("pagerline_notifications_recent", recent)
    lines += ["# HELP pagerline_alerts Open alerts by status (all processes)", "# TYPE pagerline_alerts gauge"]
    counted = {
        AlertStatus(row["status"]): row["n"]
        for row in await Alert.filter(status__in=OPEN_ALERT_STATUSES).annotate(n=Count("id")).group_by("status").values("status", "n")
    }
    for status in OPEN_ALERT_STATUSES:  # zeros too, so a graph shows 0 rather than a gap
        lines.append(f'pagerline_alerts{{status="{_escape(status)}"}} {counted.get(status, 0)}')
    first_due = (
        await Alert.filter(status=AlertStatus.PENDING, priority=Priority.HIGH, next_escalation_at__isnull=False)
        .order_by("next_escalation_at")
        .first()
        .values_list("next_escalation_at", flat=True)
    )
    lag = max(0.0, (now - first_due).total_seconds()) if first_due else 0.0
    lines += [
        "# HELP pagerline_escalation_overdue_seconds How far the most overdue escalation is behind (0 when none)",
        "# TYPE pagerline_escalation_overdue_seconds gauge",
        f"pagerline_escalation_overdue_seconds {lag:.3f}",
        "# HELP pagerline_retention_deleted_rows_total Rows the retention job deleted, by table (all processes)",
        "# TYPE pagerline_retention_deleted_rows_total counter",
    ]
    # One row per table, kept by the job itself (see pagerline.engine.retention).
    for total in await RetentionTotal.all().order_by("table_name"):
        lines.append(f'pagerline_retention_deleted_rows_total{{table="{_escape(total.table_name)}"}} {total.deleted_rows}')
    return lines


async def metrics(request: Request) -> Response:
    body = generate_latest(REGISTRY).decode()
    try:
        body += "\n".join(await _database_metrics(datetime.now(UTC))) + "\n"
    except Exception:  # metrics must answer even when the database does not
        body += "pagerline_database_up 0\n"
    return Response(body, media_type=CONTENT_TYPE_LATEST)


routes = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
]
