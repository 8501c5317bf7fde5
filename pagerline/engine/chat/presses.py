"""A button pressed under an alert's chat message: the engine's accept, resolve or escalate, as
the person who pressed it, with that person's rights.

The platform vouches only for who pressed (it signs the request); the person is found by email
(their chat account's address must be their pagerline address), and must be active, allowed to
act (not a stakeholder) and allowed to see the alert, which is looked up afresh: the button's
value is only a hint. Whoever may not act gets a sentence only they see, and nothing changes.
Accepting an accepted alert changes nothing, so two presses, or two people pressing at once,
accept it once.
"""

from __future__ import annotations

from datetime import datetime

from pagerline.engine.alerts import transitions as alert_engine
from typing import Any

from pagerline.engine.chat.client import ChatClient
from pagerline.engine.chat.slack_message import comment_view
from pagerline.engine.core.errors import EngineError
from pagerline.engine.people.accounts import Viewer, user_by_email
from pagerline.engine.people.roles import may_see
from pagerline.engine.core.timeline import LogKind
from pagerline.models import Alert, AlertLogEntry, ChatPlatform, ChatPost, Role, Team, TokenKind, User

ACTIONS = ("accept", "resolve", "escalate")


async def person_for(client: ChatClient, chat_user_id: str) -> User | None:
    """The active pagerline user whose email the chat account shows."""
    email = await client.email_of(chat_user_id)
    if not email:
        return None
    user = await user_by_email(email)
    return user if user is not None and user.active else None


async def viewer_for(user: User) -> Viewer:
    """What ``user`` may see, as a signed-in session of theirs would."""
    team_ids = frozenset(await Team.filter(members__id=user.id).values_list("id", flat=True))
    return Viewer(user=user, token_kind=TokenKind.SESSION, token_id=0, team_ids=team_ids)


async def acting_person(client: ChatClient, chat_user_id: str, via: str) -> User | str:
    """The pagerline user a chat account acts as, or the sentence refusing it."""
    user = await person_for(client, chat_user_id)
    if user is None:
        return f"Your {via} account's email is not the email of an active pagerline user, so pagerline cannot act for you."
    if user.role is Role.STAKEHOLDER:
        return "Stakeholders cannot act on alerts."
    return user


async def comment(
    alert_ref: str, text: str, chat_user_id: str, client: ChatClient, now: datetime, via: str, origin: dict[str, str] | None = None
) -> str | None:
    """Comment on the alert as the person; None when done, else why not (shown to them alone).
    ``origin``: the chat message it was written as, when it was (see :func:`thread_reply`)."""
    user = await acting_person(client, chat_user_id, via)
    if isinstance(user, str):
        return user
    alert = await Alert.get_or_none(id=int(alert_ref)).select_related("source") if alert_ref.isdigit() else None
    if alert is None or not may_see(await viewer_for(user), alert.source.team_id):  # type: ignore[attr-defined]
        return "This alert is not one you can see in pagerline."
    try:
        await alert_engine.comment_alert(alert.id, user.id, text, now, origin=origin)
    except EngineError as exc:
        return exc.message
    return None


async def thread_reply(
    platform: ChatPlatform, target: str, thread_ref: str, message_ref: str, chat_user_id: str, text: str, client: ChatClient, now: datetime, via: str
) -> str | None:
    """A reply written in the thread of an alert's message becomes a comment on the alert, as
    its writer; None when done or when the thread is not an alert's (nothing to say), else why
    not. A platform that delivers the same message twice (Slack retries an event it thinks was
    missed) comments once: the comment keeps the message's reference."""
    post = await ChatPost.filter(channel__platform=platform, channel__target=target, message_ref=thread_ref).first()
    if post is None:
        return None  # a thread of some other message
    origin = {"channel_id": str(post.channel_id), "thread": thread_ref, "message": message_ref}  # type: ignore[attr-defined]
    said = await AlertLogEntry.filter(alert_id=post.alert_id, kind=LogKind.COMMENT).values_list("data", flat=True)  # type: ignore[attr-defined]
    if any(isinstance(d, dict) and d.get("origin") == origin for d in said):
        return None
    return await comment(str(post.alert_id), text, chat_user_id, client, now, via, origin)  # type: ignore[attr-defined]


async def comment_form(alert_ref: str) -> dict[str, Any] | None:
    """The form a Comment button opens (Slack: a modal), or None for no such alert."""
    alert = await Alert.get_or_none(id=int(alert_ref)) if alert_ref.isdigit() else None
    return comment_view(alert) if alert is not None else None


async def press(action: str, alert_ref: str, chat_user_id: str, client: ChatClient, now: datetime, via: str) -> str | None:
    """Act on the alert; None when it was done (the message itself shows it), else the sentence
    to show the presser alone."""
    if action not in ACTIONS or not alert_ref.isdigit():
        return "This button is not one of pagerline's."
    user = await acting_person(client, chat_user_id, via)
    if isinstance(user, str):
        return user
    alert_id = int(alert_ref)
    viewer = await viewer_for(user)
    try:
        if action == "accept":
            await alert_engine.accept_alert(alert_id, user.id, now, via=via, viewer=viewer)
        elif action == "resolve":
            await alert_engine.resolve_alert(alert_id, user.id, now, via=via, viewer=viewer)
        else:
            await alert_engine.escalate_alert(alert_id, user.id, now, via=via, viewer=viewer)
    except EngineError as exc:
        return f"Alert #{alert_id}: {exc.message}."
    return None
