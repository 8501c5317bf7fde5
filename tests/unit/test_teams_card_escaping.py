"""A Teams card shows what people and monitors wrote as written: teams_card.markdown_literal
backslash-escapes what Markdown would read as formatting, and the card escapes the summary,
details, source and who acted (after clipping them), but not its own words or its fallback text.

The escapes are checked exactly, then drawn with markdown-it-py, the Python port of the
markdown-it the Adaptive Cards SDK draws with when a page loads it (its default preset, as
``markdownit()``): whatever the text, it comes out as that text and no markup. The SDK itself
draws the cards in tests/integration/test_teams_card_sdk.py.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pagerline.engine.chat.card import AlertCard
from pagerline.engine.chat.teams_card import MAX_DETAILS, MAX_SUMMARY, adaptive_card, fingerprint, markdown_literal

NBSP = "\u00a0"
MARKDOWN = "**db** _down_ [click](http://evil)"
# Every character Markdown gives a meaning somewhere, with letters, digits and line breaks, and
# the pieces of Markdown they make, so the texts tried are both random and likely to be Markdown.
SPECIALS = "\\`*_[]()<>~|&#;!+-=.:{}\"' \t\n\r" + NBSP + "ab1\u00e9"
PIECES = ["\n", "\n\n", "    ", "1. ", "2) ", "- ", "+ ", "* ", "# ", "> ", "---", "===", "```", "~~", "**", "__", "&amp;", "&#42;",
          "[x](http://evil)", "<http://evil>", "<b>", "| a |", "\\\n", "  \n", "{{DATE(2024-01-02T03:04:05Z)}}"]


def _card(**changes: Any) -> AlertCard:
    fields: dict[str, Any] = dict(
        alert_id=7, summary="Checkout is down", details=None, status="Pending", by=None, priority="HIGH", source="Ops API",
        escalation_level=1, link="https://pagerline.example/alerts/7", actions=("accept", "resolve", "escalate", "comment"),
    )
    return AlertCard(**{**fields, **changes})


def _link(action: str) -> str:
    return f"https://pagerline.example/chat/act?action={action}"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        (MARKDOWN, r"\*\*db\*\* \_down\_ \[click\](http://evil)"),
        ("![logo](http://evil/x.png) <http://evil>", r"!\[logo\](http://evil/x.png) \<http://evil>"),
        ("`rm -rf` ~~gone~~ | a | b |", r"\`rm -rf\` \~\~gone\~\~ \| a \| b \|"),
        (r"C:\temp\new", r"C:\\temp\\new"),
        ("&amp; &#42; &#x2A;", r"\&amp; \&#42; \&#x2A;"),
        # Adaptive Cards turn {{DATE(…)}} into a date before Markdown runs: its second brace is escaped.
        ("at {{DATE(2024-01-02T03:04:05Z, SHORT)}}", r"at {\{DATE(2024-01-02T03:04:05Z, SHORT)}}"),
        ("# heading", r"\# heading"),
        ("###### six", r"\###### six"),
        ("- item", r"\- item"),
        ("+ item", r"\+ item"),
        ("* item", r"\* item"),
        ("1. one", r"1\. one"),
        ("12) twelve", r"12\) twelve"),
        ("> quoted", r"\> quoted"),
        ("---", r"\---"),
        ("- - -", r"\- - -"),
        ("===", r"\==="),
    ],
)
def test_formatting_is_escaped(text: str, escaped: str) -> None:
    assert markdown_literal(text) == escaped


@pytest.mark.parametrize(
    "text",
    [
        "Checkout is down",
        "#7 Checkout is down",  # the headline's number: "#" without a space is no heading
        "disk at 99.5% on db-1.example.com (3.5 GB left), see runbook #12",
        "-5 °C in the cold room; 1.5 GB; 2024-01-02",
        "R&D: a > b, c = d, ok!",
        "{{ not a date }} and {DATE(2024-01-02T03:04:05Z)}",
        "héllo wörld ✓",
        "",
    ],
)
def test_plain_text_is_left_alone(text: str) -> None:
    assert markdown_literal(text) == text


def test_each_line_is_escaped_and_its_breaks_are_kept() -> None:
    text = "first\n# heading\r\n- item\r1. one\n\n> quoted"
    assert markdown_literal(text) == "first\n\\# heading\r\n\\- item\r1\\. one\n\n\\> quoted"


def test_an_indent_is_drawn_but_makes_no_code_block() -> None:
    # In a code block escapes show as backslashes; no-break spaces are no indent to Markdown.
    assert markdown_literal("    at db.query(*args)\n\t- nested") == f"{NBSP * 4}at db.query(\\*args)\n{NBSP}\\- nested"


def test_the_card_escapes_what_people_wrote_and_nothing_else() -> None:
    card = _card(summary=MARKDOWN, details="- _a_\n- b", status="Accepted", by="*Al* [ice]", source="Ops_API",
                 actions=("resolve", "escalate", "comment"))
    content = adaptive_card(card, _link)
    headline, status, facts, details = content["body"]
    assert headline["text"] == r"#7 \*\*db\*\* \_down\_ \[click\](http://evil)"
    assert status["text"] == r"Accepted by \*Al\* \[ice\]"
    assert {f["title"]: f["value"] for f in facts["facts"]} == {
        "Status": r"Accepted by \*Al\* \[ice\]", "Priority": "HIGH", "Source": r"Ops\_API", "Escalation level": "1",
    }
    assert details["text"] == "\\- \\_a\\_\n\\- b"
    # The fallback is plain text, not Markdown; the buttons' titles and links are ours.
    assert content["fallbackText"] == f"[Accepted] #7 {MARKDOWN} (HIGH, Ops_API)"
    assert [(a["title"], a["url"]) for a in content["actions"]] == [
        ("Resolve", _link("resolve")), ("Escalate", _link("escalate")), ("Open", "https://pagerline.example/alerts/7"),
    ]


def test_texts_are_clipped_before_they_are_escaped() -> None:
    # Clipping the escaped text could cut "\*" after its backslash, which would then escape "…".
    content = adaptive_card(_card(summary="*" * 1000, details="_" * 10_000), _link)
    headline, details = content["body"][0]["text"], content["body"][-1]["text"]
    assert headline == "#7 " + "\\*" * (MAX_SUMMARY - 4) + "…"
    assert details == "\\_" * (MAX_DETAILS - 1) + "…"


def test_the_fingerprint_still_tells_cards_apart() -> None:
    # It hashes the texts as written, so escaping changes nothing about when a card is posted again.
    assert fingerprint(_card(summary=MARKDOWN)) == fingerprint(_card(summary=MARKDOWN))
    assert fingerprint(_card(summary="a*b")) != fingerprint(_card(summary="a_b"))
    assert fingerprint(_card(summary=MARKDOWN)) != fingerprint(_card(summary=MARKDOWN, status="Accepted", by="Al*ce"))


# Drawn as the SDK's markdown-it would draw it.


@pytest.fixture(scope="module")
def draw() -> Callable[[str], str]:
    markdown_it = pytest.importorskip("markdown_it", reason="needs markdown-it-py (schemathesis installs it through rich)")
    return markdown_it.MarkdownIt("js-default").render  # type: ignore[no-any-return]


def _tags(drawn: str) -> set[str]:
    return set(re.findall(r"</?([a-z0-9]+)", drawn))


def _shown(drawn: str) -> str:
    """The text a reader sees, its runs of white space as one space."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", drawn)).split())


def _as_written(text: str) -> str:
    return " ".join(text.split())


def test_markdown_draws_unescaped_text_as_markup(draw: Callable[[str], str]) -> None:
    # The check below can fail: the same text unescaped is bold, italic and a link.
    assert {"strong", "em", "a"} <= _tags(draw(MARKDOWN))


@pytest.mark.parametrize(
    "text",
    [
        MARKDOWN,
        "# heading\n- item\n+ item\n* item\n1. one\n2) two\n> quote\n    indented code\n```\nfence\n```\n~~~\n---\nSetext\n===\n",
        "| a | b |\n|---|---|\n| 1 | 2 |\n[ref]: http://evil\nsee [ref]\n&#42; &amp; &copy;\n<b>bold</b> <http://evil>\nend\\\nhard",
        "***\n___\n* * *\n__dunder__ *_mixed_* `code` ``two`` ~~strike~~ ![img](http://evil/i.png)",
    ],
)
def test_an_escaped_text_draws_as_written(draw: Callable[[str], str], text: str) -> None:
    drawn = draw(markdown_literal(text))
    assert _tags(drawn) <= {"p", "br"}, drawn
    assert _shown(drawn) == _as_written(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(SPECIALS) | st.sampled_from(PIECES), max_size=30).map("".join))
def test_any_text_draws_as_written(draw: Callable[[str], str], text: str) -> None:
    drawn = draw(markdown_literal(text))
    assert _tags(drawn) <= {"p", "br"}, drawn
    assert _shown(drawn) == _as_written(text)
