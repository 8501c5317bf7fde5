"""A small organisation for tests: two responders on a two-level policy, sources of each kind.

Everyone is reachable by push through a CONSOLE device, so the console transport (writing JSON
lines to a file the test reads) stands in for a phone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pagerline.engine.people.accounts import create_token, create_user
from pagerline.engine.people.contacts import add_verified
from pagerline.engine.sources.intake import EventInput, ingest_event
from pagerline.engine.sources.lookup import SourceInfo, create_source, find_source_by_key
from pagerline.models import (
    ContactKind,
    AlertLogEntry, Device, EscalationPolicy, EscalationRule, IntegrationType, Platform, Priority, PushProvider, Role, Team, TokenKind, User,
)


@dataclass(frozen=True)
class Org:
    team_id: int
    alice_id: int
    bob_id: int
    policy_id: int
    api_key: str
    alertmanager_key: str
    grafana_key: str
    api_source_id: int
    alice_token: str
    bob_token: str


async def seed_org(
    *, level1_timeout: int = 5, level2_timeout: int = 10, repeating: bool = False, frequency: int = 1, team: str = "Ops"
) -> Org:
    now = datetime.now(UTC)
    team_row, _ = await Team.get_or_create(name=team)
    alice = await create_user(f"alice@{team.lower()}.test", "Alice", "alice-password", Role.USER, "UTC", [team])
    bob = await create_user(f"bob@{team.lower()}.test", "Bob", "bob-password", Role.RESPONDER, "UTC", [team])
    for person in (alice, bob):
        await Device.create(
            user=person, platform=Platform.ANDROID, provider=PushProvider.CONSOLE, token=f"console-{person.email}"
        )
    policy = await EscalationPolicy.create(name=f"{team} policy", team=team_row, repeating=repeating, frequency=frequency)
    first = await EscalationRule.create(policy=policy, position=0, timeout_minutes=level1_timeout)
    await first.users.add(alice)
    second = await EscalationRule.create(policy=policy, position=1, timeout_minutes=level2_timeout)
    await second.users.add(bob)
    api, api_key = await create_source(f"{team} API", policy.id, IntegrationType.API, Priority.HIGH, team_row.id)
    _, am_key = await create_source(f"{team} Alertmanager", policy.id, IntegrationType.ALERTMANAGER, Priority.HIGH, team_row.id)
    _, gf_key = await create_source(f"{team} Grafana", policy.id, IntegrationType.GRAFANA, Priority.HIGH, team_row.id)
    _, alice_token = await create_token(alice.id, TokenKind.API, now, "test")
    _, bob_token = await create_token(bob.id, TokenKind.API, now, "test")
    return Org(
        team_id=team_row.id,
        alice_id=alice.id,
        bob_id=bob.id,
        policy_id=policy.id,
        api_key=api_key,
        alertmanager_key=am_key,
        grafana_key=gf_key,
        api_source_id=api.id,
        alice_token=alice_token,
        bob_token=bob_token,
    )


async def verified_phone(user_id: int, number: str = "+15550001") -> None:
    """Give a seeded person a verified phone number, so their SMS and VOICE rules reach them."""
    await verified_contact(user_id, ContactKind.SMS, number)
    await verified_contact(user_id, ContactKind.VOICE, number)


async def verified_contact(user_id: int, kind: ContactKind, value: str) -> None:
    """Give a seeded person a verified contact method (what verifying its code would do)."""
    await add_verified(user_id, kind, value, datetime.now(UTC))


async def api_source(org: Org) -> SourceInfo:
    """The intake's view of the organisation's API source."""
    source = await find_source_by_key(org.api_key)
    assert source is not None
    return source


async def raise_alert(
    integration_key: str, now: datetime, alert_key: str, summary: str, priority: Priority | None = None
) -> int:
    """Send one ALERT event through the intake, as a monitoring tool would, and return the alert's
    id (a new alert, or the open one the event joins)."""
    source = await find_source_by_key(integration_key)
    assert source is not None
    result = await ingest_event(source, EventInput("ALERT", summary=summary, alert_key=alert_key, priority=priority), now)
    assert result.alert_id is not None
    return result.alert_id


async def timeline_texts(alert_id: int, kind: str) -> list[str]:
    """The texts of an alert's timeline entries of one kind, oldest first."""
    rows = AlertLogEntry.filter(alert_id=alert_id, kind=kind).order_by("id").values_list("text", flat=True)
    return list(await rows)
