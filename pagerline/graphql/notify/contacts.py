"""The viewer's contact methods over GraphQL: add (a code is sent through it), verify, remove,
and a test through one of them. Thin: the engine (:mod:`pagerline.engine.people.contacts`)
decides everything."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from strawberry.types import Info

from pagerline import models
from pagerline.engine.core.errors import EngineError
from pagerline.engine.people import contacts
from pagerline.graphql.core.args import parse_id
from pagerline.graphql.core.context import app_state, viewer_of
from pagerline.graphql.core.errors import from_engine
from pagerline.graphql.core.permissions import require_viewer
from pagerline.graphql.people.types import ContactKind, ContactMethod
from pagerline.push.checks import value_check


def _telegram_link(info: Info, code: str) -> str:
    bot = getattr(app_state(info).settings, "telegram_bot_username", None)
    return f"https://t.me/{bot}?start={code}" if bot else f"/start {code}"


@strawberry.type
class ContactMutation:
    @strawberry.mutation(
        description=(
            "Add a contact method. A code is sent through it (by SMS, a call, email, ntfy or Pushover) for "
            "verifyContactMethod; a Telegram method is linked instead by opening the bot with telegramLink. "
            "Nothing but the code goes to it before it is verified."
        )
    )
    async def add_contact_method(self, info: Info, kind: ContactKind, value: str) -> ContactMethod:
        viewer = require_viewer(viewer_of(info))
        engine_kind = models.ContactKind(kind.value)
        try:
            method, code = await contacts.add_contact_method(
                viewer.user.id, engine_kind, value, datetime.now(UTC), value_check(app_state(info).settings, engine_kind)
            )
        except EngineError as exc:
            raise from_engine(exc) from exc
        return ContactMethod.of(method, _telegram_link(info, code) if code else None)

    @strawberry.mutation(description="Verify a contact method with the code it received.")
    async def verify_contact_method(self, info: Info, id: strawberry.ID, code: str) -> ContactMethod:
        viewer = require_viewer(viewer_of(info))
        try:
            method = await contacts.verify_contact_method(viewer.user.id, parse_id(id, "contact method id"), code, datetime.now(UTC))
        except EngineError as exc:
            raise from_engine(exc) from exc
        return ContactMethod.of(method)

    @strawberry.mutation(description="Remove one of your contact methods; nothing goes to it any more.")
    async def remove_contact_method(self, info: Info, id: strawberry.ID) -> bool:
        viewer = require_viewer(viewer_of(info))
        try:
            await contacts.remove_contact_method(viewer.user.id, parse_id(id, "contact method id"))
        except EngineError as exc:
            raise from_engine(exc) from exc
        return True

    @strawberry.mutation(
        description=(
            "Send a test notification through one verified contact method, by the real delivery path "
            "(muting and storm protection apply as to a page). Returns true once it is queued."
        )
    )
    async def send_test_notification(self, info: Info, contact_method_id: strawberry.ID) -> bool:
        viewer = require_viewer(viewer_of(info))
        try:
            await contacts.send_test_notification(viewer.user.id, parse_id(contact_method_id, "contact method id"), datetime.now(UTC))
        except EngineError as exc:
            raise from_engine(exc) from exc
        return True


@strawberry.type
class ContactQuery:
    @strawberry.field(description="Your contact methods, verified or waiting for their code.")
    async def my_contact_methods(self, info: Info) -> list[ContactMethod]:
        viewer = require_viewer(viewer_of(info))
        rows = await models.ContactMethod.filter(user_id=viewer.user.id).order_by("kind", "id")
        return [ContactMethod.of(row) for row in rows]

    @strawberry.field(description="An unguessable ntfy topic to subscribe to (anyone who knows a topic on a public server can read it).")
    def suggested_ntfy_topic(self, info: Info) -> str:
        require_viewer(viewer_of(info))
        return contacts.suggest_ntfy_topic()
