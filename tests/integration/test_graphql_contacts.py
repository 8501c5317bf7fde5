"""Contact methods over GraphQL against a real server whose SMS go to the fake Twilio: add (the
code arrives by SMS), verify, list, a test through the method, remove; what another user cannot
do to someone's methods; Telegram's link; bad input refused with nothing stored."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.fakes.twilio import FakeTwilio
from tests.support.browser import Site, start_site
from tests.support.databases import TemplateDatabases
from tests.support.graphql import error_code, gql
from tests.support.polling import wait_until
from tests.support.processes import serving
from tests.support.transports import running_twilio, twilio_env

NUMBER = "+15550104242"
CODE = re.compile(r"\b(\d{6})\b")
METHODS = "{ myContactMethods { id kind value verified } }"


@pytest.fixture(scope="module")
def twilio() -> Iterator[FakeTwilio]:
    with running_twilio() as fake:
        yield fake


@pytest.fixture(scope="module")
def site(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory, twilio: FakeTwilio) -> Iterator[Site]:
    made = start_site(
        templates, tmp_path_factory.mktemp("gql-contacts"),
        **twilio_env(twilio),
    )
    with serving(made.server):
        yield made


def test_a_number_is_added_verified_by_its_code_tested_and_removed(site: Site, twilio: FakeTwilio) -> None:
    url, bob, alice = site.server.url, site.org.bob_token, site.org.alice_token
    added = gql(url, bob, "mutation($v: String!) { addContactMethod(kind: SMS, value: $v) { id kind value verified telegramLink } }", v="+1 555 010 4242")
    method = added["data"]["addContactMethod"]
    assert (method["kind"], method["value"], method["verified"], method["telegramLink"]) == ("SMS", NUMBER, False, None)
    wait_until(lambda: twilio.messages_to(NUMBER), timeout=20, what="the code by SMS")
    code = CODE.search(twilio.messages_to(NUMBER)[0].form["Body"]).group(1)  # type: ignore[union-attr]

    # Until it is verified, a test cannot go to it; another user can neither verify nor see it.
    early = gql(url, bob, "mutation($id: ID!) { sendTestNotification(contactMethodId: $id) }", id=method["id"])
    assert error_code(early) == "CONFLICT"
    stolen = gql(url, alice, "mutation($id: ID!, $c: String!) { verifyContactMethod(id: $id, code: $c) { verified } }", id=method["id"], c=code)
    assert error_code(stolen) == "NOT_FOUND"
    assert NUMBER not in str(gql(url, alice, METHODS)["data"])

    wrong = gql(url, bob, "mutation($id: ID!) { verifyContactMethod(id: $id, code: \"000000x\") { verified } }", id=method["id"])
    assert error_code(wrong) == "BAD_USER_INPUT"
    right = gql(url, bob, "mutation($id: ID!, $c: String!) { verifyContactMethod(id: $id, code: $c) { verified verifiedAt } }", id=method["id"], c=code)
    assert right["data"]["verifyContactMethod"]["verified"] is True
    listed = gql(url, bob, METHODS)["data"]["myContactMethods"]
    assert {"id": method["id"], "kind": "SMS", "value": NUMBER, "verified": True} in listed
    assert {"kind": "EMAIL", "value": "bob@ops.test", "verified": True} in [{k: m[k] for k in ("kind", "value", "verified")} for m in listed]
    me = gql(url, bob, "{ me { phone phoneVerified contactMethods { kind value } } }")["data"]["me"]
    assert (me["phone"], me["phoneVerified"]) == (NUMBER, True)

    tested = gql(url, bob, "mutation($id: ID!) { sendTestNotification(contactMethodId: $id) }", id=method["id"])
    assert tested["data"]["sendTestNotification"] is True
    wait_until(lambda: len(twilio.messages_to(NUMBER)) == 2, timeout=20, what="the test by SMS")
    assert "If you can read it, pages reach you here" in twilio.messages_to(NUMBER)[1].form["Body"]

    assert error_code(gql(url, alice, "mutation($id: ID!) { removeContactMethod(id: $id) }", id=method["id"])) == "NOT_FOUND"
    assert gql(url, bob, "mutation($id: ID!) { removeContactMethod(id: $id) }", id=method["id"])["data"]["removeContactMethod"] is True
    assert NUMBER not in str(gql(url, bob, METHODS)["data"])


def test_telegram_gives_a_link_and_bad_values_change_nothing(site: Site) -> None:
    url, bob = site.server.url, site.org.bob_token
    before = gql(url, bob, METHODS)["data"]["myContactMethods"]
    telegram = gql(url, bob, "mutation { addContactMethod(kind: TELEGRAM, value: \"\") { kind value verified telegramLink } }")
    made = telegram["data"]["addContactMethod"]
    assert (made["kind"], made["value"], made["verified"]) == ("TELEGRAM", "", False)
    assert re.fullmatch(r"/start [A-Za-z0-9_-]{16}", made["telegramLink"])  # no bot configured: the command to send
    for kind, value in (("SMS", "12345"), ("EMAIL", "nobody"), ("NTFY", "no spaces allowed"), ("PUSHOVER", "short"), ("TELEGRAM", "42")):
        refused = gql(url, bob, "mutation($v: String!) { addContactMethod(kind: %s, value: $v) { id } }" % kind, v=value)
        assert error_code(refused) == "BAD_USER_INPUT", (kind, refused)
    after = gql(url, bob, METHODS)["data"]["myContactMethods"]
    assert len(after) == len(before) + 1  # only the Telegram method
    topic = gql(url, bob, "{ suggestedNtfyTopic }")["data"]["suggestedNtfyTopic"]
    assert re.fullmatch(r"pagerline-[a-z0-9]{16,20}", topic)
