"""Reading another service's REST API patiently: one GET, retried when the service asks to wait.

Both readers need the same thing: a rate limit (429) waits what the service asks for, a server
error (5xx, 408) or a dropped connection backs off 0.5, 1, 2 … s, and each is retried a bounded
number of times before the import stops with why. What a refusal means (a wrong key, a list
the account cannot show) is the service's own, so each reader says it through ``refuse``.
The clock's waits are a parameter, so tests need no real waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import httpx

from pagerline.importers.model import ImportSourceError

Params = Sequence[tuple[str, str]]


@dataclass
class PatientGetter:
    """``service``: the name errors use ("PagerDuty"). ``wait_asked``: the seconds a 429 asks
    for (from the service's headers), or None for the usual back-off."""

    service: str
    base_url: str
    wait_asked: Callable[[httpx.Response], float | None]
    describe: Callable[[httpx.Response], str]  # the service's error message, for what is printed
    http: httpx.AsyncClient | None = None
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    attempts: int = 5
    max_wait: float = 60.0
    _owns_http: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.attempts = max(1, self.attempts)
        if self.http is None:
            self.http = httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=10.0))
            self._owns_http = True

    async def close(self) -> None:
        if self._owns_http and self.http is not None:
            await self.http.aclose()

    async def get(
        self,
        path: str,
        params: Params,
        headers: dict[str, str],
        refuse: Callable[[httpx.Response], None],
        unreachable: Callable[[httpx.ConnectError], ImportSourceError | None] = lambda _: None,
    ) -> httpx.Response:
        """The 200 answer to ``GET base_url + path``. ``refuse`` sees every other answer first
        and raises for those that stop the import at once; ``unreachable`` may turn a refused
        connection into an immediate stop (else it is retried like a dropped one)."""
        assert self.http is not None
        why = ""
        for attempt in range(self.attempts):
            try:
                response = await self.http.get(f"{self.base_url}{path}", params=list(params), headers=headers)
            except httpx.TransportError as exc:
                stop = unreachable(exc) if isinstance(exc, httpx.ConnectError) else None
                if stop is not None:
                    raise stop from exc
                why = f"could not reach {self.service} at {self.base_url} for GET {path} ({type(exc).__name__}: {exc})"
                await self._back_off(attempt, None)
                continue
            status = response.status_code
            if status == 200:
                return response
            refuse(response)
            if status == 429:
                why = f"{self.service} kept answering 429 Too Many Requests on GET {path}"
                await self._back_off(attempt, self.wait_asked(response))
            elif status >= 500 or status == 408:
                why = f"{self.service} answered HTTP {status} on GET {path}: {self.describe(response)}"
                await self._back_off(attempt, None)
            else:
                raise ImportSourceError(f"{self.service} answered HTTP {status} on GET {path}: {self.describe(response)}")
        raise ImportSourceError(f"{why}; gave up after {self.attempts} attempts")

    async def _back_off(self, attempt: int, asked: float | None) -> None:
        if attempt + 1 >= self.attempts:
            return  # the last attempt failed: no point waiting before giving up
        wait = asked if asked is not None else 0.5 * 2**attempt
        await self.sleep(min(max(wait, 0.0), self.max_wait))
