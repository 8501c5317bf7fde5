"""Deployment events: pipelines report deployments through an alert source's integration key,
and each alert shows the deployments of its team in :data:`DEPLOYMENT_WINDOW` before it opened
(the usual first question in an incident: what changed?).

A deployment belongs to the team of the source it came through. An alert whose source has no
team shows the deployments that came through its own source only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pagerline.engine.core.errors import BadInput
from pagerline.engine.core.input_rules import check_value
from pagerline.engine.sources.lookup import SourceInfo
from pagerline.models import Alert, DeploymentEvent

DEPLOYMENT_WINDOW = timedelta(hours=1)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
# Epoch numbers above this are milliseconds: as seconds they would be after the year 5000.
MILLISECONDS_FROM = 100_000_000_000


def parse_timestamp(raw: Any, now: datetime) -> datetime:
    """``timestamp`` as epoch seconds, epoch milliseconds (numbers or digit strings) or ISO 8601
    (a time without a zone is taken as UTC); missing means ``now``."""
    if raw is None or raw == "":
        return now
    if isinstance(raw, bool):
        raise BadInput("timestamp must be epoch seconds, epoch milliseconds or an ISO 8601 time")
    number: float | None = None
    try:
        if isinstance(raw, (int, float)):
            number = float(raw)
        elif isinstance(raw, str) and raw.strip().isdigit():
            number = float(raw.strip())
    except OverflowError:  # an integer of hundreds of digits has no float
        raise BadInput("timestamp is out of range") from None
    if number is not None:
        seconds = number / 1000 if abs(number) >= MILLISECONDS_FROM else number
        try:
            at = datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise BadInput("timestamp is out of range") from None
    elif isinstance(raw, str):
        try:
            at = datetime.fromisoformat(raw.strip())
        except ValueError:
            raise BadInput(f"timestamp '{raw[:40]}' is not epoch seconds, epoch milliseconds or ISO 8601") from None
        at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    else:
        raise BadInput("timestamp must be epoch seconds, epoch milliseconds or an ISO 8601 time")
    if not EARLIEST <= at < LATEST:
        raise BadInput("timestamp must be between the years 2000 and 2100")
    return at.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class DeploymentInput:
    summary: str
    at: datetime
    user_email: str | None = None
    custom_details: dict[str, Any] = field(default_factory=dict)
    links: list[dict[str, Any]] = field(default_factory=list)


async def record_deployment(source: SourceInfo, deployment: DeploymentInput, now: datetime) -> DeploymentEvent:
    summary = deployment.summary.strip()
    if not summary:
        raise BadInput("summary is required")
    # The one input rule, whichever adapter built the deployment (fields named as in the API).
    stored = {
        "summary": summary,
        "userEmail": deployment.user_email,
        "customDetails": deployment.custom_details,
        "links": deployment.links,
    }
    for name, value in stored.items():
        check_value(value, name)
    return await DeploymentEvent.create(
        source_id=source.id,
        team_id=source.team_id,
        summary=summary[:500],
        at=deployment.at,
        user_email=deployment.user_email,
        custom_details=deployment.custom_details,
        links=deployment.links,
        created_at=now,
    )


async def deployments_before(alert: Alert, window: timedelta = DEPLOYMENT_WINDOW, limit: int = 50) -> list[DeploymentEvent]:
    """Deployments of the alert's team (or source) in ``window`` before the alert opened,
    newest first."""
    team_id = await Alert.filter(id=alert.id).first().values_list("source__team_id", flat=True)
    query = DeploymentEvent.filter(at__gte=alert.created_at - window, at__lte=alert.created_at)
    query = query.filter(team_id=team_id) if team_id is not None else query.filter(source_id=alert.source_id)  # type: ignore[attr-defined]
    return list(await query.order_by("-at", "-id").limit(limit))
