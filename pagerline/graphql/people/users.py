"""Users, teams and your notification rules over GraphQL. Admins see every user and team;
everyone else sees their own teams and, of people, themselves and their teammates (see
``engine.people.roles``). Admins create and change users."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry
from strawberry.types import Info

from pagerline import models
from pagerline.engine.notify import rules as notification_rules
from pagerline.engine.people import teams, users
from pagerline.engine.core.errors import EngineError
from pagerline.engine.people.accounts import Viewer
from pagerline.engine.people.roles import visible_people
from pagerline.graphql.people.types import NotificationRule, NotificationRuleInput, Team, Role, User
from pagerline.graphql.core.args import now, parse_id, parse_ids
from pagerline.graphql.core.context import app_state, viewer_of
from pagerline.graphql.core.errors import engine_errors, from_engine, user_error
from pagerline.graphql.core.permissions import require_viewer


T = TypeVar("T")


async def _with_current_password(info: Info, viewer: Viewer, change: Callable[[], Awaitable[T]]) -> T:
    """Run a change that the current password guards: guessing it counts as failed sign-ins of
    the account (the login throttle), so a stolen session cannot try passwords without limit."""
    throttle = app_state(info).login_throttle
    if throttle.wait_time(viewer.user.email) > 0:
        raise user_error("BAD_USER_INPUT", "Too many wrong passwords; try again later")
    try:
        return await change()
    except EngineError as exc:
        if isinstance(exc, users.WrongPassword):
            throttle.take(viewer.user.email)
        raise from_engine(exc) from exc


@strawberry.type
class PeopleQuery:
    @strawberry.field(description="Admins: everyone. Others: themselves and their teammates.")
    async def users(self, info: Info) -> list[User]:
        viewer = require_viewer(viewer_of(info))
        rows = await models.User.filter(visible_people(viewer)).distinct().order_by("name", "id")
        return [User.of(u) for u in rows]

    @strawberry.field(description="Admins: every team. Others: the teams they are in.")
    async def teams(self, info: Info) -> list[Team]:
        viewer = require_viewer(viewer_of(info))
        rows = models.Team.all() if viewer.is_admin else models.Team.filter(id__in=sorted(viewer.team_ids))
        return [Team.of(t) for t in await rows.order_by("name", "id")]


@strawberry.type
class PeopleMutation:
    @strawberry.mutation(description="Admins only. A new user starts with the default notification rules.")
    async def create_user(
        self,
        info: Info,
        email: str,
        name: str,
        role: Role = Role.USER,
        password: str | None = None,
        timezone: str = "UTC",
        team_ids: list[strawberry.ID] | None = None,
    ) -> User:
        viewer = require_viewer(viewer_of(info))
        with engine_errors():
            row = await users.create_user(
                viewer, email, name, models.Role(role.value), password, timezone, parse_ids(team_ids, "team id")
            )
        return User.of(row)

    @strawberry.mutation(description="Admins only. Change what is given.")
    async def update_user(
        self,
        info: Info,
        id: strawberry.ID,
        name: str | None = None,
        email: str | None = None,
        role: Role | None = None,
        timezone: str | None = None,
    ) -> User:
        viewer = require_viewer(viewer_of(info))
        with engine_errors():
            row = await users.update_user(
                viewer, parse_id(id, "user id"), name=name, email=email,
                role=models.Role(role.value) if role else None, timezone=timezone,
            )
        return User.of(row)

    @strawberry.mutation(description="Admins only. Set someone's password (a forgotten one, or an account made without one); their sessions end.")
    async def set_user_password(self, info: Info, user_id: strawberry.ID, password: str) -> bool:
        viewer = require_viewer(viewer_of(info))
        with engine_errors():
            await users.reset_password(viewer, parse_id(user_id, "user id"), password, now())
        return True

    @strawberry.mutation(description="Change your own password; the current one is required. Your other sessions end.")
    async def change_password(self, info: Info, current_password: str, new_password: str) -> bool:
        viewer = require_viewer(viewer_of(info))
        await _with_current_password(info, viewer, lambda: users.change_own_password(viewer, current_password, new_password, now()))
        return True

    @strawberry.mutation(
        description=(
            "Change the email address you sign in with and email pages go to; your current password is required. "
            "BAD_USER_INPUT for an invalid address or a wrong password, CONFLICT when another user has it; "
            "nothing changes then."
        )
    )
    async def change_email(self, info: Info, email: str, current_password: str) -> User:
        viewer = require_viewer(viewer_of(info))
        return User.of(await _with_current_password(info, viewer, lambda: users.change_own_email(viewer, current_password, email)))

    @strawberry.mutation(description="Admins only.")
    async def create_team(self, info: Info, name: str) -> Team:
        viewer = require_viewer(viewer_of(info))
        with engine_errors():
            return Team.of(await teams.create_team(viewer, name))

    @strawberry.mutation(description="Admins only. CONFLICT when another team has the name.")
    async def update_team(self, info: Info, id: strawberry.ID, name: str) -> Team:
        viewer = require_viewer(viewer_of(info))
        with engine_errors():
            return Team.of(await teams.rename_team(viewer, parse_id(id, "team id"), name))

    @strawberry.mutation(description=(
        "Admins only. Refused (CONFLICT, naming them) while alert sources, escalation policies, schedules, "
        "support hours or alert actions belong to the team. Its members stay users, no longer in it."
    ))
    async def delete_team(self, info: Info, id: strawberry.ID) -> bool:
        viewer = require_viewer(viewer_of(info))
        with engine_errors():
            await teams.delete_team(viewer, parse_id(id, "team id"))
        return True

    @strawberry.mutation(description="Admins, and USERs of that team.")
    async def add_team_member(self, info: Info, team_id: strawberry.ID, user_id: strawberry.ID) -> Team:
        viewer = require_viewer(viewer_of(info))
        with engine_errors():
            return Team.of(await teams.add_member(viewer, parse_id(team_id, "team id"), parse_id(user_id, "user id")))

    @strawberry.mutation(description="Admins, and USERs of that team.")
    async def remove_team_member(self, info: Info, team_id: strawberry.ID, user_id: strawberry.ID) -> Team:
        viewer = require_viewer(viewer_of(info))
        with engine_errors():
            return Team.of(await teams.remove_member(viewer, parse_id(team_id, "team id"), parse_id(user_id, "user id")))

    @strawberry.mutation(description="Replace your notification rules (channel, delay 0..120 min, priority) as a whole.")
    async def set_notification_rules(self, info: Info, rules: list[NotificationRuleInput]) -> list[NotificationRule]:
        viewer = require_viewer(viewer_of(info))
        specs = [
            notification_rules.RuleSpec(models.Channel(r.method.value), r.delay_min, models.Priority(r.priority.value))
            for r in rules
        ]
        with engine_errors():
            saved = await notification_rules.set_rules(viewer.user.id, specs)
        return [NotificationRule.of(r) for r in saved]
