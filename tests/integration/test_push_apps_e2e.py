"""ntfy and Pushover end to end, through the real server (SQLite with the embedded worker;
PostgreSQL with Redis and a separate worker) and the real transports talking to the fake ntfy
server and the fake Pushover API.

Alice has a verified NTFY or PUSHOVER contact method and a HIGH rule of that method. An event
pages her: ntfy gets priority 5 with Accept and Resolve buttons, Pushover an emergency message
with a callback. Pressing Accept in the ntfy app, or acknowledging in Pushover, accepts the alert
exactly once and the timeline says so; accepting in GraphQL instead cancels the Pushover receipt
so her phone stops repeating the page. Adding the methods checks a Pushover key with Pushover and
verifies each method by a code sent through it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest

from pagerline.models import AlertStatus, ContactKind
from tests.fakes import wait_until
from tests.fakes.ntfy import FakeNtfy, NtfyMessage
from tests.fakes.pushover import FakePushover, PushoverRequest
from tests.support.graphql import error_code, gql, in_db
from tests.support.seed import verified_contact
from tests.support.world import AlertRef, SmokeWorld, WorldFactory

APP = "b" * 30
TOPIC = "alice-pager-4k9x2m7q"
CODE = re.compile(r"\b(\d{6})\b")


@pytest.fixture
def ntfy() -> Iterator[FakeNtfy]:
    with FakeNtfy() as fake:
        yield fake


@pytest.fixture
def pushover() -> Iterator[FakePushover]:
    with FakePushover(app_token=APP) as fake:
        yield fake


def apps_world(open_world: WorldFactory, backend: str, ntfy: FakeNtfy, pushover: FakePushover, kind: ContactKind, value: str) -> SmokeWorld:
    env = {"PAGERLINE_NTFY_URL": ntfy.url, "PAGERLINE_PUSHOVER_TOKEN": APP, "PAGERLINE_PUSHOVER_BASE_URL": pushover.url}
    world = open_world(backend=backend, reach={"alice": kind.value}, env=env)

    in_db(world.database_url, lambda: verified_contact(world.alice.id, kind, value))
    return world


def ntfy_page(ntfy: FakeNtfy) -> NtfyMessage:
    [page] = wait_until(lambda: ntfy.published(TOPIC), timeout=15, what="the page at the fake ntfy")
    return page  # type: ignore[no-any-return]


def pushover_page(pushover: FakePushover, user: str) -> PushoverRequest:
    found = wait_until(lambda: [r for r in pushover.messages_to(user) if r.status == 200], timeout=15, what="the page at the fake Pushover")
    [page] = found
    return page  # type: ignore[no-any-return]


def accepted_once(world: SmokeWorld, alert: AlertRef, first: httpx.Response, again: httpx.Response, via: str) -> None:
    """The first press accepted the alert as Alice, the second (the same token) did nothing."""
    assert (first.status_code, first.json()) == (200, {"alertId": str(alert.id), "status": "ACCEPTED"})
    assert (again.status_code, again.json()["code"]) == (409, "ACTION_TOKEN_USED")
    state = world.alert(alert)
    assert state.status is AlertStatus.ACCEPTED and state.next_escalation_at is None  # the escalation stopped
    assert [line for line in state.timeline if line.startswith("Accepted by")] == [f"Accepted by Alice via {via}"]


def test_ntfy_page_has_priority_5_and_buttons_and_accept_accepts_once(
    open_world: WorldFactory, backend: str, ntfy: FakeNtfy, pushover: FakePushover
) -> None:
    world = apps_world(open_world, backend, ntfy, pushover, ContactKind.NTFY, TOPIC)
    alert = world.event("checkout", "Checkout is down")

    page = ntfy_page(ntfy)
    assert page.json is not None
    assert (page.json["priority"], page.json["click"]) == (5, f"{world.url}/#/alerts/{alert.id}")
    assert "Checkout is down" in page.json["title"]
    assert [(a["label"], a["url"], a["method"]) for a in page.json["actions"]] == [
        ("Accept", f"{world.url}/api/actions", "POST"),
        ("Resolve", f"{world.url}/api/actions", "POST"),
    ]
    assert json.loads(page.action("Accept")["body"])["action"] == "accept"

    accepted_once(world, alert, ntfy.press(page, "Accept"), ntfy.press(page, "Resolve"), "ntfy")


def test_pushover_emergency_page_and_its_acknowledgement_accepts_once(
    open_world: WorldFactory, backend: str, ntfy: FakeNtfy, pushover: FakePushover
) -> None:
    user = pushover.user()
    world = apps_world(open_world, backend, ntfy, pushover, ContactKind.PUSHOVER, user)
    alert = world.event("payments", "Payments failing")

    page = pushover_page(pushover, user)
    assert (page.form["priority"], page.form["retry"], page.form["expire"]) == ("2", "60", "3600")
    assert page.form["callback"].startswith(f"{world.url}/api/pushover/callback?token=")
    assert page.form["url"] == f"{world.url}/#/alerts/{alert.id}"

    accepted_once(world, alert, pushover.acknowledge(page.receipt), pushover.acknowledge(page.receipt), "Pushover")


def test_accepting_in_graphql_cancels_the_pushover_receipt(
    open_world: WorldFactory, backend: str, ntfy: FakeNtfy, pushover: FakePushover
) -> None:
    user = pushover.user()
    world = apps_world(open_world, backend, ntfy, pushover, ContactKind.PUSHOVER, user)
    alert = world.event("db", "Primary database down")
    page = pushover_page(pushover, user)
    assert not pushover.emergencies[page.receipt].cancelled

    assert world.alice.accepts(alert)["status"] == "ACCEPTED"
    [cancel] = wait_until(lambda: [c for c in pushover.cancels(page.receipt) if c.status == 200], timeout=15, what="the receipt cancelled")
    assert cancel.form == {"token": APP}
    assert pushover.emergencies[page.receipt].cancelled
    assert world.alert(alert).status is AlertStatus.ACCEPTED


def test_contact_methods_are_checked_and_verified_through_the_apps(
    open_world: WorldFactory, ntfy: FakeNtfy, pushover: FakePushover
) -> None:
    """Adding a Pushover key asks Pushover (an unknown key is refused, nothing stored); the codes
    reach the fake ntfy and Pushover as ordinary notifications and verify the methods, and a
    test notification goes through each only after that."""
    env = {"PAGERLINE_NTFY_URL": ntfy.url, "PAGERLINE_PUSHOVER_TOKEN": APP, "PAGERLINE_PUSHOVER_BASE_URL": pushover.url}
    world = open_world(env=env)
    url, token = world.url, world.bob.token
    add = "mutation($k: ContactKind!, $v: String!) { addContactMethod(kind: $k, value: $v) { id verified } }"
    verify = "mutation($id: ID!, $c: String!) { verifyContactMethod(id: $id, code: $c) { verified } }"
    test = "mutation($id: ID!) { sendTestNotification(contactMethodId: $id) }"

    unknown = gql(url, token, add, k="PUSHOVER", v="u" + "x" * 29)
    assert error_code(unknown) == "BAD_USER_INPUT"
    assert [r.form["user"] for r in pushover.received if r.resource == "validate"] == ["u" + "x" * 29]
    assert "PUSHOVER" not in str(gql(url, token, "{ myContactMethods { kind } }"))

    key = pushover.user()
    methods = {"PUSHOVER": (key, lambda: pushover.messages_to(key)), "NTFY": (TOPIC, lambda: ntfy.messages_to(TOPIC))}
    for kind, (value, arrived) in methods.items():
        method = gql(url, token, add, k=kind, v=value)["data"]["addContactMethod"]
        assert method["verified"] is False
        assert error_code(gql(url, token, test, id=method["id"])) == "CONFLICT"  # nothing but the code before it is verified
        [code_message] = wait_until(arrived, timeout=15, what=f"the code through {kind}")
        text = code_message.form["message"] if kind == "PUSHOVER" else code_message.json["message"]
        if kind == "PUSHOVER":
            assert code_message.form["priority"] == "0"
        else:
            assert code_message.json["priority"] == 3 and "actions" not in code_message.json
        code = CODE.search(text).group(1)  # type: ignore[union-attr]
        assert gql(url, token, verify, id=method["id"], c=code)["data"]["verifyContactMethod"]["verified"] is True
        assert gql(url, token, test, id=method["id"])["data"]["sendTestNotification"] is True
        wait_until(lambda: len(arrived()) == 2, timeout=15, what=f"the test through {kind}")
