"""Who could be paged and cannot be reached, and which channels have no transport.

A fresh install can page nobody without a word: a user with no device, no verified contact method and
no configured provider only shows up as "skipped" lines on an alert's timeline. This check
answers ahead of time, for ``pagerline doctor`` and the admins' dashboard banner alike.

"Could be paged" means named in an escalation policy's rule, or on call on a schedule at some
point in ``[now, now + 7 days)``. A person is *unreachable* for a priority when none of their
notification rules for it can deliver: the rule's channel cannot reach them (the same reasons
the planner skips a page for) or no transport serves it ("channel not configured", the reason
delivery fails it for). Whether a channel is configured comes from the process's transports,
so the check says what this process would do, and the console transport counts as serving.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from pagerline.engine.delivery.outbox import NOT_CONFIGURED
from pagerline.engine.notify.planning import Recipient, unreachable_reason
from pagerline.engine.people.contacts import verified_kinds
from pagerline.engine.schedules.oncall import load_schedules
from pagerline.engine.schedules.math import final_shifts
from pagerline.models import Channel, ContactKind, Device, EscalationPolicy, NotificationRule, Priority, PushProvider, User
from pagerline.push.registry import Transports, build_transports
from pagerline.settings import Settings

LOOKAHEAD = timedelta(days=7)


class ChannelState(str, Enum):
    CONFIGURED = "CONFIGURED"  # a real provider sends
    CONSOLE = "CONSOLE"  # only the console transport "sends" (demo mode): nobody is woken
    NOT_CONFIGURED = "NOT_CONFIGURED"  # notifications on it fail with "channel not configured"


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    channel: Channel
    provider: str
    transport_key: str  # the key in Transports.by_key
    settings: tuple[str, ...]  # what turns the provider on (a hint for the operator)
    # An add-on channel (ntfy, Pushover, Telegram): leaving it off is a choice, not a problem.
    # Anyone whose rule uses it while it is off is still reported, as unreachable ("channel not configured").
    optional: bool = False


CHANNELS: tuple[ChannelSpec, ...] = (
    ChannelSpec(Channel.PUSH, "FCM", "PUSH:FCM", ("PAGERLINE_FCM_CREDENTIALS", "PAGERLINE_FCM_PROJECT_ID")),
    ChannelSpec(
        Channel.PUSH, "APNS", "PUSH:APNS",
        ("PAGERLINE_APNS_KEY_FILE", "PAGERLINE_APNS_KEY_ID", "PAGERLINE_APNS_TEAM_ID", "PAGERLINE_APNS_TOPIC"),
    ),
    # Always configured: its VAPID key is generated and stored when the setting is unset.
    ChannelSpec(Channel.PUSH, "WEB_PUSH", "PUSH:WEB_PUSH", ("PAGERLINE_VAPID_PRIVATE_KEY",)),
    ChannelSpec(
        Channel.SMS, "TWILIO", Channel.SMS.value,
        ("PAGERLINE_TWILIO_ACCOUNT_SID", "PAGERLINE_TWILIO_AUTH_TOKEN", "PAGERLINE_TWILIO_FROM"),
    ),
    ChannelSpec(
        Channel.VOICE, "TWILIO", Channel.VOICE.value,
        ("PAGERLINE_TWILIO_ACCOUNT_SID", "PAGERLINE_TWILIO_AUTH_TOKEN", "PAGERLINE_TWILIO_FROM"),
    ),
    ChannelSpec(Channel.EMAIL, "SMTP", Channel.EMAIL.value, ("PAGERLINE_SMTP_URL", "PAGERLINE_SMTP_FROM")),
    # On unless PAGERLINE_NTFY_URL is set empty (ntfy.sh needs no account).
    ChannelSpec(Channel.NTFY, "NTFY", Channel.NTFY.value, ("PAGERLINE_NTFY_URL",), optional=True),
    ChannelSpec(Channel.PUSHOVER, "PUSHOVER", Channel.PUSHOVER.value, ("PAGERLINE_PUSHOVER_TOKEN",), optional=True),
    ChannelSpec(Channel.TELEGRAM, "BOT", Channel.TELEGRAM.value, ("PAGERLINE_TELEGRAM_BOT_TOKEN",), optional=True),
)


@dataclass(frozen=True, slots=True)
class ChannelStatus:
    channel: Channel
    provider: str
    state: ChannelState
    settings: tuple[str, ...]
    optional: bool = False

    @property
    def label(self) -> str:
        return f"{self.channel.value} ({self.provider})"

    def warning(self) -> str | None:
        if self.state is not ChannelState.NOT_CONFIGURED or self.optional:
            return None
        return f"{self.label} is not configured: set {', '.join(self.settings)}"


@dataclass(frozen=True, slots=True)
class UnreachablePerson:
    user_id: int
    name: str
    email: str
    priorities: tuple[Priority, ...]  # the priorities no rule of theirs can deliver
    reasons: tuple[str, ...]  # "PUSH: no active device", ...
    needed_by: tuple[str, ...]  # 'escalation policy "Ops" level 1', 'on call on "Primary" from ...'

    def warning(self) -> str:
        which = " and ".join(p.value for p in self.priorities)
        return (
            f"{self.name} <{self.email}> cannot be reached for {which} alerts "
            f"({'; '.join(self.reasons)}); needed by {'; '.join(self.needed_by)}"
        )


@dataclass(frozen=True, slots=True)
class SetupReport:
    checked_at: datetime
    until: datetime
    channels: tuple[ChannelStatus, ...]
    people_checked: int
    unreachable: tuple[UnreachablePerson, ...]
    config_error: str | None = None

    @property
    def problems(self) -> list[str]:
        """One line per problem, the same lines the CLI prints and the dashboard shows."""
        lines = [f"provider settings are invalid: {self.config_error}"] if self.config_error else []
        lines += [w for w in (c.warning() for c in self.channels) if w]
        lines += [p.warning() for p in self.unreachable]
        return lines

    @property
    def ok(self) -> bool:
        return not self.problems


def channel_statuses(transports: Transports) -> tuple[ChannelStatus, ...]:
    def state(spec: ChannelSpec) -> ChannelState:
        if spec.transport_key in transports.by_key:
            return ChannelState.CONFIGURED
        return ChannelState.CONSOLE if transports.console is not None else ChannelState.NOT_CONFIGURED

    return tuple(ChannelStatus(s.channel, s.provider, state(s), s.settings, s.optional) for s in CHANNELS)


@dataclass
class _Person:
    user: User
    devices: list[PushProvider] = field(default_factory=list)
    contact_kinds: set[ContactKind] = field(default_factory=set)
    rules: dict[Priority, list[Channel]] = field(default_factory=lambda: defaultdict(list))
    needed_by: list[str] = field(default_factory=list)


def _rule_problem(channel: Channel, person: _Person, transports: Transports) -> str | None:
    """Why a rule on ``channel`` cannot deliver to ``person``, or None when it can."""
    user = person.user
    recipient = Recipient(user.id, user.name, bool(person.devices), frozenset(person.contact_kinds))
    reason = unreachable_reason(channel, recipient)
    if reason is not None:
        return reason
    if channel is Channel.PUSH:
        served = any(transports.for_message(channel, provider.value) for provider in person.devices)
        if not served:
            providers = ", ".join(sorted({p.value for p in person.devices}))
            return f"{NOT_CONFIGURED} (devices use {providers})"
        return None
    return None if transports.for_message(channel) is not None else NOT_CONFIGURED


def _unreachable(person: _Person, transports: Transports) -> UnreachablePerson | None:
    failing: list[Priority] = []
    reasons: list[str] = []
    for priority in (Priority.HIGH, Priority.LOW):
        channels = person.rules.get(priority, [])
        if not channels:
            failing.append(priority)
            reasons.append(f"no notification rules for {priority.value} alerts")
            continue
        problems = [(c, _rule_problem(c, person, transports)) for c in channels]
        if all(problem is not None for _, problem in problems):
            failing.append(priority)
            reasons += [f"{c.value}: {problem}" for c, problem in problems]
    if not failing:
        return None
    user = person.user
    return UnreachablePerson(
        user.id, user.name, user.email, tuple(failing), tuple(dict.fromkeys(reasons)), tuple(person.needed_by)
    )


async def _policy_needs(people: dict[int, list[str]]) -> None:
    policies = await EscalationPolicy.all().order_by("name", "id").prefetch_related("rules__users")
    for policy in policies:
        for rule in sorted(policy.rules, key=lambda r: r.position):  # type: ignore[attr-defined]
            for user in rule.users:
                if not user.active:
                    continue  # deactivated: never paged, so nothing to reach
                people[user.id].append(f'escalation policy "{policy.name}" level {rule.position + 1}')


async def _schedule_needs(people: dict[int, list[str]], now: datetime, until: datetime) -> None:
    schedules = await load_schedules(None, (now, until))
    for loaded in sorted(schedules.values(), key=lambda s: (s.name, s.id)):
        first_shift: dict[int, datetime] = {}
        for shift in final_shifts(loaded.spec, now, until):
            first_shift.setdefault(shift.user_id, shift.start)
        for user_id, start in first_shift.items():
            when = "now" if start <= now else f"from {start.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
            people[user_id].append(f'on call on "{loaded.name}" {when}')


async def check_setup(now: datetime, transports: Transports, config_error: str | None = None) -> SetupReport:
    """Everyone who could be paged in the next 7 days and cannot be, and every channel without
    a transport. ``config_error``: why the provider settings could not be loaded, if they could not."""
    until = now + LOOKAHEAD
    needs: dict[int, list[str]] = defaultdict(list)
    await _policy_needs(needs)
    await _schedule_needs(needs, now, until)
    people = await _people(await User.filter(id__in=list(needs)).order_by("name", "id"), needs)
    unreachable = [found for person in people.values() if (found := _unreachable(person, transports)) is not None]
    return SetupReport(now, until, channel_statuses(transports), len(people), tuple(unreachable), config_error)


async def _people(users: list[User], needs: dict[int, list[str]]) -> dict[int, _Person]:
    """Each user with what decides whether a page reaches them (devices, verified contact
    methods, notification rules), in three queries however many users."""
    people = {u.id: _Person(u, needed_by=needs.get(u.id, [])) for u in users}
    for user_id, provider in await Device.filter(user_id__in=list(people), active=True).values_list("user_id", "provider"):
        people[user_id].devices.append(PushProvider(provider))
    for user_id, kinds in (await verified_kinds(list(people))).items():
        people[user_id].contact_kinds = kinds
    rules = await NotificationRule.filter(user_id__in=list(people)).order_by("delay_minutes", "id").values_list(
        "user_id", "priority", "method"
    )
    for user_id, priority, method in rules:
        people[user_id].rules[Priority(priority)].append(Channel(method))
    return people


async def reachable(user_ids: list[int], transports: Transports) -> dict[int, bool]:
    """User id → whether a page of every priority can reach them: the rule the check above
    applies to the people it finds on call, for anyone (the console's list of people flags
    each one). Users that do not exist are left out."""
    people = await _people(list(await User.filter(id__in=user_ids)), {})
    return {user_id: _unreachable(person, transports) is None for user_id, person in people.items()}


def transports_of(settings: Settings) -> tuple[Transports, str | None]:
    """The transports this process would deliver with, or none and the reason they would not load
    (a partly configured provider: the server refuses to start the same way)."""
    try:
        return build_transports(settings), None
    except (ValueError, OSError) as exc:
        return Transports(), str(exc)


def report_json(report: SetupReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "checkedAt": report.checked_at.isoformat(),
        "until": report.until.isoformat(),
        "problems": report.problems,
        "channels": [
            {
                "channel": c.channel.value, "provider": c.provider, "state": c.state.value, "settings": list(c.settings),
                "optional": c.optional,
            }
            for c in report.channels
        ],
        "peopleChecked": report.people_checked,
        "unreachable": [
            {
                "userId": p.user_id, "name": p.name, "email": p.email, "priorities": [x.value for x in p.priorities],
                "reasons": list(p.reasons), "neededBy": list(p.needed_by),
            }
            for p in report.unreachable
        ],
        "configError": report.config_error,
    }
