"""The Me page's contact and calendar sections in the web app, on a desktop window and on a phone
(390 × 844), axe on each state: verify a phone number with the code the (fake) Twilio received
by SMS; change the email address (a taken one is refused and changes nothing); make a calendar
feed, find it listed again after a reload (its address is not: only a digest is stored) and
revoke it.

The server's real Twilio transport talks to tests/fakes/twilio.py, so the code is the one the
person's phone would get."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.fakes.twilio import FakeTwilio
from tests.integration.test_web_app_journeys import VIEWPORTS, accessible, open_in
from tests.support.browser import Site, needs_axe, needs_chromium, needs_web_app, sign_in, start_site
from tests.support.databases import TemplateDatabases
from tests.support.graphql import data
from tests.support.polling import wait_until
from tests.support.processes import serving
from tests.support.transports import running_twilio, twilio_env

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [needs_chromium, needs_web_app, needs_axe]

#: Bob's number on each viewport's run (both runs share the module's server).
PHONES = {"desktop": "+15550101001", "phone": "+15550101002"}
#: The number each viewport adds as a contact method, and who adds it: one person each, as a
#: second test page to the same person within storm protection's window would be held back.
METHOD_PHONES = {"desktop": "+15550102001", "phone": "+15550102002"}
METHOD_PEOPLE = {"desktop": "bob", "phone": "alice"}
CODE = re.compile(r"\b(\d{6})\b")


@pytest.fixture(scope="module")
def twilio() -> Iterator[FakeTwilio]:
    with running_twilio() as fake:
        yield fake


@pytest.fixture(scope="module")
def site(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory, twilio: FakeTwilio) -> Iterator[Site]:
    """The module's server, whose SMS go to the fake Twilio (everything else to the console)."""
    made = start_site(
        templates, tmp_path_factory.mktemp("web-app-contact"),
        **twilio_env(twilio),
    )
    with serving(made.server):
        yield made


def open_me(browser: Browser, site: Site, viewport: str, who: str = "bob") -> Page:
    page = open_in(browser, site, viewport)
    sign_in(page, f"{who}@ops.test", f"{who}-password")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Me").click()
    page.locator("#me-page").wait_for()
    return page


def me(site: Site) -> dict[str, object]:
    return data(site.server.url, site.org.bob_token, "{ me { email phone phoneVerified phonePending } }")["me"]


def sms_code(twilio: FakeTwilio, number: str) -> str:
    texts = wait_until(lambda: twilio.messages_to(number) or None, timeout=20, interval=0.2, what=f"an SMS to {number}")
    found = CODE.search(texts[-1].form["Body"])
    assert found, texts[-1].form["Body"]
    return found.group(1)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_verify_a_phone_with_the_code_sent_by_sms(browser: Browser, site: Site, twilio: FakeTwilio, viewport: str) -> None:
    number = PHONES[viewport]
    page = open_me(browser, site, viewport)
    page.get_by_label("Phone number", exact=True).fill(number)
    page.get_by_role("button", name="Send code").click()
    page.locator("#phone-state", has_text=f"Waiting for the code sent to {number}").wait_for()
    accessible(page, "me, code sent")

    # A wrong code is refused and the number stays unverified.
    code = sms_code(twilio, number)
    page.get_by_label("Code", exact=True).fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="Verify", exact=True).click()
    page.locator("#contact-result", has_text="not right").wait_for()
    assert me(site)["phonePending"] == number

    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name="Verify", exact=True).click()
    page.locator("#phone-state", has_text=f"{number}: verified").wait_for()
    page.locator("#contact-result", has_text="Phone number verified.").wait_for()
    assert page.get_by_label("Code", exact=True).count() == 0  # nothing is waiting any more
    assert (me(site)["phone"], me(site)["phoneVerified"], me(site)["phonePending"]) == (number, True, None)
    accessible(page, "me, phone verified")
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_change_my_email_and_keep_calendar_feeds_across_reloads(browser: Browser, site: Site, viewport: str) -> None:
    page = open_me(browser, site, viewport)
    new_address = f"bob.{viewport}@ops.test"
    try:
        # A taken address: refused with the server's reason, nothing changes.
        page.get_by_label("New email").fill("alice@ops.test")
        page.get_by_label("Current password").fill("bob-password")
        page.get_by_role("button", name="Change email").click()
        page.locator("#contact-result", has_text="exists already").wait_for()
        assert me(site)["email"] == "bob@ops.test"
        assert page.get_by_label("Current password").input_value() == ""  # not left in the page

        page.get_by_label("New email").fill(new_address.upper())
        page.get_by_label("Current password").fill("bob-password")
        page.get_by_role("button", name="Change email").click()
        page.locator("#email-state", has_text=f"Email: {new_address}").wait_for()
        assert me(site)["email"] == new_address
        accessible(page, "me, email changed")
    finally:  # the other viewport's run signs in with his first address
        data(site.server.url, site.org.bob_token, 'mutation($e: String!) { changeEmail(email: $e, currentPassword: "bob-password") { id } }', e="bob@ops.test")

    page.get_by_role("button", name="Create feed").click()
    address = page.locator("#feeds code.secret")
    address.wait_for()
    url = address.inner_text()
    assert re.fullmatch(re.escape(site.server.url) + r"/ical/plc_[\w-]+\.ics", url), url
    feed = page.locator("#feeds li").last
    feed_id = feed.get_attribute("data-feed-id")
    prefix = url.rsplit("/", 1)[1][:12]
    accessible(page, "me, feed made")

    # After a reload the feed is still listed, by what it covers and its secret's first characters.
    page.reload()
    page.locator("#me-page").wait_for()
    listed = page.locator(f'#feeds li[data-feed-id="{feed_id}"]')
    listed.filter(has_text=prefix).wait_for()
    assert "my shifts" in listed.inner_text() and url not in page.content()
    page.get_by_role("button", name=f"Revoke feed of my shifts ({prefix})").click()
    page.locator("#feeds-result", has_text="Feed revoked.").wait_for()
    listed.wait_for(state="detached")
    feeds = data(site.server.url, site.org.bob_token, "{ myCalendarFeeds { id } }")["myCalendarFeeds"]
    assert feed_id not in {f["id"] for f in feeds}


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_add_verify_test_and_remove_a_contact_method(browser: Browser, site: Site, twilio: FakeTwilio, viewport: str) -> None:
    number, who = METHOD_PHONES[viewport], METHOD_PEOPLE[viewport]
    token = site.org.bob_token if who == "bob" else site.org.alice_token
    page = open_me(browser, site, viewport, who)
    section = page.locator("section[aria-labelledby=contact-methods-title]")
    section.get_by_label("Kind").select_option("SMS")
    section.get_by_label("Number for SMS").fill(number)
    section.get_by_role("button", name="Add", exact=True).click()
    row = section.locator("#contact-methods li", has_text=f"SMS {number}: waiting for its code")
    row.wait_for()
    accessible(page, "me, contact method waiting for its code")

    code = sms_code(twilio, number)
    section.get_by_label(f"Code for SMS {number}").fill(code)
    section.get_by_role("button", name=f"Verify SMS {number}").click()
    section.locator("#contact-methods li", has_text=f"SMS {number}: verified").wait_for()
    methods = data(site.server.url, token, "{ myContactMethods { kind value verified } }")["myContactMethods"]
    assert {"kind": "SMS", "value": number, "verified": True} in methods

    section.get_by_role("button", name=f"Send test to SMS {number}").click()
    wait_until(lambda: len(twilio.messages_to(number)) == 2 or None, timeout=20, interval=0.2, what=f"the test SMS to {number}")
    section.get_by_role("button", name=f"Remove SMS {number}").click()
    section.locator("#contact-methods-result", has_text=f"SMS {number} removed.").wait_for()
    section.locator("#contact-methods li", has_text=number).wait_for(state="detached")
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]
