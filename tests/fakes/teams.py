"""A fake Microsoft Teams Workflows webhook: the flow "Post to a channel when a webhook request is
received". ``POST <path>`` with a JSON ``message`` carrying Adaptive Card attachments answers 202
with no body, as the flow does (it never says which message it posted); anything else is 400.
Each path is a channel of its own (:meth:`FakeTeams.webhook_url` makes one), and the cards posted
to it are kept in order (:meth:`FakeTeams.cards`).

Scripted answers win: :meth:`FakeTeams.fail` answers a status (with ``Retry-After`` for 429).

    with FakeTeams() as teams:
        url = teams.webhook_url("ops")
        teams.fail(429, retry_after=3)
        ...
        [card] = teams.cards("ops")
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from tests.fakes import Answer, HttpFake, HttpRequest, HttpResponse

CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


@dataclass
class TeamsPost:
    """One request as the fake got it, and what it answered."""

    path: str
    query: str
    body: Any
    status: int = 0

    @property
    def cards(self) -> list[dict[str, Any]]:
        attachments = self.body.get("attachments", []) if isinstance(self.body, dict) else []
        return [a["content"] for a in attachments if isinstance(a, dict) and a.get("contentType") == CONTENT_TYPE]


class FakeTeams(HttpFake):
    name = "fake-teams"

    def webhook_url(self, channel: str) -> str:
        """A webhook URL shaped like a Workflows one, its signature in the query."""
        return f"{self.url}/workflows/{channel}/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={secrets.token_urlsafe(32)}"

    def fail(self, status: int, *, retry_after: int | None = None, times: int | None = 1) -> None:
        self.script.add(self.script.ANY, Answer(status, {"retry_after": retry_after}, times=times))

    def posts(self, channel: str | None = None) -> list[TeamsPost]:
        """What reached ``channel`` (every channel: None), answered 202 or not."""
        return [p for p in list(self.received) if channel is None or p.path.split("/")[2:3] == [channel]]

    def cards(self, channel: str) -> list[dict[str, Any]]:
        """The cards posted to ``channel`` (answered 202), oldest first."""
        return [card for p in self.posts(channel) if p.status == 202 for card in p.cards]

    async def handle(self, request: HttpRequest) -> HttpResponse:
        try:
            body: Any = json.loads(request.body or b"null")
        except ValueError:
            body = None
        post = TeamsPost(request.path, request.target.partition("?")[2], body)
        self.received.add(post)
        answer = self.script.take(None)
        await self.script.wait(answer)
        if answer is not None:
            retry = (answer.payload or {}).get("retry_after")
            response = HttpResponse(answer.status, {"error": {"code": "Scripted"}}, {"Retry-After": str(retry)} if retry is not None else {})
        elif request.method != "POST" or not request.path.startswith("/workflows/"):
            response = HttpResponse(404, {"error": {"code": "WorkflowNotFound"}})
        elif not isinstance(body, dict) or body.get("type") != "message" or not post.cards:
            response = HttpResponse(400, {"error": {"code": "InvalidTemplate", "message": "attachments must hold an Adaptive Card"}})
        else:
            response = HttpResponse(202, b"")
        post.status = response.status
        return response
