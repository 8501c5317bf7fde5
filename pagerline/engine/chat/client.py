"""What the chat engine needs of a platform's client, and the failures it tells apart."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from pagerline.engine.chat.card import AlertCard


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """A message as a platform shows it: ``text`` for notifications and screen readers, and the
    platform's own rich layout (Slack: Block Kit ``blocks``)."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


class ChatRateLimited(Exception):
    """The platform asked us to wait ``retry_after`` seconds (Slack's 429 ``Retry-After``)."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited; retry after {retry_after:g} s")
        self.retry_after = retry_after


class ChatFailed(Exception):
    """The platform refused or failed a call; ``retryable`` when trying again may help (5xx,
    network), not when the request itself is wrong (an unknown channel, a missing scope)."""

    def __init__(self, reason: str, retryable: bool) -> None:
        super().__init__(reason)
        self.retryable = retryable


class ChatClient(Protocol):
    """A platform's client: it draws an :class:`~pagerline.engine.chat.card.AlertCard` in the
    platform's own format and sends it."""

    async def post(self, target: str, card: AlertCard) -> str:
        """Post the alert's message to channel ``target``; the new message's reference (Slack: ts)."""
        ...

    async def update(self, target: str, ref: str, card: AlertCard) -> str:
        """Bring message ``ref`` up to date: edited in place where the platform can, else posted
        again. The message's reference afterwards."""
        ...

    async def reply(self, target: str, ref: str, text: str) -> None:
        """Add ``text`` to the thread of message ``ref``."""
        ...

    async def email_of(self, user_id: str) -> str | None:
        """The email address of the platform's user ``user_id`` (None: unknown, or none shown)."""
        ...

    async def user_id_of(self, email: str) -> str | None:
        """The platform's user whose email is ``email`` (None: nobody)."""
        ...

    async def create_channel(self, name: str) -> str:
        """A new channel named ``name`` (or the name with a suffix when taken); its id."""
        ...

    async def invite(self, target: str, user_ids: list[str]) -> None:
        """Add the platform's users ``user_ids`` to channel ``target``."""
        ...
