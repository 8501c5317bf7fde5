"""``setupWarnings``: the admins' view of ``pagerline doctor`` (who could be paged in the next
7 days and cannot be reached, which channels no transport serves), for the dashboard banner.
The check runs against this server's own transports."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from pagerline import models
from pagerline.engine.delivery import doctor
from pagerline.graphql.core.context import app_state, viewer_of
from pagerline.graphql.core.errors import forbidden
from pagerline.graphql.core.permissions import require_viewer
from pagerline.graphql.core.types import Priority
from pagerline.graphql.people.types import User


@strawberry.enum(description="CONSOLE: only the console transport writes it to the log (demo mode); nobody is woken.")
class ChannelState(Enum):
    CONFIGURED = "CONFIGURED"
    CONSOLE = "CONSOLE"
    NOT_CONFIGURED = "NOT_CONFIGURED"


@strawberry.type
class SetupChannel:
    channel: str
    provider: str
    state: ChannelState
    settings: list[str] = strawberry.field(description="The settings that configure this provider.")


@strawberry.type
class UnreachablePerson:
    user: User
    priorities: list[Priority] = strawberry.field(description="The alert priorities none of their rules can deliver.")
    reasons: list[str]
    needed_by: list[str] = strawberry.field(description="The policy levels and schedules that could page them.")


@strawberry.type
class SetupWarnings:
    ok: bool
    checked_at: datetime
    until: datetime = strawberry.field(description="People on call before this instant were checked.")
    problems: list[str] = strawberry.field(description="One line per problem, as `pagerline doctor` prints them.")
    channels: list[SetupChannel]
    unreachable_people: list[UnreachablePerson]


async def _report(info: Info, now: datetime) -> doctor.SetupReport:
    runtime = getattr(app_state(info), "runtime", None)
    if runtime is not None:
        return await doctor.check_setup(now, runtime.transports)
    # An app served without its lifespan (tests driving it in-process): build them for the check.
    transports, config_error = doctor.transports_of(app_state(info).settings)
    try:
        return await doctor.check_setup(now, transports, config_error)
    finally:
        await transports.close()


@strawberry.type
class SetupQuery:
    @strawberry.field(description="Admins only: who could be paged in the next 7 days and cannot be reached, "
                      "and the channels that are not configured.")
    async def setup_warnings(self, info: Info) -> SetupWarnings:
        viewer = require_viewer(viewer_of(info))
        if not viewer.is_admin:
            raise forbidden("Only admins see the setup warnings")
        report = await _report(info, datetime.now(UTC))
        users = {u.id: u for u in await models.User.filter(id__in=[p.user_id for p in report.unreachable])}
        return SetupWarnings(
            ok=report.ok,
            checked_at=report.checked_at,
            until=report.until,
            problems=report.problems,
            channels=[
                SetupChannel(channel=c.channel.value, provider=c.provider, state=ChannelState(c.state.value), settings=list(c.settings))
                for c in report.channels
            ],
            unreachable_people=[
                UnreachablePerson(
                    user=User.of(users[p.user_id]),
                    priorities=[Priority(x.value) for x in p.priorities],
                    reasons=list(p.reasons),
                    needed_by=list(p.needed_by),
                )
                for p in report.unreachable
                if p.user_id in users
            ],
        )
