"""The setup check behind ``pagerline doctor`` and the admins' banner, with an explicit ``now``
and seeded schedules: who could be paged in the next 7 days and cannot be reached, and which
channels no transport serves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from pagerline.engine.people.accounts import create_user
from pagerline.engine.delivery.doctor import ChannelState, check_setup
from pagerline.models import (
    Channel,
    ContactKind,
    ContactMethod,
    Device,
    EscalationPolicy,
    EscalationRule,
    NotificationRule,
    Platform,
    Priority,
    PushProvider,
    Role,
    Schedule,
    ScheduleLayer,
    User,
)
from pagerline.push.console import ConsoleTransport
from pagerline.push.registry import Transports, build_transports
from pagerline.settings import Settings
from tests.support.seed import verified_phone

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


async def _person(email: str, name: str, *, phone: bool = False, device: PushProvider | None = None) -> User:
    user = await create_user(email, name, "password-1", Role.USER, "UTC", [])
    if phone:
        await verified_phone(user.id, "+15550100")
    if device is not None:
        await Device.create(user=user, platform=Platform.ANDROID, provider=device, token=f"token-{email}")
    return user


async def _policy(name: str, *levels: list[User]) -> EscalationPolicy:
    policy = await EscalationPolicy.create(name=name)
    for position, users in enumerate(levels):
        rule = await EscalationRule.create(policy=policy, position=position, timeout_minutes=5)
        await rule.users.add(*users)
    return policy


def _stand_ins(tmp_path: Path, *keys: str) -> Transports:
    """Transports for the given keys, and Web Push (which every real build has). The check only
    asks which channels have one, so the console transport stands in for the real providers."""
    return Transports(by_key={key: ConsoleTransport(str(tmp_path / "console.jsonl")) for key in (*keys, "PUSH:WEB_PUSH")})


async def test_a_fresh_install_reports_every_channel_and_the_admin_nobody_can_reach(db: str) -> None:
    admin = await _person("admin@example.com", "Admin")
    await _policy("Default", [admin])

    report = await check_setup(NOW, build_transports(Settings()))

    assert not report.ok
    assert [(c.label, c.state) for c in report.channels] == [
        ("PUSH (FCM)", ChannelState.NOT_CONFIGURED),
        ("PUSH (APNS)", ChannelState.NOT_CONFIGURED),
        ("PUSH (WEB_PUSH)", ChannelState.CONFIGURED),  # its VAPID key is generated: always on
        ("SMS (TWILIO)", ChannelState.NOT_CONFIGURED),
        ("VOICE (TWILIO)", ChannelState.NOT_CONFIGURED),
        ("EMAIL (SMTP)", ChannelState.NOT_CONFIGURED),
        ("NTFY (NTFY)", ChannelState.CONFIGURED),  # ntfy.sh needs no account: on by default
        ("PUSHOVER (PUSHOVER)", ChannelState.NOT_CONFIGURED),  # no problem line: nobody relies on it
        ("TELEGRAM (BOT)", ChannelState.NOT_CONFIGURED),  # optional: off is no problem
    ]
    assert report.people_checked == 1
    [person] = report.unreachable
    assert person.user_id == admin.id
    assert person.priorities == (Priority.HIGH, Priority.LOW)
    assert person.reasons == ("PUSH: no active device", "SMS: no verified phone number", "VOICE: no verified phone number")
    assert report.problems[-1] == (
        "Admin <admin@example.com> cannot be reached for HIGH and LOW alerts (PUSH: no active device; "
        "SMS: no verified phone number; VOICE: no verified phone number); needed by escalation policy \"Default\" level 1"
    )
    assert report.problems[0] == "PUSH (FCM) is not configured: set PAGERLINE_FCM_CREDENTIALS, PAGERLINE_FCM_PROJECT_ID"
    assert len(report.problems) == 6


async def test_people_on_call_within_seven_days_are_checked_and_later_ones_are_not(db: str, tmp_path: Path) -> None:
    ada = await _person("ada@example.com", "Ada", device=PushProvider.FCM)
    ben = await _person("ben@example.com", "Ben", device=PushProvider.APNS)  # APNs is not configured
    cid = await _person("cid@example.com", "Cid")  # unreachable, but first on call in 10 days
    dan = await _person("dan@example.com", "Dan")  # unreachable, but never paged
    eve = await _person("eve@example.com", "Eve", phone=True, device=PushProvider.FCM)
    await Device.filter(user_id=eve.id).update(active=False)  # the provider reported it dead
    await NotificationRule.filter(user_id=eve.id, method__in=[Channel.SMS, Channel.VOICE]).delete()
    # Weekly: Ada until NOW + 3 days, then Ben for a week, then Cid.
    primary = await Schedule.create(name="Primary", timezone="UTC")
    await ScheduleLayer.create(
        schedule=primary, position=0, starts_on=NOW - timedelta(days=4), rotation="P7D", user_ids=[ada.id, ben.id, cid.id]
    )
    policy = await _policy("Ops", [], [eve])
    rule = await EscalationRule.get(policy=policy, position=0)
    await rule.schedules.add(primary)

    report = await check_setup(NOW, _stand_ins(tmp_path, "PUSH:FCM", "SMS", "VOICE"))

    states = {c.label: c.state for c in report.channels}
    assert states == {
        "PUSH (FCM)": ChannelState.CONFIGURED,
        "PUSH (APNS)": ChannelState.NOT_CONFIGURED,
        "PUSH (WEB_PUSH)": ChannelState.CONFIGURED,
        "SMS (TWILIO)": ChannelState.CONFIGURED,
        "VOICE (TWILIO)": ChannelState.CONFIGURED,
        "EMAIL (SMTP)": ChannelState.NOT_CONFIGURED,
        "NTFY (NTFY)": ChannelState.NOT_CONFIGURED,
        "PUSHOVER (PUSHOVER)": ChannelState.NOT_CONFIGURED,
        "TELEGRAM (BOT)": ChannelState.NOT_CONFIGURED,
    }
    assert report.people_checked == 3  # Ada, Ben, Eve
    found = {p.user_id: p for p in report.unreachable}
    assert set(found) == {ben.id, eve.id}
    assert dan.id not in found and cid.id not in found and ada.id not in found
    assert found[ben.id].reasons == (
        "PUSH: channel not configured (devices use APNS)", "SMS: no verified phone number", "VOICE: no verified phone number"
    )
    assert found[ben.id].needed_by == ('on call on "Primary" from 2026-11-29 12:00 UTC',)
    assert found[eve.id].priorities == (Priority.HIGH, Priority.LOW)
    assert found[eve.id].reasons == ("PUSH: no active device",)
    assert found[eve.id].needed_by == ('escalation policy "Ops" level 2',)

    # A week later Ben is on call now and Cid's week starts within the 7 days.
    later = await check_setup(NOW + timedelta(days=7), _stand_ins(tmp_path, "PUSH:FCM", "SMS", "VOICE"))
    later_found = {p.user_id: p for p in later.unreachable}
    assert set(later_found) == {ben.id, cid.id, eve.id}
    assert later_found[ben.id].needed_by == ('on call on "Primary" now',)
    assert later_found[cid.id].needed_by == ('on call on "Primary" from 2026-12-06 12:00 UTC',)


async def test_one_rule_that_delivers_is_enough_and_missing_rules_are_reported(db: str, tmp_path: Path) -> None:
    # Push fails (no device) but the verified phone gets the SMS: reachable for HIGH alerts.
    fay = await _person("fay@example.com", "Fay", phone=True)
    await NotificationRule.filter(user_id=fay.id, priority=Priority.LOW).delete()
    await _policy("Night", [fay])

    report = await check_setup(NOW, _stand_ins(tmp_path, "PUSH:FCM", "PUSH:APNS", "SMS", "VOICE", "EMAIL"))

    assert [c.state for c in report.channels] == [ChannelState.CONFIGURED] * 6 + [ChannelState.NOT_CONFIGURED] * 3
    [person] = report.unreachable
    assert person.priorities == (Priority.LOW,)
    assert person.reasons == ("no notification rules for LOW alerts",)
    await NotificationRule.create(user_id=fay.id, method=Channel.EMAIL, delay_minutes=0, priority=Priority.LOW)
    fixed = await check_setup(NOW, _stand_ins(tmp_path, "PUSH:FCM", "PUSH:APNS", "SMS", "VOICE", "EMAIL"))
    assert fixed.ok and fixed.problems == []


async def test_the_console_transport_serves_every_channel_without_a_warning(db: str, tmp_path: Path) -> None:
    demo = await _person("demo@example.com", "Demo", phone=True, device=PushProvider.CONSOLE)
    await _policy("Demo", [demo])

    report = await check_setup(NOW, Transports(console=ConsoleTransport(str(tmp_path / "console.jsonl"))))

    assert [c.state for c in report.channels] == [ChannelState.CONSOLE] * 9
    assert report.ok and report.unreachable == ()
    # Without the console transport the same CONSOLE device reaches nobody.
    without = await check_setup(NOW, _stand_ins(tmp_path, "PUSH:FCM", "SMS", "VOICE"))
    assert not without.ok  # HIGH alerts still reach the verified phone by SMS and call; LOW ones nobody
    assert without.problems == [
        "PUSH (APNS) is not configured: set PAGERLINE_APNS_KEY_FILE, PAGERLINE_APNS_KEY_ID, PAGERLINE_APNS_TEAM_ID, PAGERLINE_APNS_TOPIC",
        "EMAIL (SMTP) is not configured: set PAGERLINE_SMTP_URL, PAGERLINE_SMTP_FROM",
        "Demo <demo@example.com> cannot be reached for LOW alerts (PUSH: channel not configured (devices use CONSOLE)); "
        "needed by escalation policy \"Demo\" level 1",
    ]


async def test_ntfy_and_pushover_are_listed_and_their_users_checked(db: str, tmp_path: Path) -> None:
    """An app channel nobody relies on is no problem; a responder whose only rule is an app that
    is not configured is unreachable, with the reason."""
    gus = await _person("gus@example.com", "Gus")
    await NotificationRule.filter(user_id=gus.id).delete()
    for priority in (Priority.HIGH, Priority.LOW):
        await NotificationRule.create(user_id=gus.id, method=Channel.PUSHOVER, delay_minutes=0, priority=priority)
    await ContactMethod.create(user=gus, kind=ContactKind.PUSHOVER, value="u" * 30, verified=True, verified_at=NOW)
    await _policy("Apps", [gus])

    without = await check_setup(NOW, build_transports(Settings(ntfy_url="")))
    states = {c.label: c.state for c in without.channels}
    assert (states["NTFY (NTFY)"], states["PUSHOVER (PUSHOVER)"]) == (ChannelState.NOT_CONFIGURED, ChannelState.NOT_CONFIGURED)
    assert not any(p.startswith(("NTFY", "PUSHOVER")) for p in without.problems)
    [person] = without.unreachable
    assert person.reasons == ("PUSHOVER: channel not configured",)

    with_pushover = await check_setup(NOW, build_transports(Settings(pushover_token="a" * 30, secret_key="x")))
    assert {c.label: c.state for c in with_pushover.channels}["PUSHOVER (PUSHOVER)"] is ChannelState.CONFIGURED
    assert with_pushover.unreachable == ()


async def test_telegram_off_is_no_problem_until_someones_rule_uses_it(db: str, tmp_path: Path) -> None:
    gil = await _person("gil@example.com", "Gil", device=PushProvider.FCM)
    await _policy("Chat", [gil])
    everything_but_telegram = _stand_ins(tmp_path, "PUSH:FCM", "PUSH:APNS", "SMS", "VOICE", "EMAIL")
    assert (await check_setup(NOW, everything_but_telegram)).ok

    # Gil pages himself by Telegram only, with a linked chat, while the bot is not configured.
    await NotificationRule.filter(user_id=gil.id).update(method=Channel.TELEGRAM)
    await ContactMethod.create(user_id=gil.id, kind=ContactKind.TELEGRAM, value="4242", verified=True, verified_at=NOW, created_at=NOW)
    report = await check_setup(NOW, everything_but_telegram)
    [person] = report.unreachable
    assert person.reasons == ("TELEGRAM: channel not configured",)
    assert report.problems == [person.warning()]  # the channel itself is no problem of its own
    assert (await check_setup(NOW, _stand_ins(tmp_path, "PUSH:FCM", "PUSH:APNS", "SMS", "VOICE", "EMAIL", "TELEGRAM"))).ok
