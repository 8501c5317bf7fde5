"""Our Teams cards checked and drawn by Microsoft's Adaptive Cards SDK for HTML hosts
(web/node_modules/adaptivecards, loaded into Chromium), beside the schema subset in test_teams.py.

Every card (pending with all its buttons, accepted, resolved, clipped, without details, full of
Markdown) parses for version 1.4 without a single event and passes ``validateProperties()``; a
card broken on purpose (an unknown element, a button without a URL, a 1.5 feature) does not, so
the check can fail. Drawn, each card shows its headline and its buttons, and what people wrote
shows as written: no link, bold or list of theirs, whatever Markdown it contains.

The SDK draws Markdown only through a processor the host page supplies (``window.markdownit`` or
``AdaptiveCard.onProcessMarkdown``; without one it draws plain text and the escapes would show).
No markdown-it is in web/node_modules, so the page's ``onProcessMarkdown`` answers with what
markdown-it-py (markdown-it's Python port, its default preset as ``markdownit()``) drew for each
of the card's texts beforehand; a text it has no answer for is reported and fails the test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pagerline.engine.chat.card import AlertCard
from pagerline.engine.chat.teams_card import MAX_DETAILS, MAX_SUMMARY, adaptive_card
from tests.support.browser import needs_chromium, new_page

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

SDK = Path(__file__).resolve().parents[2] / "web" / "node_modules" / "adaptivecards" / "dist" / "adaptivecards.min.js"

needs_sdk = pytest.mark.skipif(
    not SDK.exists(), reason="needs Microsoft's adaptivecards SDK in web/node_modules: run `make web` (`make test` does)"
)
pytestmark = [needs_chromium, needs_sdk]

MARKDOWN = "**db** _down_ [click](http://evil)"
LONG_DETAILS = "\n".join(f"{n}. step _{n}_ failed: see [log](http://evil/{n}) `exit {n}`" for n in range(1, 400))

# The page's Markdown processor: what Python drew for each text, and the texts it was not given.
MARKDOWN_HOOK = """() => {
    window.pagerlineMarkdown = {};
    window.pagerlineUndrawn = [];
    AdaptiveCards.AdaptiveCard.onProcessMarkdown = (text, result) => {
        const drawn = window.pagerlineMarkdown[text];
        if (drawn === undefined) {
            window.pagerlineUndrawn.push(text);
            return;
        }
        result.outputHtml = drawn;
        result.didProcess = true;
    };
}"""

# Parse for version 1.4 (as Teams draws in channels), then validate: every event and failure.
CHECK = """(card) => {
    const AC = window.AdaptiveCards;
    const context = new AC.SerializationContext(new AC.Version(1, 4));
    const parsed = new AC.AdaptiveCard();
    parsed.parse(card, context);
    const problems = [];
    for (let i = 0; i < context.eventCount; i++) {
        const event = context.getEventAt(i);
        problems.push(`parse ${AC.ValidationEvent[event.event]}: ${event.message}`);
    }
    for (const event of parsed.validateProperties().validationEvents) {
        problems.push(`validation ${AC.ValidationEvent[event.event]}: ${event.message}`);
    }
    return { problems, version: parsed.version ? parsed.version.toString() : null };
}"""

# Draw the card into the page: each text block's HTML and text, and the buttons' titles.
DRAW = """({ card, markdown }) => {
    const AC = window.AdaptiveCards;
    window.pagerlineMarkdown = markdown;
    window.pagerlineUndrawn = [];
    const parsed = new AC.AdaptiveCard();
    parsed.parse(card, new AC.SerializationContext(new AC.Version(1, 4)));
    const drawn = parsed.render();
    if (!drawn) return null;
    document.body.replaceChildren(drawn);
    return {
        texts: [...drawn.querySelectorAll(".ac-textBlock")].map((block) => ({ html: block.innerHTML, text: block.textContent })),
        buttons: [...drawn.querySelectorAll("button")].map((button) => button.textContent),
        undrawn: window.pagerlineUndrawn,
    };
}"""


def _card(**changes: Any) -> AlertCard:
    fields: dict[str, Any] = dict(
        alert_id=7, summary="Checkout is down", details="Error rate 42% on checkout-api", status="Pending", by=None,
        priority="HIGH", source="Ops API", escalation_level=1, link="https://pagerline.example/alerts/7",
        actions=("accept", "resolve", "escalate", "comment"),
    )
    return AlertCard(**{**fields, **changes})


DONE = ("resolve", "escalate", "comment")
CARDS = {
    "pending": (_card(), ["Accept", "Resolve", "Escalate", "Open"]),
    "accepted": (_card(status="Accepted", by="Alice Ng", escalation_level=2, actions=DONE), ["Resolve", "Escalate", "Open"]),
    "resolved": (_card(status="Resolved", by="Bob", priority="LOW", actions=("comment",)), ["Open"]),
    "clipped": (_card(summary="Disk **full** on db-1 " * 60, details=LONG_DETAILS * 2), ["Accept", "Resolve", "Escalate", "Open"]),
    "no-details": (_card(details=None), ["Accept", "Resolve", "Escalate", "Open"]),
    "markdown": (
        _card(
            summary=f"{MARKDOWN} <http://evil> ~~gone~~ `x` &amp; {{{{DATE(2024-01-02T03:04:05Z, SHORT)}}}}",
            details="# Not a heading\n- not a list\n1. not numbered\n> not quoted\n    not code\n| a | b |\n|---|---|\nC:\\temp\\n *_end_*",
            status="Accepted", by="_Alice_ <b>Ng</b>", source="**Ops** [API](http://evil)", actions=DONE,
        ),
        ["Resolve", "Escalate", "Open"],
    ),
}


def _link(action: str) -> str:
    return f"https://pagerline.example/chat/act?alert=7&action={action}"


def content_of(card: AlertCard) -> dict[str, Any]:
    return adaptive_card(card, _link)


def _clipped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def written(card: AlertCard) -> list[str]:
    """Every text the card should show, as written: its text blocks in order, facts included."""
    status = f"{card.status} by {card.by}" if card.by else card.status
    texts = [_clipped(card.headline, MAX_SUMMARY), status, "Status", status, "Priority", card.priority, "Source", card.source,
             "Escalation level", str(card.escalation_level)]
    return texts + ([_clipped(card.details, MAX_DETAILS)] if card.details else [])


def texts_of(content: dict[str, Any]) -> list[str]:
    """The card's Markdown texts: its text blocks and its facts' titles and values."""
    found: list[str] = []
    for item in content["body"]:
        if item["type"] == "TextBlock":
            found.append(item["text"])
        elif item["type"] == "FactSet":
            found += [text for fact in item["facts"] for text in (fact["title"], fact["value"])]
    return found


def one_line(text: str) -> str:
    """Runs of white space as one space: Markdown draws line breaks and indents as it likes."""
    return " ".join(text.split())


def tags_in(html: str) -> set[str]:
    return set(re.findall(r"</?([a-zA-Z][a-zA-Z0-9]*)", html))


@pytest.fixture(scope="module")
def sdk(browser: Browser) -> Iterator[Page]:
    """A blank page with the SDK loaded and the Markdown hook installed; errors it raises fail
    the tests that use it."""
    page = new_page(browser, "about:blank")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.add_script_tag(content=SDK.read_text(encoding="utf-8"))
    assert page.evaluate("typeof AdaptiveCards.AdaptiveCard") == "function"
    page.evaluate(MARKDOWN_HOOK)
    yield page
    assert errors == []
    page.context.close()


@pytest.fixture(scope="module")
def markdown() -> Callable[[str], str]:
    markdown_it = pytest.importorskip("markdown_it", reason="needs markdown-it-py (schemathesis installs it through rich)")
    return markdown_it.MarkdownIt("js-default").render  # type: ignore[no-any-return]


def check(page: Page, content: dict[str, Any]) -> list[str]:
    result = page.evaluate(CHECK, content)
    assert result["version"] == "1.4"
    return list(result["problems"])


def draw(page: Page, content: dict[str, Any], markdown: Callable[[str], str]) -> dict[str, Any]:
    drawn = page.evaluate(DRAW, {"card": content, "markdown": {text: markdown(text) for text in texts_of(content)}})
    assert drawn is not None, "the SDK drew nothing"
    # A text the card does not have: the SDK changed it before Markdown (a {{DATE(…)}} it formatted).
    assert drawn["undrawn"] == [], "the SDK asked Markdown to draw texts that are not the card's"
    return drawn  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", CARDS)
def test_the_sdk_finds_nothing_wrong_with_our_cards(sdk: Page, name: str) -> None:
    card, _ = CARDS[name]
    assert check(sdk, content_of(card)) == []


def _broken(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    content = json.loads(json.dumps(content_of(CARDS["pending"][0])))
    change(content)
    return content


# Each break, and a word of what the SDK says about it. (The SDK takes a TextBlock without text
# and draws nothing for it; the schema subset in test_teams.py refuses that one.)
BROKEN: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "unknown-element": (lambda c: c["body"].append({"type": "Marquee", "text": "x"}), "Marquee"),
    "button-without-url": (lambda c: c["actions"][-1].pop("url"), "url"),
    "unknown-size": (lambda c: c["body"][0].update(size="Huge"), "Huge"),
    "text-style-of-1.5": (lambda c: c["body"][0].update(style="heading"), "1.5"),
    "table-of-1.5": (lambda c: c["body"].append({"type": "Table", "columns": [{"width": 1}], "rows": []}), "Table"),
    "duplicate-id": (lambda c: [c["body"][0].update(id="x"), c["body"][1].update(id="x")], "Duplicate"),
}


@pytest.mark.parametrize("name", BROKEN)
def test_the_sdk_finds_what_is_wrong_with_a_broken_card(sdk: Page, name: str) -> None:
    change, said = BROKEN[name]
    problems = check(sdk, _broken(change))
    assert problems and any(said in problem for problem in problems), problems


@pytest.mark.parametrize("name", CARDS)
def test_the_sdk_draws_our_cards_as_written(sdk: Page, markdown: Callable[[str], str], name: str) -> None:
    card, buttons = CARDS[name]
    drawn = draw(sdk, content_of(card), markdown)
    assert drawn["buttons"] == buttons
    shown = [one_line(block["text"]) for block in drawn["texts"]]
    assert shown == [one_line(text) for text in written(card)]  # the headline first
    # No markup of the writers': Markdown made paragraphs and line breaks, nothing else.
    for block in drawn["texts"]:
        assert tags_in(block["html"]) <= {"p", "br"}, block["html"]


def test_the_clipped_card_is_clipped_as_written(sdk: Page, markdown: Callable[[str], str]) -> None:
    card, _ = CARDS["clipped"]
    headline, *_, details = draw(sdk, content_of(card), markdown)["texts"]
    assert len(one_line(headline["text"])) == MAX_SUMMARY and headline["text"].rstrip().endswith("…")
    assert details["text"].rstrip().endswith("…") and len(one_line(details["text"])) <= MAX_DETAILS


def test_the_drawing_does_draw_markdown(sdk: Page, markdown: Callable[[str], str]) -> None:
    # The check above can fail: the same summary, unescaped, draws as bold, italic and a link.
    content = content_of(CARDS["pending"][0])
    content["body"][0]["text"] = MARKDOWN
    headline = draw(sdk, content, markdown)["texts"][0]["html"]
    assert {"strong", "em", "a"} <= tags_in(headline) and 'href="http://evil"' in headline
