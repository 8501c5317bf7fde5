"""The demo organisation: seeded once, reused by later runs.

A team of two (the demo admin and a backup responder) on a weekly rotation that hands off at
09:00 UTC, the demo admin's week first, so right after seeding the demo admin is on call for
six to seven days and can ask the backup to cover part of it. The demo's escalation policy
pages whoever the rotation says (level 1), then the demo admin by name (level 2), so every
alert reaches the demo admin whoever's week it is.

Integration keys and the demo password are stored only hashed in the database, so the demo
keeps its plain values in ``var/demo.json`` (mode 0600) to print them again on later runs.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from pagerline.engine.people.accounts import create_user
from pagerline.engine.people.contacts import add_verified
from pagerline.engine.schedules.editing import LayerInput, create_schedule
from pagerline.engine.sources.lookup import create_source, rotate_integration_key
from pagerline.models import (
    AlertSource,
    ContactKind,
    Device,
    EscalationPolicy,
    EscalationRule,
    IntegrationType,
    Platform,
    PushProvider,
    Role,
    ScheduleKind,
    Team,
    User,
)
from pagerline.security import hash_password

DEMO_EMAIL = "demo@pagerline.local"
BACKUP_EMAIL = "backup@pagerline.local"
SCHEDULE_NAME = "Demo on-call"
HANDOFF = time(9, 0)


@dataclass(frozen=True)
class DemoInfo:
    email: str
    password: str
    integrationKey: str
    alertmanagerKey: str
    alertmanagerUrl: str
    grafanaUrl: str
    url: str




def _save(path: Path, data: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))
    path.chmod(0o600)


def rotation_start(now: datetime) -> datetime:
    """The last 09:00 UTC at or before ``now``: the demo admin's first week starts there."""
    today = datetime.combine(now.astimezone(UTC).date(), HANDOFF, tzinfo=UTC)
    return today if today <= now else today - timedelta(days=1)


async def _seed_org(password: str, now: datetime) -> dict[str, str]:
    team, _ = await Team.get_or_create(name="Demo team")
    user = await create_user(DEMO_EMAIL, "Demo Admin", password, Role.ADMIN, "UTC", [team.name])
    backup = await create_user(BACKUP_EMAIL, "Backup Responder", secrets.token_urlsafe(12), Role.RESPONDER, "UTC", [team.name])
    for person in (user, backup):
        # Reachable on every channel through the console transport.
        number = "+15550100" if person is user else "+15550101"
        for kind in (ContactKind.SMS, ContactKind.VOICE):
            await add_verified(person.id, kind, number, now)
        await Device.create(user=person, platform=Platform.ANDROID, provider=PushProvider.CONSOLE, token=f"console-{person.id}", app_id="demo", critical_alerts=True)
    rotation = await create_schedule(
        SCHEDULE_NAME, "UTC", ScheduleKind.RECURRING, team.id,
        layers=[LayerInput(starts_on=rotation_start(now), rotation="P7D", user_ids=[user.id, backup.id])],
    )
    policy = await EscalationPolicy.create(name="Demo policy", team=team)
    first = await EscalationRule.create(policy=policy, position=0, timeout_minutes=5)
    await first.schedules.add(rotation)
    second = await EscalationRule.create(policy=policy, position=1, timeout_minutes=10)
    await second.users.add(user)
    _, api_key = await create_source("Demo API", policy.id, IntegrationType.API, team_id=team.id)
    _, am_key = await create_source("Demo Alertmanager", policy.id, IntegrationType.ALERTMANAGER, team_id=team.id)
    _, gf_key = await create_source("Demo Grafana", policy.id, IntegrationType.GRAFANA, team_id=team.id)
    return {"password": password, "api": api_key, "alertmanager": am_key, "grafana": gf_key}


async def seed_demo(public_url: str, secrets_path: str, now: datetime) -> DemoInfo:
    path = Path(secrets_path)
    stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    user = await User.get_or_none(email=DEMO_EMAIL)
    if user is None:
        stored = await _seed_org(secrets.token_urlsafe(9), now)
        _save(path, stored)
    elif not {"password", "api", "alertmanager", "grafana"} <= stored.keys():
        # The database was seeded elsewhere (or the file was lost): issue fresh secrets.
        stored["password"] = secrets.token_urlsafe(9)
        user.password_hash = hash_password(stored["password"])
        await user.save(update_fields=["password_hash"])
        for name, label in (("Demo API", "api"), ("Demo Alertmanager", "alertmanager"), ("Demo Grafana", "grafana")):
            source = await AlertSource.get(name=name)
            stored[label] = await rotate_integration_key(source)
        _save(path, stored)
    base = public_url.rstrip("/")
    return DemoInfo(
        email=DEMO_EMAIL,
        password=stored["password"],
        integrationKey=stored["api"],
        alertmanagerKey=stored["alertmanager"],
        alertmanagerUrl=f"/api/events/alertmanager/{stored['alertmanager']}",
        grafanaUrl=f"/api/events/grafana/{stored['grafana']}",
        url=base,
    )


def demo_text(info: DemoInfo) -> str:
    return f"""pagerline demo organisation
  dashboard:        {info.url}/
  sign in:          {info.email} / {info.password}
  integration key:  {info.integrationKey}

Send an alert:
  curl -s -X POST {info.url}/api/events -H 'Content-Type: application/json' \\
    -d '{{"integrationKey": "{info.integrationKey}", "eventType": "ALERT", "summary": "Disk full on db-1"}}'

Alertmanager webhook URL: {info.url}{info.alertmanagerUrl}
Notifications sent:       .venv/bin/pagerline notifications
On call:                  "{SCHEDULE_NAME}", weekly at 09:00 UTC, {info.email} first, then {BACKUP_EMAIL}
"""


def demo_json(info: DemoInfo) -> str:
    return json.dumps(asdict(info))
