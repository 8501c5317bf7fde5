"""Slack's Socket Mode: pagerline opens a WebSocket to Slack, and Slack sends button presses,
slash commands and events down it instead of calling ``/api/slack/…``. For a pagerline that
Slack cannot reach (no public URL, a firewall that lets only outbound traffic through).

Turned on by ``PAGERLINE_SLACK_APP_TOKEN`` (an app-level ``xapp-…`` token with
``connections:write``) beside the bot token. The app token is what authenticates: only Slack
can hand out the WebSocket URL (``apps.connections.open``) it opens, so no signing secret is
involved, and the HTTP routes may stay shut (no signing secret set).

Which processes connect: every process that runs the chat sync loop, i.e. every process that
sweeps (:class:`pagerline.workers.runtime.WorkerRuntime` with ``sweep``): the workers in
production, the server itself when it embeds the worker. Slack spreads envelopes over all of an
app's open connections (at most 10) and sends each to one of them, so every such process holding
one is correct and needs no lease; more of them is redundancy (one restarting loses nothing).
API servers with Redis do not sweep and do not connect, so the count follows the worker
processes: keep those at 10 or fewer, or Slack refuses the eleventh connection.

Each envelope is acknowledged within Slack's 3 seconds (later, Slack shows the person an error):
a press, a shortcut or an event at once, before it is handled. Where Slack reads an
answer in the ack (a slash command's reply, a submitted form's errors), the answer is worked out
first; one not ready within :data:`ACK_BUDGET_SECONDS` is acked bare, and a slash command's
reply then goes to its ``response_url`` (a form's errors have nowhere to go: it closes).
What an envelope means is decided where HTTP requests are decided
(:mod:`pagerline.chat.slack_requests`). A failing envelope is logged and never ends the
connection; dropped connections and Slack's ``disconnect`` (it rotates connections every few
hours) are reconnected by ``slack_sdk``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from pagerline.chat import slack_requests
from pagerline.chat.slack import SlackClient
from pagerline.settings import Settings

log = logging.getLogger(__name__)

ACK_BUDGET_SECONDS = 2.0  # of Slack's 3 s, leaving room for the ack's own trip
DRAIN_SECONDS = 5.0  # at shutdown, for envelopes being handled to finish


class SlackSocket:
    """One Socket Mode connection, started and stopped with the worker runtime."""

    def __init__(self, app_token: str, bot_token: str, api_url: str) -> None:
        self._app_token = app_token
        self._api_url = api_url if api_url.endswith("/") else api_url + "/"
        self._slack = SlackClient(bot_token, api_url)
        self._client: SocketModeClient | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._handling: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        # Built here, not in __init__: the client opens an aiohttp session and starts a task on
        # the running loop as it is made.
        web = AsyncWebClient(token=self._app_token, base_url=self._api_url)
        client = SocketModeClient(app_token=self._app_token, web_client=web, auto_reconnect_enabled=True)
        client.socket_mode_request_listeners.append(self._on_request)  # type: ignore[arg-type]
        self._client = client
        # In the background: connect() retries until Slack answers, and start-up (pages) must
        # not wait for Slack.
        self._connecting = asyncio.create_task(client.connect(), name="pagerline-slack-socket")

    async def stop(self) -> None:
        if self._connecting is not None:
            # First, so no session is opened behind close()'s back.
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._connecting
            self._connecting = None
        if self._client is not None:
            # Closes the WebSocket and the aiohttp session: no new envelopes from here on.
            with contextlib.suppress(Exception):
                await self._client.close()
            self._client = None
        if self._handling:
            # Those already acked finish while the database is still open; Slack will not resend them.
            _, late = await asyncio.wait(self._handling, timeout=DRAIN_SECONDS)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def _on_request(self, client: SocketModeClient, request: SocketModeRequest) -> None:
        # slack_sdk runs each envelope in a task of its own; kept, to let it finish at shutdown.
        task = asyncio.current_task()
        if task is not None:
            self._handling.add(task)
        try:
            await self._handle(client, request)
        except Exception:
            log.warning("Slack Socket Mode: %s envelope %s failed", request.type, request.envelope_id, exc_info=True)
        finally:
            if task is not None:
                self._handling.discard(task)

    async def _handle(self, client: SocketModeClient, request: SocketModeRequest) -> None:
        if not _may_owe_answer(request):
            await _ack(client, request.envelope_id)
            await self._dispatch(request)  # whatever it returns, nobody reads it
            return
        answering = asyncio.ensure_future(self._dispatch(request))
        try:
            done, _ = await asyncio.wait({answering}, timeout=ACK_BUDGET_SECONDS)
            if answering in done and answering.exception() is None:
                await _ack(client, request.envelope_id, answering.result())
                return
            await _ack(client, request.envelope_id)  # late or failed: Slack must hear back anyway
            answer = await answering  # a failure raises here, to be logged
        finally:
            answering.cancel()  # only matters when this task is cancelled (shutdown)
        if answer is not None:
            await _answer_late(request, answer)

    async def _dispatch(self, request: SocketModeRequest) -> dict[str, Any] | None:
        """What the envelope means, decided as for an HTTP request; the answer owed, if any."""
        if request.type == "interactive":
            return await slack_requests.interaction(request.payload, self._slack)
        if request.type == "slash_commands":
            return await slack_requests.command(request.payload, self._slack)
        if request.type == "events_api":
            return await slack_requests.event(request.payload, self._slack)
        return None


def _may_owe_answer(request: SocketModeRequest) -> bool:
    """Whether Slack reads the ack's payload: a slash command's answer, a form's
    ``response_action`` (errors under its fields). Presses, shortcuts and events owe nothing."""
    if request.type == "slash_commands":
        return True
    return request.type == "interactive" and request.payload.get("type") == "view_submission"


async def _answer_late(request: SocketModeRequest, answer: dict[str, Any]) -> None:
    """An answer that missed the ack: a slash command's goes to its ``response_url``; a form's
    has nowhere to go (Slack closed the form on the bare ack)."""
    response_url = request.payload.get("response_url")
    if request.type != "slash_commands" or not isinstance(response_url, str) or not response_url:
        log.warning("Slack Socket Mode: the answer to %s envelope %s came too late to be shown", request.type, request.envelope_id)
        return
    sent = await AsyncWebhookClient(response_url).send_dict(answer)
    if sent.status_code != 200:
        log.warning("Slack Socket Mode: the response_url refused a late answer (HTTP %d)", sent.status_code)


async def _ack(client: SocketModeClient, envelope_id: str, payload: dict[str, Any] | None = None) -> None:
    await client.send_socket_mode_response(SocketModeResponse(envelope_id, payload))


def slack_socket(settings: Settings) -> SlackSocket | None:
    """The connection the settings ask for: both tokens set (the bot token makes the calls a
    press or a command leads to), else none."""
    if not (settings.slack_app_token and settings.slack_bot_token):
        return None
    return SlackSocket(settings.slack_app_token, settings.slack_bot_token, settings.slack_api_url)
