"""The web app at ``/`` in a real browser: Debian's chromium, headless, driven by
Playwright, against a real ``pagerline serve`` on the embedded defaults (SQLite, in-process
worker and bus).

- Two people sign in on two browsers; an event posted to /api/events appears on both pages
  within 2 s without a reload (the page is the same document before and after), its markup
  shown as text and never run; Accept on one page shows ACCEPTED on the other; the other opens
  the alert's page (its timeline says who accepted, its notifications the page the console
  transport "sent") and Resolve there removes it from the first page's list.
- The list puts HIGH before LOW; several alerts are accepted at once; a row is worked with the
  keyboard alone (Tab order, Space to select, Enter to accept and to open).
- Sign-in errors, staying signed in across a reload (token in localStorage), logging out (the
  session is revoked on the server), and a stale token sending the user back to the sign-in form.
- The server restarts while a change is made behind the page's back: the page reconnects by
  itself and refetches, so the change shows up without a reload.
- An alert link (``/#/alerts/<id>``, what notifications carry) opens the alert's page, which
  shows its links, labels and details as text, links clickable only for http(s); a comment and
  an escalation show up on its timeline.
- A MANUAL alert action of the alert's source is run from its page and reaches the receiver.
- The built page and its assets: the HTML never cached, hashed assets cached for a year, the
  strict Content-Security-Policy, deep links served the page.
- GraphiQL at ``/graphql`` renders its editor and runs a query with every request to another
  host refused (its assets are packaged, as on a machine without internet).
- On PostgreSQL and Redis, the server's Redis goes away and comes back while the page is open:
  the server closes the page's feed with 1012 and the page reconnects and refetches, so a change
  made while the feed was cut off shows up without a reload.

The browser helpers (launching /usr/bin/chromium, signing in, the app's site) are in
tests/support/browser.py; the ``site`` and ``browser`` fixtures in tests/integration/conftest.py.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

import httpx
import pytest

from pagerline.engine.alerts import transitions as alert_engine
from tests.fakes.webhook import FakeWebhookReceiver
from tests.support.browser import (
    SLOW_MS,
    Site,
    alert_item,
    alert_page,
    needs_chromium,
    needs_web_app,
    open_app,
    outside_playwright,
    shown,
    sign_in,
    start_site,
    submit_sign_in,
    wait_live,
)
from tests.support.databases import TemplateDatabases, pg_base_url
from tests.support.graphql import data, error_code, gql, in_db
from tests.support.live import embedded_env, post_alert, seed_database, warm_up
from tests.support.polling import wait_until
from tests.support.processes import start_server
from tests.support.tcp_proxy import TcpProxy, redis_through

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Route

LIVE_MS = 2000  # the promise: a change is on every open page within 2 s

pytestmark = [needs_chromium, needs_web_app]


def test_an_event_reaches_two_open_apps_live_and_accept_shows_on_the_other(browser: Browser, site: Site) -> None:
    alice = open_app(browser, site)
    sign_in(alice, "alice@ops.test", "alice-password")
    bob = open_app(browser, site)
    sign_in(bob, "bob@ops.test", "bob-password")
    warm_up(site.server.url, site.org, lambda alert_id: shown(alice, alert_id) and shown(bob, alert_id))
    for page in (alice, bob):
        page.evaluate("window.sameDocument = true")  # gone if the page reloads

    summary = '<img src=x onerror="window.injected = 1">Checkout <b>down</b>'
    alert_id = post_alert(site.server.url, site.org, "checkout", summary)
    deadline = time.monotonic() + LIVE_MS / 1000
    for page in (alice, bob):
        remaining_ms = max(1.0, (deadline - time.monotonic()) * 1000)
        page.locator(alert_item(alert_id)).wait_for(timeout=remaining_ms)

    for page in (alice, bob):
        item = page.locator(alert_item(alert_id))
        assert item.locator(".alert-summary").text_content() == summary  # text, not markup
        assert item.locator(".alert-status").text_content() == "PENDING"
        assert item.locator(".alert-source").text_content() == "Ops API"
        assert page.evaluate("window.sameDocument") is True
        assert page.evaluate("window.injected") is None
    alice.get_by_role("button", name=f"Accept alert #{alert_id}: {summary}").click()
    bob.locator(f'{alert_item(alert_id)} .alert-status[data-status="ACCEPTED"]').wait_for(timeout=LIVE_MS)
    assert bob.locator(f"{alert_item(alert_id)} button.accept").count() == 0

    # Bob opens the alert's page from the list, without a reload.
    bob.locator(f"{alert_item(alert_id)} a.alert-summary").click()
    opened = bob.locator(alert_page(alert_id))
    opened.wait_for()
    assert bob.url == f"{site.server.url}/alerts/{alert_id}"
    assert opened.locator(".alert-summary").text_content() == summary
    opened.locator(".timeline li", has_text="Accepted by Alice via app").wait_for()
    # The page to Alice (the console transport stands in for her phone) is among its notifications.
    opened.locator('.notifications li[data-status="SENT"]', has_text="PUSH to Alice").first.wait_for()

    opened.get_by_role("button", name="Resolve").click()
    alice.locator(alert_item(alert_id)).wait_for(state="detached", timeout=LIVE_MS)
    opened.locator('.alert-status[data-status="RESOLVED"]').wait_for()
    status = data(site.server.url, site.org.alice_token, "query($id: ID!) { alert(id: $id) { status } }", id=str(alert_id))
    assert status["alert"]["status"] == "RESOLVED"
    for page in (alice, bob):
        assert page.evaluate("window.sameDocument") is True
        assert page.evaluate("window.injected") is None


def test_high_comes_first_and_several_alerts_are_accepted_at_once(browser: Browser, site: Site) -> None:
    low = post_alert(site.server.url, site.org, "order-low", "Disk at 80%", priority="LOW")
    high = post_alert(site.server.url, site.org, "order-high", "Checkout down", priority="HIGH")
    newer_low = post_alert(site.server.url, site.org, "order-low-2", "Queue backing up", priority="LOW")
    page = open_app(browser, site)
    sign_in(page, "alice@ops.test", "alice-password")
    for alert_id in (low, high, newer_low):
        page.locator(alert_item(alert_id)).wait_for()
    listed = [int(i) for i in page.locator("#alerts > li").evaluate_all("rows => rows.map(r => r.dataset.alertId)")]
    mine = [i for i in listed if i in (low, high, newer_low)]
    assert mine == [high, newer_low, low]  # HIGH first, then the newest

    page.get_by_role("checkbox", name=f"Select alert #{low}: Disk at 80%").check()
    page.get_by_role("checkbox", name=f"Select alert #{newer_low}: Queue backing up").check()
    page.get_by_role("button", name="Accept selected").click()
    for alert_id in (low, newer_low):
        page.locator(f'{alert_item(alert_id)} .alert-status[data-status="ACCEPTED"]').wait_for()
    query = "query($id: ID!) { alert(id: $id) { status } }"
    statuses = [data(site.server.url, site.org.bob_token, query, id=str(i))["alert"]["status"] for i in (low, high, newer_low)]
    assert statuses == ["ACCEPTED", "PENDING", "ACCEPTED"]


def test_a_row_is_worked_with_the_keyboard_alone(browser: Browser, site: Site) -> None:
    """The list's rows are made with the DOM directly (web/src/app/alerts/openAlertRows.ts): their
    controls are still reached in order with Tab and work with Space and Enter."""
    alert_id = post_alert(site.server.url, site.org, "keys-1", "Keyboard <b>only</b>")
    page = open_app(browser, site)
    sign_in(page, "alice@ops.test", "alice-password")
    page.locator(alert_item(alert_id)).wait_for()
    label = f"alert #{alert_id}: Keyboard <b>only</b>"
    select = page.get_by_role("checkbox", name=f"Select {label}")
    select.focus()
    page.keyboard.press("Space")
    page.get_by_role("group", name="Selected alerts").get_by_text("1 selected").wait_for()
    assert select.is_checked()
    page.keyboard.press("Space")
    page.get_by_role("group", name="Selected alerts").wait_for(state="detached")

    focused = "document.activeElement.getAttribute('aria-label') || document.activeElement.textContent"
    order = []
    for _ in range(3):
        page.keyboard.press("Tab")
        order.append(page.evaluate(focused))
    assert order == ["Keyboard <b>only</b>", f"Accept {label}", f"Resolve {label}"]  # the summary's markup is text
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # Accept
    page.locator(f'{alert_item(alert_id)} .alert-status[data-status="ACCEPTED"]').wait_for()
    assert page.get_by_role("button", name=f"Accept {label}").count() == 0
    page.get_by_role("link", name="Keyboard <b>only</b>").focus()
    page.keyboard.press("Enter")
    page.locator(alert_page(alert_id)).wait_for()
    assert urlsplit(page.url).path == f"/alerts/{alert_id}"


def test_sign_in_stays_across_reloads_and_sign_out_forgets_the_token(browser: Browser, site: Site) -> None:
    page = open_app(browser, site)
    submit_sign_in(page, "alice@ops.test", "wrong-password")
    page.locator("#message", has_text="Wrong email or password").wait_for()
    assert page.evaluate("localStorage.getItem('pagerline.token')") is None

    sign_in(page, "alice@ops.test", "alice-password")
    assert page.locator("#user-name").text_content() == "Alice"
    assert "Alice" in (page.locator("#oncall").text_content() or "")  # level 1 of the Ops policy
    page.reload()
    wait_live(page)
    assert page.locator("#user-name").text_content() == "Alice"

    token = page.evaluate("localStorage.getItem('pagerline.token')")
    page.get_by_role("button", name="Log out").click()
    page.get_by_label("Email").wait_for()
    assert page.evaluate("localStorage.getItem('pagerline.token')") is None
    refused = gql(site.server.url, token, "{ me { name } }")
    assert error_code(refused) == "UNAUTHENTICATED"  # revoked, not just forgotten
    assert page.locator("#app-view").is_hidden()

    page.evaluate("localStorage.setItem('pagerline.token', 'pls_revoked_or_made_up')")
    page.reload()
    page.locator("#message", has_text="sign in again").wait_for()
    assert page.get_by_label("Email").is_visible()


def test_the_page_reconnects_by_itself_and_catches_up_on_what_it_missed(
    browser: Browser, templates: TemplateDatabases, tmp_path: Path
) -> None:
    site = start_site(templates, tmp_path)
    try:
        kept = post_alert(site.server.url, site.org, "kept", "Stays open")
        gone = post_alert(site.server.url, site.org, "gone", "Resolved while the page was away")
        page = open_app(browser, site)
        sign_in(page, "bob@ops.test", "bob-password")
        assert shown(page, kept) and shown(page, gone)
        page.evaluate("window.sameDocument = true")

        site.server.stop()
        page.locator('#connection[data-state="reconnecting"]').wait_for()

        async def resolve_behind_its_back() -> None:
            await alert_engine.resolve_alert(gone, site.org.alice_id, datetime.now(UTC), via="test")

        outside_playwright(lambda: in_db(site.url, resolve_behind_its_back))  # no server: no live event
        site.server.start()

        page.locator(alert_item(gone)).wait_for(state="detached")
        page.locator('#connection[data-state="live"]').wait_for()
        assert shown(page, kept)
        assert page.evaluate("window.sameDocument") is True
    finally:
        site.server.stop()


def test_the_widget_coverage_link_opens_a_prefilled_request(browser: Browser, site: Site) -> None:
    """The widget feed's web link (``#/coverage/request?start&end&schedules``) lands on a form
    that asks for coverage of that shift."""
    org = site.org
    day0 = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    made = data(site.server.url, org.alice_token, """mutation($s: DateTime!, $a: ID!, $b: ID!) {
        createSchedule(name: "Widget link", layers: [{startsOn: $s, rotation: "P1D", userIds: [$a, $b]}]) { id } }""",
        s=day0.isoformat(), a=str(org.alice_id), b=str(org.bob_id))["createSchedule"]
    mine = data(site.server.url, org.alice_token, "query($f: DateTime!) { myShifts(from: $f) { start end schedule { id } } }",
                f=datetime.now(UTC).isoformat())["myShifts"]
    shift = next(s for s in mine if s["schedule"]["id"] == made["id"] and datetime.fromisoformat(s["start"]) > datetime.now(UTC))
    link = urlencode({"start": shift["start"], "end": shift["end"], "schedules": made["id"]})  # as the feed writes it
    page = open_app(browser, site, f"/#/coverage/request?{link}")
    sign_in(page, "alice@ops.test", "alice-password", alert_list=False)
    # Alice's time zone is UTC: the inputs show the shift's own date and time.
    page.get_by_label("Until time").and_(page.locator(":not([value=''])")).wait_for()
    assert page.get_by_label("From date").input_value() == shift["start"][:10]
    assert page.get_by_label("From time").input_value() == shift["start"][11:16]
    assert page.get_by_label("Until date").input_value() == shift["end"][:10]
    page.get_by_label("Message").fill("dentist, from the widget")
    page.get_by_role("button", name="Ask for coverage").click()
    page.locator("#coverage-result", has_text="pending").wait_for()
    asked = data(site.server.url, org.bob_token, "{ coverageRequests(status: [PENDING]) { message start } }")["coverageRequests"]
    assert {"message": "dentist, from the widget", "start": shift["start"]} in asked


def test_an_alert_link_opens_its_page_with_links_labels_and_details_as_text(browser: Browser, site: Site) -> None:
    """Links become anchors only for http(s); labels and customDetails are text. A comment and an
    escalation show up on the page's timeline."""
    runbook = "https://runbooks.example/checkout?step=1&who=oncall"
    alert_id = post_alert(
        site.server.url, site.org, "with-links", "Checkout latency",
        links=[{"href": runbook, "text": "Runbook"}, {"href": "javascript:window.injected=2", "text": "<b>click</b>"}],
        images=[{"src": "https://grafana.example/render/p99.png", "alt": "p99"}],
        labels={"service": "checkout", "env": "<i>prod</i>"},
        customDetails={"region": "eu-1", "note": "<script>window.injected=3</script>"},
    )
    page = open_app(browser, site, f"/#/alerts/{alert_id}")  # an alertUrl, as notifications carry it
    sign_in(page, "alice@ops.test", "alice-password", alert_list=False)
    item = page.locator(alert_page(alert_id))
    item.wait_for()
    assert page.url == f"{site.server.url}/alerts/{alert_id}"  # the old hash link became the address
    assert page.title() == f"#{alert_id} Checkout latency · pagerline"

    link = item.get_by_role("link", name="Runbook")
    assert link.get_attribute("href") == runbook
    assert link.get_attribute("rel") == "noopener noreferrer"
    links = item.locator(".alert-links li")
    assert links.all_text_contents() == ["Runbook", "<b>click</b> (javascript:window.injected=2)", "Image: p99"]
    assert item.locator(".alert-links a").count() == 2  # the runbook and the image, not the javascript: one
    assert item.locator(".alert-labels li").all_text_contents() == ["env=<i>prod</i>", "service=checkout"]

    item.locator(".alert-details summary").click()
    details = item.locator(".alert-custom-details").text_content() or ""
    assert '"region": "eu-1"' in details and "<script>window.injected=3</script>" in details
    assert (item.locator(".escalation").text_content() or "").startswith("Level 1 of Ops policy; next escalation")
    assert item.locator(".next-level").text_content() == "Then level 2: Bob"  # who the next escalation pages

    page.get_by_label("Comment").fill("<b>looking</b> at it")
    page.get_by_role("button", name="Add comment").click()
    item.locator(".timeline li", has_text="<b>looking</b> at it").wait_for()
    page.get_by_role("button", name="Escalate").click()
    item.locator(".escalation", has_text="Level 2").wait_for()
    assert page.evaluate("window.injected") is None

    # A reload of the deep link is served the app, which opens the same alert.
    page.reload()
    page.locator(alert_page(alert_id)).wait_for()


def test_the_page_and_its_assets_are_served_with_the_right_headers(site: Site) -> None:
    """The HTML is revalidated every time and forbids inline scripts and styles; the hashed assets
    it names are cached for a year; the app's own addresses are served the same page."""
    base = site.server.url
    page = httpx.get(base + "/")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-cache"
    assert "script-src 'self';" in page.headers["content-security-policy"]
    assert "style-src 'self';" in page.headers["content-security-policy"]
    assets = re.findall(r'(?:src|href)="(/assets/[^"]+)"', page.text)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets), page.text
    assert "<script>" not in page.text and "<style" not in page.text and " style=" not in page.text
    for asset in assets:
        answer = httpx.get(base + asset)
        assert answer.status_code == 200 and answer.headers["cache-control"] == "public, max-age=31536000, immutable", asset
    for deep in ("/alerts/12", "/history?text=disk", "/coverage/request"):
        assert httpx.get(base + deep).text == page.text, deep
    assert httpx.get(base + "/assets/missing.js").status_code == 404
    assert httpx.get(base + "/alerts/not-a-number").status_code == 404


def test_graphiql_renders_its_editor_with_no_network_beyond_the_server(browser: Browser, site: Site) -> None:
    """GraphiQL's page and assets come from the server alone: every other request is refused
    here (as on a machine without internet) and none is even tried."""
    origin = site.server.url
    elsewhere: list[str] = []
    problems: list[str] = []

    context = browser.new_context()

    def only_this_server(route: Route) -> None:
        if route.request.url.startswith(origin + "/"):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_server)
    page = context.new_page()
    page.set_default_timeout(SLOW_MS)
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{origin}/graphql")

    page.locator(".graphiql-query-editor .CodeMirror").wait_for()
    assert "alerts(status: [PENDING, ACCEPTED]" in (page.locator(".graphiql-query-editor").text_content() or "")
    # Running the example without signing in reaches this server's API and shows its answer.
    page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()
    page.locator(".graphiql-response", has_text="UNAUTHENTICATED").wait_for()
    assert elsewhere == []
    assert problems == []
    context.close()


def test_graphiql_subscribes_with_the_token_from_its_headers_tab(browser: Browser, site: Site) -> None:
    """The Authorization header typed into GraphiQL's Headers tab also signs in its WebSocket."""
    context = browser.new_context()
    headers = json.dumps({"Authorization": f"Bearer {site.org.alice_token}"})
    query = "subscription { alertEvents { alert { id summary } } }"
    # What GraphiQL keeps in localStorage for the Headers tab (shouldPersistHeaders) and the editor.
    context.add_init_script(
        f"localStorage.setItem('graphiql:headers', {json.dumps(headers)}); localStorage.setItem('graphiql:query', {json.dumps(query)});"
    )
    page = context.new_page()
    page.set_default_timeout(SLOW_MS)
    page.goto(f"{site.server.url}/graphql")
    page.locator(".graphiql-query-editor .CodeMirror").wait_for()
    page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()

    response = page.locator(".graphiql-response")
    warm_up(site.server.url, site.org, lambda alert_id: f'"id": "{alert_id}"' in (response.text_content() or ""))
    alert_id = post_alert(site.server.url, site.org, "graphiql-live", "Seen in GraphiQL")
    page.locator(".graphiql-response", has_text=f'"id": "{alert_id}"').wait_for(timeout=LIVE_MS)
    assert "Seen in GraphiQL" in (response.text_content() or "")
    context.close()


# Records the close code of every WebSocket the page opens, before the page's own scripts run.
RECORD_CLOSE_CODES = """
window.closeCodes = [];
const PageWebSocket = window.WebSocket;
window.WebSocket = class extends PageWebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener("close", (event) => window.closeCodes.push(event.code));
  }
};
"""


@pytest.mark.postgres
@pytest.mark.redis
def test_the_page_refetches_when_the_server_closes_its_feed_with_1012_after_a_redis_outage(
    browser: Browser, templates: TemplateDatabases, redis_url: str, tmp_path: Path
) -> None:
    if not pg_base_url():
        pytest.skip("needs PostgreSQL: set PAGERLINE_TEST_DATABASE_URL")
    url = outside_playwright(templates.postgres)
    org = outside_playwright(lambda: seed_database(url))
    upstream = urlsplit(redis_url)
    proxy = TcpProxy(upstream.hostname or "127.0.0.1", upstream.port or 6379).start()
    server = start_server(embedded_env(url, tmp_path, PAGERLINE_REDIS_URL=redis_through(proxy, redis_url)), tmp_path)
    try:
        kept = post_alert(server.url, org, "kept", "Stays open")
        gone = post_alert(server.url, org, "gone", "Resolved while the feed was cut off")
        page = browser.new_context().new_page()
        page.set_default_timeout(SLOW_MS)
        page.add_init_script(RECORD_CLOSE_CODES)
        page.goto(server.url + "/")
        sign_in(page, "bob@ops.test", "bob-password")
        assert shown(page, kept) and shown(page, gone)
        page.evaluate("window.sameDocument = true")

        proxy.stop()  # the server's Redis is gone; the page's own connection stays open

        async def resolve_behind_its_back() -> None:
            await alert_engine.resolve_alert(gone, org.alice_id, datetime.now(UTC), via="test")

        outside_playwright(lambda: in_db(url, resolve_behind_its_back))  # no live event reaches the page
        proxy.start()

        page.locator(alert_item(gone)).wait_for(state="detached")
        assert 1012 in page.evaluate("window.closeCodes")
        page.locator('#connection[data-state="live"]').wait_for()
        assert shown(page, kept)
        assert page.evaluate("window.sameDocument") is True
    finally:
        server.stop()
        proxy.close()


def test_an_alert_action_is_run_from_the_alert_page(browser: Browser, site: Site) -> None:
    """A MANUAL action of the alert's source is a button on its page; the worker delivers it."""
    with FakeWebhookReceiver() as receiver:
        created = data(site.server.url, site.org.alice_token, """mutation($id: ID!, $to: String!) {
            createAlertAction(name: "Open ticket", kind: WEBHOOK, url: $to, mode: MANUAL, sourceId: $id) { id secret } }""",
            id=str(site.org.api_source_id), to=f"{receiver.url}/tickets")["createAlertAction"]
        receiver.secret = created["secret"]
        alert_id = post_alert(site.server.url, site.org, "needs-a-ticket", "Needs a ticket")
        page = open_app(browser, site, f"/alerts/{alert_id}")
        sign_in(page, "bob@ops.test", "bob-password", alert_list=False)
        page.get_by_role("button", name="Run Open ticket").click()
        page.get_by_role("status").filter(has_text="Open ticket:").wait_for()
        [call] = wait_until(receiver.delivered, timeout=10, what="the delivery at the receiver")
        assert call.signature_ok and call.json()["alert"]["summary"] == "Needs a ticket"
        data(site.server.url, site.org.alice_token, "mutation($id: ID!) { setAlertActionEnabled(id: $id, enabled: false) { id } }", id=created["id"])


def test_every_open_alert_is_listed_beyond_one_page_of_the_server(browser: Browser, site: Site) -> None:
    # The server answers at most 100 alerts a page; a storm's alerts must all be on the list.
    made = [post_alert(site.server.url, site.org, f"many-{n:03d}", f"Many {n}", priority="LOW") for n in range(101)]
    try:
        page = open_app(browser, site)
        sign_in(page, "alice@ops.test", "alice-password")
        page.locator(alert_item(made[0])).wait_for()  # the oldest LOW alert: last on the list, on the second page
        listed = {int(i) for i in page.locator("#alerts > li").evaluate_all("rows => rows.map(r => r.dataset.alertId)")}
        assert set(made) <= listed
        query = "query($after: String) { alerts(status: [PENDING, ACCEPTED], first: 100, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }"
        open_ids: set[int] = set()
        after = None
        while True:
            answer = data(site.server.url, site.org.alice_token, query, after=after)["alerts"]
            open_ids |= {int(edge["node"]["id"]) for edge in answer["edges"]}
            if not answer["pageInfo"]["hasNextPage"]:
                break
            after = answer["pageInfo"]["endCursor"]
        assert listed == open_ids and len(open_ids) > 100
        page.close()  # before the clean-up events: no request of the page is cut off mid-body
    finally:
        for n in range(len(made)):
            httpx.post(f"{site.server.url}/api/events", json={"integrationKey": site.org.api_key, "eventType": "RESOLVE", "alertKey": f"many-{n:03d}"}, timeout=10)
