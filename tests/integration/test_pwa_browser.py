"""The installable app in a real browser (Debian's chromium, headless, through Playwright)
against a real ``pagerline serve`` whose Web Push goes to a local fake push service.

- The service worker registers and takes control; with the network cut off, a reload still
  opens the app (the worker serves the shell from its cache) and shows the last alert list and
  on-call state, marked stale with their time; with the network back the live list returns
  without a reload.
- "Push on this device" subscribes with the server's key and registers the browser as a device.
  Headless chromium has no push service to subscribe with (its subscribe() fails), so the test
  page's PushManager is replaced, in this test only, by one that hands out a subscription of the
  fake push service: everything else is the real path. The server's encrypted page reaches the
  fake service; the test decrypts it as the browser would and hands the payload to the service
  worker through the DevTools protocol (ServiceWorker.deliverPushMessage). The worker shows it
  with Accept and Resolve (read back through registration.getNotifications(); the context is
  granted the 'notifications' permission). Chromium offers no way to press a notification's
  button from a test, so the test dispatches the same notificationclick event in the worker
  (Playwright's worker.evaluate): the worker posts the action token to /api/actions, the alert is
  ACCEPTED by Alice (GraphQL, timeline) and the notification says so. A plain click brings the
  app to the alert's page. Turning push off removes the device on the server.
- The browser replaces the subscription: the worker's pushsubscriptionchange handler (the event
  dispatched in the worker, as Chromium never fires it itself) subscribes again with the old
  subscription's key and tells the open page, which registers the new endpoint and removes the
  old device; the browser drops it while the app is closed: the next start subscribes again
  and registers. Pages then reach the new subscription.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from pagerline.models import Device, Platform
from tests.fakes.webpush import BrowserSubscription, FakeWebPush
from tests.support.browser import (
    WEB_APP,
    Site,
    alert_item,
    needs_chromium,
    needs_web_app,
    open_app,
    outside_playwright,
    sign_in,
    start_site,
)
from tests.support.databases import TemplateDatabases
from tests.support.graphql import data, in_db
from tests.support.live import post_alert
from tests.support.polling import wait_until
from tests.support.processes import serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, CDPSession, Page, Worker

pytestmark = [needs_chromium, needs_web_app]

WEB_APP_DIR = WEB_APP.parent

NOTIFICATIONS = """async (tag) => {
    const registration = await navigator.serviceWorker.ready;
    return (await registration.getNotifications(tag ? { tag } : {})).map((n) => ({
        title: n.title, body: n.body, tag: n.tag, requireInteraction: n.requireInteraction,
        actions: n.actions.map((a) => a.action), data: n.data,
    }));
}"""

# Test only: a PushManager whose subscription belongs to the fake push service (see above).
FAKE_PUSH_MANAGER = """(subscription) => {
    let current = null;
    PushManager.prototype.subscribe = async function (options) {
        const key = new Uint8Array(options.applicationServerKey);
        window.subscribedWithKey = btoa(String.fromCharCode(...key)).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
        window.userVisibleOnly = options.userVisibleOnly;
        current = {
            endpoint: subscription.endpoint,
            options: { applicationServerKey: key.buffer, userVisibleOnly: true },
            toJSON: () => subscription,
            unsubscribe: async () => { current = null; return true; },
        };
        return current;
    };
    PushManager.prototype.getSubscription = async function () { return current; };
    // The browser replacing the subscription, as a push service rotating it would.
    window.replacePushSubscription = (next) => {
        current = { ...current, endpoint: next.endpoint, toJSON: () => next };
    };
}"""

# Test only, in the worker: its PushManager records what it is asked to subscribe with.
WORKER_SUBSCRIBE_RECORDER = """() => {
    self.subscribedWith = [];
    PushManager.prototype.subscribe = async function (options) {
        self.subscribedWith.push(btoa(String.fromCharCode(...new Uint8Array(options.applicationServerKey)))
            .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, ""));
        return {};
    };
}"""

# What the browser does when the push service replaces a subscription (Chromium never fires it).
SUBSCRIPTION_CHANGE = """async (key) => {
    const bytes = Uint8Array.from(atob(key.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
    const event = new ExtendableEvent("pushsubscriptionchange");
    Object.defineProperty(event, "oldSubscription", { value: { options: { applicationServerKey: bytes.buffer } } });
    Object.defineProperty(event, "newSubscription", { value: null });
    self.dispatchEvent(event);
}"""


@pytest.fixture(scope="module")
def push_service() -> Iterator[FakeWebPush]:
    with FakeWebPush() as fake:
        yield fake


@pytest.fixture(scope="module")
def site(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory, push_service: FakeWebPush) -> Iterator[Site]:
    # The fake's host is the only push service allowed; the server trusts its CA.
    made = start_site(
        templates, tmp_path_factory.mktemp("pwa"), PAGERLINE_WEBPUSH_ENDPOINT_ALLOW="127.0.0.1", SSL_CERT_FILE=push_service.ca_file
    )
    with serving(made.server):
        yield made


@pytest.fixture(autouse=True)
def no_browser_devices(site: Site) -> None:
    """Each test starts without browser devices: one a failed test left must not fail the next."""

    async def remove() -> None:
        await Device.filter(user_id=site.org.alice_id, platform=Platform.WEB).delete()

    outside_playwright(lambda: in_db(site.url, remove))


def controlled(page: Page) -> None:
    """The service worker is installed, active and controls the page."""
    page.wait_for_function("navigator.serviceWorker.controller !== null")


def test_the_built_worker_is_one_classic_script() -> None:
    # Registered as a classic script (every browser supports those): a shared chunk the build
    # split off would leave an `import` in it, and registration would fail.
    worker = (WEB_APP_DIR / "sw.js").read_text()
    assert "import" not in worker.split("(", 1)[0] and not re.search(r"(^|[;}])\s*import\s*[{*\w]", worker)


def test_the_app_opens_offline_and_shows_the_last_list_marked_stale(browser: Browser, site: Site) -> None:
    page = open_app(browser, site)
    sign_in(page, "alice@ops.test", "alice-password")
    controlled(page)
    # Chromium finds the manifest and reads it without complaint. (Its installability check only
    # answers "in-incognito" for Playwright's contexts, so it cannot be asked here.)
    cdp = page.context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"] == f"{site.server.url}/manifest.webmanifest" and manifest["errors"] == [], manifest
    assert json.loads(manifest["data"])["display"] == "standalone"
    cdp.detach()
    alert_id = post_alert(site.server.url, site.org, "pwa-offline", "Disk full on db-1")
    page.locator(alert_item(alert_id)).wait_for()
    # The snapshot is written at most once a second: wait until it holds the alert.
    page.wait_for_function(
        "id => (JSON.parse(localStorage.getItem('pagerline.offline') || '{}').alerts?.value ?? []).some((a) => a.id === id)",
        arg=str(alert_id),
    )
    context = page.context

    context.set_offline(True)
    try:
        # The worker's own requests are cut off too: what the reload gets comes from its cache.
        probe = "fetch('/api/openapi.json', { cache: 'no-store' }).then(() => 'reached', () => 'offline')"
        assert the_worker(context).evaluate(probe) == "offline"
        page.reload()
        stale = page.locator("#stale")
        stale.wait_for()
        assert page.locator(f'#stale-alerts [data-alert-id="{alert_id}"] .alert-summary').text_content() == "Disk full on db-1"
        assert page.locator("#stale-oncall li").count() > 0
        stamps = stale.locator(".stale-at")
        assert stamps.count() == 2 and all(text.startswith("Stale, as of ") for text in stamps.all_text_contents())
        assert stale.locator(".stale-at time").first.get_attribute("datetime")
        assert page.locator("#connection").get_attribute("data-state") == "reconnecting"
        assert page.locator("#alerts").count() == 0  # the live list is not pretending to be live
        assert page.locator("#message").is_hidden()  # no "Failed to fetch" errors on top of it
    finally:
        context.set_offline(False)
    # Back online: the live list replaces the stale view without a reload.
    page.locator(f'.open-alerts[data-ready] {alert_item(alert_id)}').wait_for()
    assert page.locator("#stale").count() == 0

    # Signing out forgets the snapshot: the next person on this browser never sees it.
    page.get_by_role("button", name="Log out").click()
    page.get_by_label("Email").wait_for()
    page.wait_for_function("localStorage.getItem('pagerline.offline') === null")


def worker_registration(cdp: CDPSession, page: Page, scope: str) -> str:
    """The DevTools id of the registration whose scope is ``scope``."""
    found: dict[str, str] = {}

    def updated(event: dict[str, Any]) -> None:
        for registration in event["registrations"]:
            if registration["scopeURL"] == scope and not registration.get("isDeleted"):
                found["id"] = registration["registrationId"]

    cdp.on("ServiceWorker.workerRegistrationUpdated", updated)
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while "id" not in found and time.monotonic() < deadline:
        page.wait_for_timeout(100)  # lets Playwright dispatch the events
    assert "id" in found, f"no service worker registration for {scope}"
    return found["id"]


# Test only, in the worker: counts the push events that reach it.
PUSH_COUNTER = """() => {
    if (self.pushesSeen === undefined) {
        self.pushesSeen = 0;
        self.addEventListener("push", () => { self.pushesSeen += 1; });
    }
    return self.pushesSeen;
}"""


def deliver_push(context: BrowserContext, page: Page, site: Site, payload: dict[str, Any]) -> None:
    """Hands ``payload`` to the service worker as the push service would, through DevTools.

    DevTools answers a delivery before the worker has it, and reports nothing if the worker never
    gets it. CI once saw no notification within 10 s of a single delivery on a loaded machine,
    without telling whether the push or the notification went missing. A real push service keeps
    a message until the browser takes it, so this delivers again (at most three times) until a
    listener of the test's own, beside the app's, has counted a push event; a notification that
    is still missing after that is the app's fault, and the test says so apart."""
    cdp = context.new_cdp_session(page)
    registration_id = worker_registration(cdp, page, site.server.url + "/")
    for _attempt in range(3):
        worker = the_worker(context)
        seen = worker.evaluate(PUSH_COUNTER)
        cdp.send("ServiceWorker.deliverPushMessage", {"origin": site.server.url, "registrationId": registration_id, "data": json.dumps(payload)})
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if the_worker(context).evaluate("self.pushesSeen ?? 0") > seen:
                cdp.detach()
                return
            page.wait_for_timeout(100)
    raise AssertionError("the service worker never received the push (three deliveries through DevTools)")


def the_worker(context: BrowserContext) -> Worker:
    workers = context.service_workers
    return workers[0] if workers else context.wait_for_event("serviceworker")


def devices(site: Site) -> list[dict[str, Any]]:
    return data(site.server.url, site.org.alice_token, "{ myDevices { platform provider active } }")["myDevices"]


def signed_in_with_push(browser: Browser, site: Site, subscription: BrowserSubscription) -> tuple[BrowserContext, Page]:
    """Alice signed in, in a context allowed notifications whose PushManager hands out
    ``subscription``, the service worker in control."""
    context = browser.new_context(permissions=["notifications"])
    context.add_init_script(script=f"({FAKE_PUSH_MANAGER})({json.dumps(subscription.json())})")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(site.server.url + "/")
    sign_in(page, "alice@ops.test", "alice-password")
    controlled(page)
    return context, page


def test_push_subscribes_shows_the_page_and_its_accept_button_accepts(browser: Browser, site: Site, push_service: FakeWebPush) -> None:
    subscription = push_service.subscribe()
    context, page = signed_in_with_push(browser, site, subscription)
    assert [d for d in devices(site) if d["platform"] == "WEB"] == []

    toggle = page.get_by_role("button", name="Push on this device")
    assert toggle.get_attribute("aria-pressed") == "false"
    toggle.click()
    page.locator('#push-state[data-state="on"]').wait_for()
    assert toggle.get_attribute("aria-pressed") == "true"
    key = data(site.server.url, site.org.alice_token, "{ webPushPublicKey }")["webPushPublicKey"]
    assert page.evaluate("[window.subscribedWithKey, window.userVisibleOnly]") == [key, True]
    assert {"platform": "WEB", "provider": "WEB_PUSH", "active": True} in devices(site)

    # A page for Alice: the server encrypts it to the subscription and posts it to the push service.
    alert_id = post_alert(site.server.url, site.org, "pwa-push", "Checkout is down", priority="HIGH")
    # (Other open alerts may page her too: take this alert's page.)
    push = wait_until(
        lambda: next((p for p in push_service.for_browser(subscription) if p.headers.get("topic") == f"alert-{alert_id}"), None),
        timeout=15,
        what="the page at the push service",
    )
    payload = subscription.decrypt(push)
    assert payload["data"]["alert_id"] == str(alert_id) and payload["data"]["action_token"]

    # The push service hands it to the browser: here, the DevTools protocol does.
    deliver_push(context, page, site, payload)
    tag = f"alert-{alert_id}"
    shown = wait_until(lambda: page.evaluate(NOTIFICATIONS, tag), timeout=10, what="the notification")
    [notification] = shown
    assert notification["title"] == payload["title"] and notification["body"] == payload["body"]
    assert notification["actions"] == ["accept", "resolve"]
    assert notification["requireInteraction"] is True  # HIGH
    assert notification["data"]["actionToken"] == payload["data"]["action_token"]

    # Accept, as the notification's button does.
    worker = the_worker(context)
    worker.evaluate(
        """async (tag) => {
            const [notification] = await self.registration.getNotifications({ tag });
            self.dispatchEvent(new NotificationEvent("notificationclick", { notification, action: "accept" }));
        }""",
        tag,
    )
    query = "query($id: ID!) { alert(id: $id) { status acceptedAt logEntries { kind text } } }"
    accepted = wait_until(
        lambda: (a := data(site.server.url, site.org.alice_token, query, id=str(alert_id))["alert"])["status"] == "ACCEPTED" and a,
        timeout=10,
        what="the alert accepted",
    )
    assert accepted["acceptedAt"]
    assert any("Accepted by Alice" in entry["text"] for entry in accepted["logEntries"]), accepted["logEntries"]
    answer = wait_until(lambda: [n for n in page.evaluate(NOTIFICATIONS, tag) if n["title"].startswith("Accepted")], timeout=10, what="the answer")
    assert answer[0]["title"] == f"Accepted #{alert_id}" and answer[0]["actions"] == []

    # A plain tap opens the alert in the app.
    worker.evaluate(
        """async (tag) => {
            const [notification] = await self.registration.getNotifications({ tag });
            self.dispatchEvent(new NotificationEvent("notificationclick", { notification }));
        }""",
        tag,
    )
    page.wait_for_url(f"{site.server.url}/alerts/{alert_id}")
    page.locator(f'article.alert-page[data-alert-id="{alert_id}"]').wait_for()

    # Off again: the device goes on the server.
    page.get_by_role("button", name="Push on this device").click()
    page.locator('#push-state[data-state="off"]').wait_for()
    wait_until(lambda: not [d for d in devices(site) if d["platform"] == "WEB" and d["active"]], timeout=5, what="the device removed")
    context.close()


def web_push_endpoints(site: Site) -> list[str]:
    async def endpoints() -> list[str]:
        return list(await Device.filter(user_id=site.org.alice_id, platform=Platform.WEB, active=True).order_by("id").values_list("token", flat=True))

    return outside_playwright(lambda: in_db(site.url, endpoints))


def test_a_replaced_subscription_is_registered_again(browser: Browser, site: Site, push_service: FakeWebPush) -> None:
    first, second, third = push_service.subscribe(), push_service.subscribe(), push_service.subscribe()
    context, page = signed_in_with_push(browser, site, first)
    page.get_by_role("button", name="Push on this device").click()
    page.locator('#push-state[data-state="on"]').wait_for()
    assert web_push_endpoints(site) == [first.endpoint]
    key = data(site.server.url, site.org.alice_token, "{ webPushPublicKey }")["webPushPublicKey"]

    # The push service rotates the subscription while the app is open.
    page.evaluate("(next) => window.replacePushSubscription(next)", second.json())
    worker = the_worker(context)
    worker.evaluate(WORKER_SUBSCRIBE_RECORDER)
    worker.evaluate(SUBSCRIPTION_CHANGE, key)
    wait_until(lambda: web_push_endpoints(site) == [second.endpoint], timeout=10, what="the new endpoint registered, the old removed")
    assert worker.evaluate("self.subscribedWith") == [key]  # subscribed again with the server's key
    assert page.evaluate("localStorage.getItem('pagerline.push.endpoint')") == second.endpoint

    # Dropped while the app is closed (no worker event reaches an open page): the next start
    # subscribes again with the server's key and registers that.
    context.add_init_script(script=f"({FAKE_PUSH_MANAGER})({json.dumps(third.json())})")
    page.reload()
    wait_until(lambda: web_push_endpoints(site) == [third.endpoint], timeout=15, what="the next start registering again")
    assert page.evaluate("window.subscribedWithKey") == key
    page.locator('#push-state[data-state="on"]').wait_for()

    # Pages reach the subscription the browser has now.
    alert_id = post_alert(site.server.url, site.org, "pwa-rotated", "Cache hit rate low", priority="HIGH")
    wait_until(
        lambda: any(p.headers.get("topic") == f"alert-{alert_id}" for p in push_service.for_browser(third)),
        timeout=15,
        what="the page at the new subscription",
    )
    page.get_by_role("button", name="Push on this device").click()
    page.locator('#push-state[data-state="off"]').wait_for()
    assert page.evaluate("localStorage.getItem('pagerline.push.endpoint')") is None
    context.close()
