"""``actOnChatLink``: what the web app's confirm page (``/chat/act``) calls when the person who
opened a button's link from a Microsoft Teams card presses "Accept", "Resolve" or "Escalate".

The link's signature and expiry are checked (:mod:`pagerline.engine.chat.links`); the action is
done as the signed-in viewer, with their rights. A refused link is FORBIDDEN with
``extensions.reason``: INVALID_SIGNATURE (not pagerline's, or changed) or LINK_EXPIRED, so a
client can tell "ask for a new card" from "someone tampered with this"."""

from __future__ import annotations

from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from pagerline.engine.chat import links as chat_links
from pagerline.engine.core.errors import EngineError, NotFound
from pagerline.graphql.alerts.types import Alert
from pagerline.graphql.core.args import now, parse_id
from pagerline.graphql.core.context import app_state, viewer_of
from pagerline.graphql.core.errors import from_engine, not_found
from pagerline.graphql.core.permissions import require_responder


@strawberry.type
class ChatLinkMutation:
    @strawberry.mutation(description=(
        "Do what a signed chat link says (a Microsoft Teams card's Accept, Resolve or Escalate button), as you: "
        "alert, action, expires and signature are the link's query parameters. FORBIDDEN with extensions.reason "
        "INVALID_SIGNATURE or LINK_EXPIRED when the link is not pagerline's, was changed or has expired; nothing changes then."
    ))
    async def act_on_chat_link(
        self, info: Info, alert: strawberry.ID, action: str,
        # Unix seconds: a Float, as GraphQL's Int is 32 bits and would run out in 2038.
        expires: Annotated[float, strawberry.argument(description="The link's expiry, Unix seconds (a whole number)")],
        signature: str,
    ) -> Alert:
        viewer = require_responder(viewer_of(info))
        alert_id = parse_id(alert, "alert id")
        if not float(expires).is_integer():
            raise GraphQLError("expires is a whole number of Unix seconds", extensions={"code": "BAD_USER_INPUT", "field": "expires"})
        key: bytes = app_state(info).settings.signing_key()
        try:
            row = await chat_links.act_on_link(key, viewer, alert_id, action, int(expires), signature, now())
        except chat_links.ChatLinkRefused as refused:
            raise GraphQLError(refused.message, extensions={"code": refused.code, "reason": refused.reason}) from refused
        except NotFound as missing:
            raise not_found("Alert") from missing
        except EngineError as exc:
            raise from_engine(exc) from exc
        return Alert.of(row)
