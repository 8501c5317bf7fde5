"""``/pagerline`` in a chat channel: who is on call, and help.

Answered as the person who asked (found by email like a button press, :mod:`.presses`): they
see the schedules their pagerline account may see, nothing more.
"""

from __future__ import annotations

from datetime import datetime

from pagerline.engine.chat.client import ChatClient
from pagerline.engine.chat.presses import person_for, viewer_for
from pagerline.engine.people.roles import may_see
from pagerline.engine.schedules.oncall import on_call_users
from pagerline.models import Schedule, User

HELP = (
    "`/pagerline oncall` – who is on call now, on every schedule you can see\n"
    "`/pagerline oncall <schedule>` – who is on call on the schedules whose name contains <schedule>\n"
    "`/pagerline alert <summary>` – open an alert: choose the service whose policy is paged\n"
    "`/pagerline help` – this list"
)


async def answer(text: str, chat_user_id: str, client: ChatClient, now: datetime, via: str) -> str:
    """What to show the person who typed ``/pagerline <text>``."""
    words = text.strip().split(maxsplit=1)
    verb = words[0].lower() if words else "help"
    if verb != "oncall":
        return HELP
    user = await person_for(client, chat_user_id)
    if user is None:
        return f"Your {via} account's email is not the email of an active pagerline user, so pagerline cannot answer you."
    return await who_is_on_call(user, words[1] if len(words) > 1 else "", now)


async def who_is_on_call(user: User, name_part: str, now: datetime) -> str:
    viewer = await viewer_for(user)
    wanted = name_part.strip().lower()
    schedules = [
        (schedule_id, name)
        for schedule_id, name, team_id in await Schedule.all().order_by("name", "id").values_list("id", "name", "team_id")
        if may_see(viewer, team_id) and wanted in name.lower()
    ]
    if not schedules:
        return f"No schedule you can see is called “{name_part.strip()}”." if wanted else "You can see no schedules."
    who = await on_call_users([schedule_id for schedule_id, _ in schedules], now)
    names = dict(await User.filter(id__in=[u for u in who.values() if u is not None]).values_list("id", "name"))
    lines = [f"*{name}*: {names.get(who.get(schedule_id) or 0, 'nobody')}" for schedule_id, name in schedules]
    return "On call now:\n" + "\n".join(lines)
