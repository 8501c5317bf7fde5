"""Opening an alert from chat: ``/pagerline alert <summary>`` (Slack and Mattermost) or the
"Open a pagerline alert" shortcut on a Slack message. Both open a form where the person picks
the service (an alert source: its escalation policy is paged, as PagerDuty's Slack app asks for a
service), and checks the summary, details and priority; sending it opens the alert through the
intake, as any event does, and the timeline says who opened it and from where.

The engine decides who may open an alert and on what (:func:`open_form`, :func:`open_alert`);
each platform only draws the form it is given (Slack: a modal, Mattermost: an interactive
dialog) and reads back what was sent.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pagerline.engine.chat.client import ChatClient
from pagerline.engine.chat.forms import PRIORITIES, OpenForm
from pagerline.engine.chat.presses import acting_person, viewer_for
from pagerline.engine.core.errors import BadInput, EngineError
from pagerline.engine.core.timeline import LogKind, add_entry
from pagerline.engine.people.roles import may_see
from pagerline.engine.sources.events import EventInput
from pagerline.engine.sources.intake import ingest_event
from pagerline.engine.sources.lookup import SourceInfo
from pagerline.models import AlertSource, IntegrationType, Priority, User

MAX_CHOICES = 100  # a Slack select shows at most 100 options (Mattermost is offered the same list)




async def sources_for(user: User) -> list[tuple[int, str]]:
    """The alert sources ``user`` may open an alert on: their teams' and the organisation's."""
    viewer = await viewer_for(user)
    rows = await AlertSource.exclude(integration_type=IntegrationType.HEARTBEAT).order_by("name", "id").values_list("id", "name", "team_id")
    return [(source_id, name) for source_id, name, team_id in rows if may_see(viewer, team_id)][:MAX_CHOICES]


async def open_form(chat_user_id: str, client: ChatClient, summary: str, details: str, via: str) -> OpenForm | str:
    """What the form that opens an alert offers this person, or why they cannot open one."""
    user = await acting_person(client, chat_user_id, via)
    if isinstance(user, str):
        return user
    sources = await sources_for(user)
    if not sources:
        return "There is no service you can open an alert on."
    return OpenForm(sources, summary.strip(), details.strip())


async def open_alert(
    chat_user_id: str, client: ChatClient, source_ref: str, summary: str, details: str, priority: str, now: datetime, via: str
) -> tuple[int | None, dict[str, str]]:
    """(the new alert's id, {}) or (None, {form field: why not})."""
    user = await acting_person(client, chat_user_id, via)
    if isinstance(user, str):
        return None, {"summary": user}
    source = await AlertSource.get_or_none(id=int(source_ref)) if source_ref.isdigit() else None
    # What the form offered (sources_for), whatever was sent: a heartbeat is never offered.
    if source is None or source.integration_type == IntegrationType.HEARTBEAT or not may_see(await viewer_for(user), source.team_id):  # type: ignore[attr-defined]
        return None, {"source": "Choose a service you can see in pagerline."}
    if priority not in PRIORITIES:
        return None, {"priority": "Choose HIGH or LOW."}
    event = EventInput(event_type="ALERT", summary=summary.strip(), details=details.strip() or None, alert_key=f"chat-{uuid.uuid4().hex}",
                       priority=Priority(priority), via=via)
    info = SourceInfo(source.id, source.name, source.integration_type, source.escalation_policy_id, source.default_priority,  # type: ignore[attr-defined]
                      source.team_id, source.integration_key_hash)  # type: ignore[attr-defined]
    try:
        result = await ingest_event(info, event, now)
    except BadInput as exc:
        return None, {"summary": exc.message}
    except EngineError as exc:
        return None, {"summary": exc.message}
    if result.alert_id is None:  # dropped: the source is in maintenance, or its filter left it out
        return None, {"source": f"{source.name} did not open an alert ({result.response_code})."}
    await add_entry(result.alert_id, LogKind.EVENT, f"Opened by {user.name} via {via}", now, user.id)
    return result.alert_id, {}
