"""docs/mobile.md's JSON examples are real: this test drives the engine, the GraphQL API and
``/api/actions`` in-process, delivers through the real FCM and APNs transports to the fake
providers (which capture what arrives on the wire), and compares each example with the block
between ``<!-- example:NAME -->`` and ``<!-- /example -->``. It fails when the document differs;
``PAGERLINE_WRITE_DOCS=1`` writes the blocks instead (after a deliberate payload change).

Values that change on every run (secrets, action tokens, apns-id, expiry instants) are shown
as ``<...>`` placeholders; everything else is byte for byte what was sent.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from google.auth.credentials import AnonymousCredentials

from pagerline.app import create_app
from pagerline.engine.delivery import action_tokens as actions
from pagerline.engine.people.accounts import create_user
from pagerline.engine.alerts.transitions import accept_alert
from pagerline.engine.delivery.outbox import DeliveryContext, DeliveryPolicy
from pagerline.engine.schedules.oncall_changes import announce_oncall_changes
from pagerline.engine.schedules.editing import create_override
from pagerline.engine.sources.lookup import create_source
from pagerline.engine.sweeper import sweep_once
from pagerline.models import EscalationPolicy, EscalationRule, Priority, Role, Schedule, ScheduleLayer, Team, User
from pagerline.push.apns import ApnsTransport
from pagerline.push.fcm import FcmTransport
from pagerline.engine.people.web_push import vapid_private_key
from pagerline.push.registry import Transports
from pagerline.push.web_push import WebPushTransport
from pagerline.settings import Settings
from pagerline.widgets.feed import build_feed, document
from tests.conftest import _engine_db
from tests.fakes.apns import ApnsAccount, FakeApns
from tests.fakes.fcm import FakeFcm
from tests.fakes.webpush import BrowserSubscription, FakeWebPush
from tests.support.databases import TemplateDatabases
from tests.support.seed import raise_alert

DOC = Path(__file__).resolve().parents[2] / "docs" / "mobile.md"
WRITE_ENV = "PAGERLINE_WRITE_DOCS"
PUBLIC_URL = "https://pagerline.example.com"
SECRET = "docs-secret-key"
PROJECT = "pagerline-example"
ANDROID, IOS_FCM, IOS_APNS = "fcm-registration-token-of-android-phone", "fcm-registration-token-of-iphone", "a1b2c3d4" * 8
T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # Ada's on-call day starts
EXAMPLE = re.compile(r"(<!-- example:(?P<name>[a-z0-9-]+) -->\n)(?P<body>.*?)(<!-- /example -->)", re.S)


def block(value: Any) -> str:
    return "```json\n" + json.dumps(value, indent=2, ensure_ascii=False) + "\n```\n"


def placeholders(value: Any, keys: dict[str, str]) -> Any:
    """``value`` with the values of ``keys`` (at any depth) replaced by their placeholder."""
    if isinstance(value, dict):
        return {k: keys[k] if k in keys and value[k] is not None else placeholders(v, keys) for k, v in value.items()}
    if isinstance(value, list):
        return [placeholders(v, keys) for v in value]
    return value


VOLATILE_PUSH = {"action_token": "<action token>", "apns-expiration": "<Unix time when it expires>", "apns-id": "<uuid>"}


@pytest.fixture(scope="module")
def fcm() -> Iterator[FakeFcm]:
    with FakeFcm(project_id=PROJECT) as server:
        yield server


@pytest.fixture(scope="module")
def apns() -> Iterator[FakeApns]:
    with FakeApns.for_account(ApnsAccount.new()) as server:
        yield server


@pytest.fixture(scope="module")
def webpush() -> Iterator[FakeWebPush]:
    with FakeWebPush() as server:
        yield server


@pytest.fixture
def sqlite_url(templates: TemplateDatabases, tmp_path: Path) -> str:
    """Always SQLite: the examples must not depend on the backend."""
    return templates.sqlite(tmp_path)


@pytest.fixture
async def sqlite_db(sqlite_url: str) -> AsyncIterator[str]:
    async for url in _engine_db(sqlite_url):
        yield url


class Recorder:
    """Collects examples and reads what the fakes received since the last look."""

    def __init__(self, fcm: FakeFcm, apns: FakeApns) -> None:
        self.fcm, self.apns = fcm, apns
        self.examples: dict[str, str] = {}
        self._fcm_seen = 0
        self._apns_seen = 0

    def add(self, name: str, value: Any) -> None:
        self.examples[name] = block(value)

    def new_pushes(self) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        """(FCM body by token, APNs request by token) received since the last call."""
        fcm_new, apns_new = list(self.fcm.received)[self._fcm_seen :], list(self.apns.received)[self._apns_seen :]
        self._fcm_seen += len(fcm_new)
        self._apns_seen += len(apns_new)
        by_fcm = {r.token: placeholders(r.body, VOLATILE_PUSH) for r in fcm_new}
        by_apns = {
            r.token: placeholders(
                {
                    "path": r.headers[":path"],
                    "headers": {k: v for k, v in sorted(r.headers.items()) if k.startswith("apns-")},
                    "payload": r.payload,
                },
                VOLATILE_PUSH,
            )
            for r in apns_new
        }
        assert len(by_fcm) == len(fcm_new) and len(by_apns) == len(apns_new), "one push per device per step"
        return by_fcm, by_apns

    def web_push(self, name: str, service: FakeWebPush, browser: BrowserSubscription) -> None:
        """The last push the browser got: its headers and the payload its service worker reads."""
        push = service.for_browser(browser)[-1]
        headers = {k: v for k, v in sorted(push.headers.items()) if k in ("content-encoding", "topic", "ttl", "urgency")}
        headers["authorization"] = "vapid t=<JWT: aud, exp, sub>, k=<webPushPublicKey>"
        self.add(name, placeholders({"headers": headers, "payload": browser.decrypt(push)}, VOLATILE_PUSH))

    def pushes(self, prefix: str, *, android: bool = True, ios_fcm: bool = False, apns: bool = True) -> None:
        by_fcm, by_apns = self.new_pushes()
        if android:
            self.add(f"fcm-android-{prefix}", by_fcm[ANDROID])
        if ios_fcm:
            self.add(f"fcm-ios-{prefix}", by_fcm[IOS_FCM])
        if apns:
            self.add(f"apns-{prefix}", by_apns[IOS_APNS])


async def _graphql(client: httpx.AsyncClient, bearer: str | None, query: str, **variables: Any) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return body  # type: ignore[no-any-return]


async def _seed() -> tuple[User, User, Schedule, str]:
    ops = await Team.create(name="Ops")
    ada = await create_user("ada@example.com", "Ada", "ada-password", Role.USER, "Europe/Berlin", ["Ops"])
    ben = await create_user("ben@example.com", "Ben", "ben-password", Role.USER, "Europe/Berlin", ["Ops"])
    primary = await Schedule.create(name="Ops primary", timezone="Europe/Berlin", team=ops)
    # Daily at 10:00 Berlin (09:00 UTC): Ben on the 25th, Ada on the 26th, Ben on the 27th, ...
    await ScheduleLayer.create(schedule=primary, position=0, starts_on=T0 - timedelta(days=1), rotation="P1D", user_ids=[ben.id, ada.id])
    policy = await EscalationPolicy.create(name="Ops", team=ops)
    rule = await EscalationRule.create(policy=policy, position=0, timeout_minutes=15)
    await rule.schedules.add(primary)
    _, key = await create_source("Checkout API", policy.id, team_id=ops.id)
    return ada, ben, primary, key


async def _fire(key: str, summary: str, alert_key: str, priority: Priority, now: datetime) -> int:
    return await raise_alert(key, now, alert_key, summary, priority)


REGISTER = """mutation($platform: Platform!, $provider: PushProvider!, $pushToken: String!, $critical: Boolean!) {
  registerDevice(platform: $platform, provider: $provider, token: $pushToken, appId: "com.example.pagerline",
                 appVersion: "1.4.0", criticalAlerts: $critical, criticalVolume: 0.9, sound: "default") {
    id platform provider appId appVersion criticalAlerts criticalVolume sound active } }"""


async def _auth_flow(client: httpx.AsyncClient, recorder: Recorder) -> None:
    """login → registerDevice (each phone, each provider) → createDeviceToken → createWidgetToken."""
    login = await _graphql(client, None, 'mutation { login(email: "ada@example.com", password: "ada-password") { token user { id name email } } }')
    recorder.add("login", placeholders(login, {"token": "<session token: pls_…>"}))
    session = login["data"]["login"]["token"]
    devices = []
    for platform, provider, token in (("ANDROID", "FCM", ANDROID), ("IOS", "FCM", IOS_FCM), ("IOS", "APNS", IOS_APNS)):
        registered = await _graphql(client, session, REGISTER, platform=platform, provider=provider, pushToken=token, critical=True)
        devices.append(registered)
    recorder.add("register-device", devices[0])
    device_token = await _graphql(
        client, session, "mutation($id: ID!) { createDeviceToken(deviceId: $id) { secret token { id kind name } } }",
        id=devices[0]["data"]["registerDevice"]["id"],
    )
    recorder.add("device-token", placeholders(device_token, {"secret": "<device token: pld_…>"}))
    widget_token = await _graphql(
        client, session, 'mutation { createWidgetToken(name: "Ada\'s home screen") { secret token { id kind name } } }'
    )
    recorder.add("widget-token", placeholders(widget_token, {"secret": "<widget token: plw_…>"}))


REGISTER_WEB = """mutation($s: JSON!) {
  registerWebPushSubscription(subscription: $s) { id platform provider active } }"""


async def _browser_flow(client: httpx.AsyncClient, recorder: Recorder, browser: BrowserSubscription) -> None:
    """webPushPublicKey → (the browser subscribes) → registerWebPushSubscription."""
    session = (await _graphql(client, None, 'mutation { login(email: "ada@example.com", password: "ada-password") { token } }'))["data"]["login"]["token"]
    key = await _graphql(client, session, "{ webPushPublicKey }")
    recorder.add("webpush-public-key", placeholders(key, {"webPushPublicKey": "<base64url, 87 characters: the server's P-256 public key>"}))
    subscription = placeholders(
        browser.json(),
        {"endpoint": "https://fcm.googleapis.com/fcm/send/<subscription id>", "p256dh": "<base64url: the browser's P-256 public key>", "auth": "<base64url: 16 bytes>"},
    )
    recorder.add("webpush-subscription", subscription)
    registered = await _graphql(client, session, REGISTER_WEB, s=browser.json())
    recorder.add("webpush-register", registered)


async def test_every_example_in_the_mobile_guide_is_a_real_payload(
    sqlite_db: str, fcm: FakeFcm, apns: FakeApns, webpush: FakeWebPush, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada, ben, primary, key = await _seed()
    recorder = Recorder(fcm, apns)
    monkeypatch.setenv("SSL_CERT_FILE", webpush.ca_file)  # the Web Push transport trusts the fake's CA
    settings = Settings(secret_key=SECRET, public_url=PUBLIC_URL, webpush_endpoint_allow="127.0.0.1")
    browser = webpush.subscribe()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings)), base_url=PUBLIC_URL) as client:
        await _auth_flow(client, recorder)
        await _browser_flow(client, recorder, browser)

        fcm_transport = FcmTransport(credential=AnonymousCredentials(), project_id=PROJECT, endpoint=fcm.url, timeout=5)
        apns_transport = ApnsTransport(**apns.client_options(), timeout=5)
        async def vapid_key() -> str:
            return await vapid_private_key(None)

        web_transport = WebPushTransport(key_source=vapid_key, subject=PUBLIC_URL, timeout=5)
        ctx = DeliveryContext(
            Transports(by_key={"PUSH:FCM": fcm_transport, "PUSH:APNS": apns_transport, "PUSH:WEB_PUSH": web_transport}),
            DeliveryPolicy(), SECRET.encode(), PUBLIC_URL,
        )
        try:
            now = T0 + timedelta(hours=1)
            high = await _fire(key, "Checkout latency above 2 s", "checkout-latency", Priority.HIGH, now)
            await sweep_once(now, ctx)
            recorder.pushes("critical", ios_fcm=True)
            recorder.web_push("webpush-page", webpush, browser)
            await _fire(key, "Disk 80% on db-2", "disk-db-2", Priority.LOW, now)
            await sweep_once(now, ctx)
            recorder.pushes("normal", ios_fcm=True)
            now += timedelta(minutes=2)
            await accept_alert(high, ada.id, now, via="app")
            await sweep_once(now, ctx)
            recorder.pushes("update")
            recorder.web_push("webpush-update", webpush, browser)

            # Ben takes an hour of Ada's shift: her widget is told to refresh.
            await create_override(ada, primary.id, ben.id, T0 + timedelta(hours=5), T0 + timedelta(hours=6), now=now)
            await sweep_once(now, ctx)
            recorder.pushes("widget-refresh", ios_fcm=True)
            feed = await build_feed(await User.get(id=ada.id), now, public_url=PUBLIC_URL)
            recorder.add("widget-feed", document(feed))

            # Back from Ben's hour: "You are on call now".
            back = T0 + timedelta(hours=6, seconds=1)
            await announce_oncall_changes(back)
            await sweep_once(back, ctx)
            recorder.pushes("oncall")
        finally:
            await ctx.transports.close()

        # Lock-screen action: the app posts the token it got with a page.
        low = await _fire(key, "Queue backlog growing", "queue-backlog", Priority.LOW, datetime.now(UTC))
        token = await actions.issue(SECRET.encode(), low, ada.id, None, datetime.now(UTC))
        request = {"token": token, "action": "accept"}
        recorder.add("action-request", placeholders(request, {"token": "<data.action_token from the page>"}))
        accepted = await client.post("/api/actions", json=request)
        assert accepted.status_code == 200
        recorder.add("action-response", accepted.json())
        replayed = await client.post("/api/actions", json=request)
        assert replayed.status_code == 409
        recorder.add("action-replayed", replayed.json())

    text = DOC.read_text(encoding="utf-8")
    in_doc = {m.group("name") for m in EXAMPLE.finditer(text)}
    assert in_doc == set(recorder.examples), f"markers without an example: {in_doc - set(recorder.examples)}; examples without a marker: {set(recorder.examples) - in_doc}"
    updated = EXAMPLE.sub(lambda m: m.group(1) + recorder.examples[m.group("name")] + m.group(4), text)
    if os.environ.get(WRITE_ENV) == "1":
        DOC.write_text(updated, encoding="utf-8")
        return
    stale = [m.group("name") for m in EXAMPLE.finditer(text) if m.group("body") != recorder.examples[m.group("name")]]
    assert not stale, f"docs/mobile.md examples differ from the real payloads: {stale}; regenerate with {WRITE_ENV}=1"
