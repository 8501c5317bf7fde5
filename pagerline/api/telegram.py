"""``POST /api/telegram/webhook``: the updates Telegram sends when the bot's webhook is set.

Telegram does not sign updates; it sends back, in ``X-Telegram-Bot-Api-Secret-Token``, the
``secret_token`` given to ``setWebhook``: a secret derived from the server's secret key
(:func:`pagerline.push.telegram.webhook_secret`), compared here in constant time before the body
is read. A request without it, or with another, is a 403 and changes nothing. The update itself
is handled by :mod:`pagerline.engine.delivery.telegram_updates`, as the long poller's are.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pagerline.api.body import read_json_object
from pagerline.api.errors import answering_errors, error_response
from pagerline.engine.delivery.telegram_updates import answer_update
from pagerline.push.telegram import CHANNEL_KEY, webhook_secret

MAX_BODY_BYTES = 256 * 1024  # one update: a message or a button press
SECRET_HEADER = "x-telegram-bot-api-secret-token"


async def webhook(request: Request) -> Response:
    bot = request.app.state.runtime.transports.by_key.get(CHANNEL_KEY)
    if bot is None:
        return error_response(403, "INVALID_SIGNATURE", "Telegram is not configured on this server")
    expected = webhook_secret(request.app.state.settings.signing_key())
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return error_response(403, "INVALID_SIGNATURE", "The request does not carry this bot's webhook secret")
    update = await read_json_object(request, MAX_BODY_BYTES)
    await answer_update(update, datetime.now(UTC), bot)
    # 200 whatever the update meant: anything else makes Telegram send it again.
    return Response(status_code=200)


routes = [Route("/api/telegram/webhook", answering_errors(webhook), methods=["POST"])]
