"""A smoke-test harness in the manner of GoAlert's: one call starts the real app with the provider
fakes, seeds people and a policy, and hands the test verbs to say what happens.

    def test_page_then_accept(open_world: WorldFactory) -> None:
        world = open_world(reach={"bob": "SMS"})
        alert = world.event("checkout")
        push = world.fcm.expect_push(to=world.alice, critical=True)
        push.accept()                                  # from her lock screen
        world.clock.advance(minutes=5)                 # nothing more: she accepted
        world.twilio.expect_nothing(to=world.bob)

The server is the real ``pagerline serve`` process (tests/support/processes.py) on SQLite with the
embedded worker, or on PostgreSQL + Redis with a separate ``pagerline worker`` when the test asks
for that backend and PAGERLINE_TEST_DATABASE_URL / PAGERLINE_TEST_REDIS_URL are set. Its real FCM
and Twilio transports talk to the fakes in tests/fakes/.

Time: the organisation's policy waits minutes between levels. :class:`Clock` never sleeps; it
runs the engine's sweeper (``sweep_once``) from the test process with a later ``now``, with the
same settings (and so the same transports, pointed at the fakes) as the server. Whatever falls
due by then is escalated and delivered by that call, as the server's own sweeper would later.
What that sweep commits is in the database at once; its bus events and queue wake-ups are not
dispatched from the test process (a live subscriber does not hear of the escalation itself). A
test about the worker's own escalation reaching subscribers (test_pipeline_e2e) moves the stored
due times instead and lets the worker sweep.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
import redis

from pagerline.db import close_db, init_db
from pagerline.engine.delivery.outbox import DeliveryContext
from pagerline.engine.sweeper import SweepReport, sweep_once
from pagerline.models import (
    Alert,
    AlertLogEntry,
    AlertStatus,
    Device,
    NotificationRule,
    Platform,
    PushProvider,
    User,
)
from pagerline.push.registry import build_transports
from pagerline.settings import Settings
from pagerline.workers.runtime import delivery_policy
from tests.fakes.fcm import FakeFcm, FcmRequest
from tests.fakes.twilio import FakeTwilio, TwilioRequest
from tests.support.databases import TemplateDatabases, pg_base_url, redis_base_url
from tests.support.graphql import data, fire_ok, in_db
from tests.support.processes import (
    Proc,
    Server,
    base_env,
    start_server,
    start_worker,
    wait_until,
)
from tests.support.seed import Org, seed_org, verified_phone
from tests.support.transports import TWILIO_FROM, start_faked_providers
from tests.support.ws import Subscriber

#: How a seeded person is paged: "PUSH" (an FCM phone with critical alerts), "SMS" or "VOICE".
Reach = str


@dataclass(frozen=True)
class AlertRef:
    """An alert the test caused; :meth:`SmokeWorld.alert` reads its current state."""

    id: int


@dataclass(frozen=True)
class AlertState:
    status: AlertStatus
    next_escalation_at: datetime | None
    timeline: list[str]


@dataclass
class Person:
    """Someone seeded in the world, acting through the public API with their own token."""

    world: SmokeWorld
    name: str
    id: int
    token: str
    phone: str
    push_token: str

    def _mutate(self, mutation: str, alert: AlertRef, **variables: Any) -> dict[str, Any]:
        args = "".join(f", ${k}: String!" for k in variables)
        call = "".join(f", {k}: ${k}" for k in variables)
        query = f"mutation($id: ID!{args}) {{ {mutation}(id: $id{call}) {{ id status }} }}"
        return data(self.world.url, self.token, query, id=str(alert.id), **variables)[mutation]  # type: ignore[no-any-return]

    def accepts(self, alert: AlertRef) -> dict[str, Any]:
        return self._mutate("acceptAlert", alert)

    def resolves(self, alert: AlertRef) -> dict[str, Any]:
        return self._mutate("resolveAlert", alert)

    def escalates(self, alert: AlertRef) -> dict[str, Any]:
        return self._mutate("escalateAlert", alert)

    def comments(self, alert: AlertRef, text: str) -> dict[str, Any]:
        return self._mutate("commentAlert", alert, text=text)

    def subscribes(self, query: str = "subscription { alertEvents { kind alert { id status } } }") -> Subscriber:
        """A live GraphQL subscription in a thread; closed when the world stops."""
        subscriber = Subscriber(self.world.url, self.token, query)
        subscriber.start()
        assert subscriber.ready.wait(10) and subscriber.error is None, subscriber.error
        self.world.closers.append(subscriber.close)
        return subscriber


@dataclass
class Push:
    """A push the fake FCM accepted; :meth:`accept` and :meth:`resolve` are the lock-screen
    buttons (the app posts the push's single-use action token)."""

    world: SmokeWorld
    request: FcmRequest

    @property
    def message(self) -> dict[str, Any]:
        return self.request.message

    @property
    def data(self) -> dict[str, str]:
        return dict(self.message.get("data") or {})

    @property
    def critical(self) -> bool:
        return bool(self.message.get("android", {}).get("notification", {}).get("channel_id") == "pagerline_critical")

    def action(self, action: str, *, token: str | None = None) -> httpx.Response:
        """``token``: post this one instead of the push's (a forgery)."""
        body = {"token": token if token is not None else self.data["action_token"], "action": action}
        return httpx.post(f"{self.world.url}/api/actions", json=body, timeout=10)

    def accept(self) -> httpx.Response:
        response = self.action("accept")
        assert response.status_code == 200, response.text
        return response

    def resolve(self) -> httpx.Response:
        response = self.action("resolve")
        assert response.status_code == 200, response.text
        return response


@dataclass
class Sms:
    """A text the fake Twilio accepted; :meth:`reply` answers it as the person's phone would,
    through a Twilio-signed callback to the server."""

    world: SmokeWorld
    request: TwilioRequest
    to: Person

    @property
    def body(self) -> str:
        return self.request.form["Body"]

    def reply(self, text: str, *, signature: str | None = None) -> httpx.Response:
        """``signature``: send this one instead of Twilio's (a forgery)."""
        params = {"From": self.to.phone, "To": TWILIO_FROM, "Body": text, "MessageSid": f"SMreply{self.request.sid}"}
        return self.world.twilio.fake.callback(f"{self.world.url}/api/twilio/sms", params, signature=signature)


@dataclass
class Call:
    """A voice call the fake Twilio placed; the methods are Twilio fetching the call's TwiML,
    the callee pressing a key, and Twilio reporting how the call ended."""

    world: SmokeWorld
    request: TwilioRequest

    @property
    def twiml_url(self) -> str:
        return self.request.form["Url"]

    def answered(self) -> httpx.Response:
        params = {"CallSid": self.request.sid, "CallStatus": "in-progress", "From": TWILIO_FROM}
        return self.world.twilio.fake.callback(self.twiml_url, params)

    def press(self, digits: str, *, signature: str | None = None) -> httpx.Response:
        gather_url = self.twiml_url.replace("/api/twilio/voice?", "/api/twilio/voice/gather?")
        return self.world.twilio.fake.callback(gather_url, {"CallSid": self.request.sid, "Digits": digits}, signature=signature)

    def ended(self, status: str) -> httpx.Response:
        params = {"CallSid": self.request.sid, "CallStatus": status}
        return self.world.twilio.fake.callback(self.request.form["StatusCallback"], params)


class _Expecting:
    """Waits for the next message to someone, with a deadline; each expectation takes the next
    one (a cursor per recipient), so two ``expect_*`` calls mean two messages."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._taken: dict[str, int] = {}

    def _next(self, key: str, arrived: Any, what: str) -> Any:
        taken = self._taken.get(key, 0)
        found = wait_until(lambda: arrived()[taken:], timeout=self.timeout, what=what)
        self._taken[key] = taken + 1
        return found[0]

    def _none(self, key: str, arrived: Any, what: str) -> None:
        extra = arrived()[self._taken.get(key, 0):]
        assert not extra, f"unexpected {what}: {extra}"


class FcmPhones(_Expecting):
    def __init__(self, world: SmokeWorld, fake: FakeFcm, timeout: float) -> None:
        super().__init__(timeout)
        self.world = world
        self.fake = fake

    def expect_push(self, *, to: Person, critical: bool | None = None, kind: str = "PAGE") -> Push:
        """The next push of ``kind`` (PAGE or UPDATE) to ``to``'s phone."""

        def arrived() -> list[FcmRequest]:
            return [r for r in self.fake.delivered(to.push_token) if r.message.get("data", {}).get("kind") == kind]

        push = Push(self.world, self._next(f"{to.push_token}:{kind}", arrived, f"a {kind} push to {to.name}"))
        if critical is not None:
            assert push.critical is critical, push.message
        return push

    def expect_nothing(self, *, to: Person, kind: str = "PAGE") -> None:
        self._none(
            f"{to.push_token}:{kind}",
            lambda: [r for r in self.fake.delivered(to.push_token) if r.message.get("data", {}).get("kind") == kind],
            f"{kind} push to {to.name}",
        )


class TwilioPhones(_Expecting):
    def __init__(self, world: SmokeWorld, fake: FakeTwilio, timeout: float) -> None:
        super().__init__(timeout)
        self.world = world
        self.fake = fake

    def expect_sms(self, *, to: Person) -> Sms:
        request = self._next(f"sms:{to.phone}", lambda: self.fake.messages_to(to.phone), f"an SMS to {to.name}")
        return Sms(self.world, request, to)

    def expect_call(self, *, to: Person) -> Call:
        return Call(self.world, self._next(f"call:{to.phone}", lambda: self.fake.calls_to(to.phone), f"a call to {to.name}"))

    def expect_nothing(self, *, to: Person) -> None:
        self._none(f"sms:{to.phone}", lambda: self.fake.messages_to(to.phone), f"SMS to {to.name}")


class Clock:
    """Moves the world's time forward by sweeping with a later ``now``; never sleeps."""

    def __init__(self, world: SmokeWorld) -> None:
        self.world = world
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> SweepReport:
        self.offset += timedelta(**delta)
        settings = self.world.settings

        async def sweep() -> SweepReport:
            transports = build_transports(settings)
            ctx = DeliveryContext(transports, delivery_policy(settings), settings.signing_key(), settings.public_url)
            try:
                return await sweep_once(self.now(), ctx)
            finally:
                await transports.close()

        return in_db(self.world.database_url, sweep)


@dataclass
class SmokeWorld:
    server: Server
    database_url: str
    org: Org
    env: dict[str, str]
    fcm_fake: FakeFcm
    twilio_fake: FakeTwilio
    timeout: float = 15.0
    worker: Proc | None = None
    closers: list[Any] = field(default_factory=list)
    people: dict[str, Person] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.fcm = FcmPhones(self, self.fcm_fake, self.timeout)
        self.twilio = TwilioPhones(self, self.twilio_fake, self.timeout)
        self.clock = Clock(self)
        # The same settings as the server's (by environment name), for the clock's sweeps.
        self.settings = Settings(**{k.removeprefix("PAGERLINE_").lower(): v for k, v in base_env(self.env).items() if k.startswith("PAGERLINE_")})

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def alice(self) -> Person:
        return self.people["alice"]

    @property
    def bob(self) -> Person:
        return self.people["bob"]

    def event(self, alert_key: str, summary: str = "Checkout is down", **fields: Any) -> AlertRef:
        """An ALERT event on the organisation's API source."""
        return AlertRef(fire_ok(self.url, self.org.api_key, alert_key, summary, **fields))

    def alert(self, alert: AlertRef) -> AlertState:
        async def read() -> AlertState:
            row = await Alert.get(id=alert.id)
            texts = await AlertLogEntry.filter(alert_id=alert.id).order_by("id").values_list("text", flat=True)
            return AlertState(row.status, row.next_escalation_at, list(texts))

        return in_db(self.database_url, read)


async def _seed(database_url: str, reach: dict[str, Reach], level1_timeout: int, level2_timeout: int) -> tuple[Org, dict[str, tuple[str, str]]]:
    """seed_org's two-level policy (Alice, then Bob), each reached only the way ``reach`` says."""
    await init_db(database_url)
    try:
        org = await seed_org(level1_timeout=level1_timeout, level2_timeout=level2_timeout)
        contacts: dict[str, tuple[str, str]] = {}
        for index, (name, user_id) in enumerate((("alice", org.alice_id), ("bob", org.bob_id))):
            phone, push_token = f"+1555010{index}", f"fcm-token-{name}"
            await Device.filter(user_id=user_id).delete()
            await verified_phone(user_id, phone)
            await NotificationRule.filter(user_id=user_id).delete()
            await Device.create(user_id=user_id, platform=Platform.ANDROID, provider=PushProvider.FCM, token=push_token, critical_alerts=True)
            await NotificationRule.create(user_id=user_id, method=reach.get(name, "PUSH"), delay_minutes=0, priority="HIGH")
            contacts[name] = (phone, push_token)
        return org, contacts
    finally:
        await close_db()


def _production_redis() -> str:
    redis_url = redis_base_url()
    if not (pg_base_url() and redis_url):
        pytest.skip("PostgreSQL + Redis variant: set PAGERLINE_TEST_DATABASE_URL and PAGERLINE_TEST_REDIS_URL")
    client = redis.Redis.from_url(redis_url)
    client.flushdb()  # leftover messages of an earlier test would name another test's rows
    client.close()
    return redis_url


@contextmanager
def smoke_world(
    templates: TemplateDatabases,
    workdir: Path,
    *,
    backend: str = "sqlite",
    reach: dict[str, Reach] | None = None,
    level1_timeout: int = 5,
    level2_timeout: int = 10,
    env: dict[str, str] | None = None,
) -> Iterator[SmokeWorld]:
    """A running world. ``backend="postgres"``: PostgreSQL, Redis and a separate worker (skipped
    unless PAGERLINE_TEST_DATABASE_URL and PAGERLINE_TEST_REDIS_URL are set). ``reach``: how each
    of "alice" and "bob" is paged: "PUSH" (the default), "SMS" or "VOICE". ``env``: more settings
    for the server and worker (e.g. a Web Push allow list naming a fake push service)."""
    redis_url = _production_redis() if backend == "postgres" else None
    database_url = templates.postgres() if backend == "postgres" else templates.sqlite(workdir)
    org, contacts = asyncio.run(_seed(database_url, reach or {}, level1_timeout, level2_timeout))
    fakes = start_faked_providers(database_url, workdir, **({"PAGERLINE_REDIS_URL": redis_url} if redis_url else {}), **(env or {}))
    fcm, twilio, env = fakes.fcm, fakes.twilio, fakes.env
    server = start_server(env, workdir, port=fakes.port)
    worker = start_worker(env, workdir) if redis_url else None
    world = SmokeWorld(server, database_url, org, env, fcm, twilio, worker=worker)
    tokens = {"alice": (org.alice_id, org.alice_token), "bob": (org.bob_id, org.bob_token)}
    for name, (user_id, token) in tokens.items():
        world.people[name] = Person(world, name.title(), user_id, token, *contacts[name])
    try:
        yield world
    finally:
        for close in world.closers:
            close()
        server.stop()
        if worker is not None:
            worker.stop()
        fakes.stop()
    for process in (server, worker):
        if process is not None:
            assert "Traceback" not in process.log(), process.log()


class WorldFactory(Protocol):
    def __call__(self, *, backend: str = "sqlite", reach: dict[str, Reach] | None = None, env: dict[str, str] | None = None) -> SmokeWorld: ...


@contextmanager
def world_factory(templates: TemplateDatabases, workdir: Path) -> Iterator[WorldFactory]:
    """For the ``open_world`` fixture: each call starts a world (in its own folder below
    ``workdir``), all stopped at the end."""
    with ExitStack() as worlds:
        made = 0

        def open_world(*, backend: str = "sqlite", reach: dict[str, Reach] | None = None, env: dict[str, str] | None = None) -> SmokeWorld:
            nonlocal made
            made += 1
            folder = workdir / f"world-{made}"
            folder.mkdir()
            return worlds.enter_context(smoke_world(templates, folder, backend=backend, reach=reach, env=env))

        yield open_world
