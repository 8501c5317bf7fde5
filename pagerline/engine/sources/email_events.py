"""A mail read as the intake's event (pure: no I/O).

The SMTP intake (:mod:`pagerline.email_intake`) parses what it received with
:func:`parse_message` and calls :func:`email_event` with the source's
:class:`~pagerline.engine.sources.intake_settings.EmailSettings`; the event then takes the one
path every event takes, :func:`pagerline.engine.sources.intake.ingest_event`. What maps where:

- The subject is the summary: RFC 2047 encoded words in any charset Python knows (ISO-8859-1,
  windows-1252, KOI8-R, ISO-2022-JP, ...), and a raw 8-bit subject as UTF-8 (else Latin-1).
  Whitespace is collapsed; an empty subject is "(no subject)".
- The text/plain part is the details; without one (or an empty one), the text/html part as text
  (:func:`html_to_text`). Attachments are never read, only listed in the custom details.
- The alert key: the settings' ``alertKeyPattern`` searched in the subject or the body, its
  first group (or the whole match); without a pattern, or when it finds nothing, the subject
  without "Re:"/"Fwd:" prefixes. In a mail that resolves, what a resolve pattern matched in the
  subject is taken out of that default key first, so "RESOLVED: Disk full" resolves the alert
  "Disk full" opened.
- A mail resolves (event type RESOLVE) when any ``resolvePatterns`` entry is found in its
  subject or body; otherwise it is an ALERT.
- The custom details hold the sender (``from``, ``fromName``), ``to``, ``cc``, ``subject``,
  ``date``, ``messageId``, the envelope (``envelopeFrom``, ``recipient``, ``tag``), the
  monitoring tools' own headers (``headers``: ``X-...``, ``Importance``, ``Priority``, ...) and
  the names of attachments.

Nothing a sender writes makes this raise or produce what the database cannot store: undecodable
bytes and NUL characters become U+FFFD, an unknown charset is read as UTF-8, every field is
clipped to what the intake stores (a long mail is cut, never refused). Nor does a sender who
knows a key stall the intake: the stdlib's header parser is quadratic or recursive on some
inputs, so each header it parses is clipped and a message gets a budget of parsing
(:class:`_BoundedPolicy`); a message with more MIME boundaries than :data:`MAX_BOUNDARY_LINES`
is read as plain text instead of part by part; HTMLParser is given complete tags only
(:func:`_complete_tags`).
"""

from __future__ import annotations

import codecs
import email.utils
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import EmailPolicy, default as default_policy
from html import unescape
from html.parser import HTMLParser
from typing import Any, cast

from pagerline.engine.sources.events import EventInput, EventType
from pagerline.engine.sources.intake_settings import EmailSettings, KeyFrom, Pattern

VIA = "Email"
NO_SUBJECT = "(no subject)"

# What the intake stores (the events API's limits).
MAX_SUMMARY_CHARS = 500
MAX_DETAILS_CHARS = 65_536
MAX_ALERT_KEY_CHARS = 255
# Custom details.
MAX_DETAIL_VALUE_CHARS = 1_000
MAX_ADDRESSES = 50
MAX_EXTRA_HEADERS = 30
MAX_ATTACHMENTS = 20
# Reading.
MAX_RAW_HEADER_CHARS = 4_000  # of a header this module decodes (subject, from, ...)
MAX_STRUCTURE_HEADER_CHARS = 2_000  # of a header the parser reads for the MIME structure
MAX_PARSED_HEADER_CHARS = 200_000  # all the parser may read per message; then headers read as empty
MAX_BOUNDARY_LINES = 1_000  # more lines starting "--" than this: read as plain text
MAX_BODY_BYTES = 1_000_000  # of a text part decoded (the details keep 65,536 characters of it)
MAX_HTML_CHARS = 300_000  # of HTML turned into text

CUT_MARK = "\n[… the rest of the mail is not shown]"
# Headers kept in customDetails.headers besides X-...; X- headers that mail services add to every
# message say nothing about the alert and are left out.
EXTRA_HEADERS = ("importance", "priority", "x-priority", "user-agent", "auto-submitted", "list-id", "precedence")
NOISY_PREFIXES = ("x-received", "x-google-", "x-gm-", "x-ms-", "x-microsoft-", "x-forefront-", "x-spam", "x-originating-")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_REPLY_PREFIX = re.compile(r"^(?:\s*(?:re|fwd?)\s*(?:\[\d+\])?\s*:)+\s*", re.IGNORECASE)
_KEY_EDGE = " \t-–—:|,;"
_SLOW_CODECS = {"punycode", "idna"}  # pure Python, and quadratic
# A tag that ends before the next "<": what HTMLParser may be given (see _complete_tags).
_COMPLETE_TAG = re.compile(r"<(?:/?[A-Za-z][^<>]*|![^<>]*|\?[^<>]*)>")
_PRE_SPACE, _PRE_TAB = "\ue000", "\ue001"  # private-use characters standing for <pre>'s whitespace


@dataclass(frozen=True, slots=True)
class Delivery:
    """What the SMTP session knew of a mail: the envelope sender (empty for a bounce), the
    address it was delivered to, and that address's ``+tag``."""

    envelope_from: str
    recipient: str
    tag: str | None = None


# --------------------------------------------------------------------------- parsing


class _Budget:
    __slots__ = ("chars",)

    def __init__(self, chars: int) -> None:
        self.chars = chars


class _BoundedPolicy(EmailPolicy):
    """``email.policy.default``, except that a header the parser reads (Content-Type and the
    like, read for every part) is clipped, a message's parsing has a budget, and a header the
    stdlib cannot parse (a RecursionError on nested comments, an IndexError on some Message-IDs)
    reads as empty instead of failing the whole message."""

    budget: _Budget | None = None

    def header_fetch_parse(self, name: str, value: str) -> Any:
        if hasattr(value, "name") or self.budget is None:  # set in code, not read from the wire
            return super().header_fetch_parse(name, value)
        clipped = value[:MAX_STRUCTURE_HEADER_CHARS]
        self.budget.chars -= len(clipped)
        if self.budget.chars < 0:
            clipped = ""
        try:
            return super().header_fetch_parse(name, clipped)
        except Exception:
            try:
                return self.header_factory(name, "")
            except Exception:
                return ""


def parse_message(raw: bytes) -> EmailMessage:
    """The message in ``raw`` (what followed DATA), read with the stdlib's modern API. Never
    raises: a message too deep or too divided to read part by part is read as text."""
    policy = _BoundedPolicy(budget=_Budget(MAX_PARSED_HEADER_CHARS))
    if raw.count(b"\n--") <= MAX_BOUNDARY_LINES:
        try:
            return cast(EmailMessage, BytesParser(policy=policy).parsebytes(raw))
        except Exception:  # RecursionError on deeply nested parts, or the parser's own bugs
            pass
    message = cast(EmailMessage, BytesParser(policy=policy).parsebytes(raw, headersonly=True))
    if message.get_content_maintype() == "multipart":
        # The parts stay unread: the whole body is shown as its text.
        del message["Content-Type"]
        del message["Content-Transfer-Encoding"]
        message["Content-Type"] = "text/plain; charset=utf-8"
    return message


# --------------------------------------------------------------------------- text


def storable(text: str) -> str:
    """``text`` with what the database cannot store (NUL, lone surrogates) made U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", text)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _undo_surrogateescape(value: str) -> str:
    """A header sent as raw 8-bit bytes arrives with each byte as a surrogate escape: read the
    bytes as UTF-8 (what such senders mean nearly always), else as Latin-1."""
    if not re.search("[\udc80-\udcff]", value):
        return value
    try:
        data = value.encode("utf-8", "surrogateescape")
    except UnicodeError:
        return value
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _raw_headers(message: EmailMessage, name: str) -> list[str]:
    wanted = name.lower()
    try:
        return [str(value) for key, value in message.raw_items() if key.lower() == wanted]
    except Exception:
        return []


def _parsed(name: str, raw: str) -> Any:
    """The stdlib's header object for a raw value, clipped first; None when it cannot parse it."""
    value = _undo_surrogateescape("".join(_LINE_BREAK.split(raw[:MAX_RAW_HEADER_CHARS])))
    try:
        return default_policy.header_factory(name, value)
    except Exception:
        return None


def header_text(message: EmailMessage, name: str) -> str:
    """The first ``name`` header decoded (encoded words in any charset), on one line."""
    raws = _raw_headers(message, name)
    if not raws:
        return ""
    parsed = _parsed(name, raws[0])
    text = str(parsed) if parsed is not None else _undo_surrogateescape(raws[0][:MAX_RAW_HEADER_CHARS])
    return storable(_one_line(text))


def header_addresses(message: EmailMessage, name: str) -> list[tuple[str, str]]:
    """``(display name, address)`` of each address in the ``name`` headers, at most
    :data:`MAX_ADDRESSES`."""
    found: list[tuple[str, str]] = []
    for raw in _raw_headers(message, name):
        parsed = _parsed(name, raw)
        pairs: list[tuple[str, str]]
        try:
            pairs = [(a.display_name, a.addr_spec) for a in parsed.addresses]  # type: ignore[union-attr]
        except Exception:
            try:
                pairs = email.utils.getaddresses([_undo_surrogateescape(raw[:MAX_RAW_HEADER_CHARS])])
            except Exception:
                pairs = []
        found += [(storable(_one_line(n)), storable(_one_line(a))) for n, a in pairs if a and a.strip()]
    return found[:MAX_ADDRESSES]


def _codec(charset: str | None) -> str:
    """A codec for a part's declared charset: undeclared, ASCII or unknown read as UTF-8 (which
    ASCII is a part of, and what undeclared 8-bit text nearly always is)."""
    if not charset:
        return "utf-8"
    try:
        name = codecs.lookup(charset.strip().strip('"')).name
    except Exception:
        return "utf-8"
    return "utf-8" if name == "ascii" or name in _SLOW_CODECS else name


def decode_text(data: bytes, charset: str | None) -> str:
    """``data`` as text in ``charset``; what does not decode becomes U+FFFD."""
    try:
        text = data.decode(_codec(charset), "replace")
    except Exception:  # a codec that is not a text encoding, or refuses "replace"
        text = data.decode("utf-8", "replace")
    return storable(text)


def _part_text(part: EmailMessage) -> str:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if not isinstance(payload, bytes):
        return ""
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    return decode_text(payload[:MAX_BODY_BYTES], charset)


def _body_part(message: EmailMessage, subtype: str) -> EmailMessage | None:
    try:
        return cast(EmailMessage | None, message.get_body(preferencelist=(subtype,)))
    except Exception:  # RecursionError in a deep structure: take the first such part found
        try:
            for part in cast(Iterator[EmailMessage], message.walk()):
                if part.get_content_type() == f"text/{subtype}" and not part.is_attachment():
                    return part
        except Exception:
            pass
    return None


def tidy(text: str) -> str:
    """Line ends as ``\\n``, no trailing spaces, at most one empty line in a row."""
    lines = [line.rstrip() for line in _LINE_BREAK.split(text)]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def body_text(message: EmailMessage) -> str:
    """The text of a mail: its text/plain body, else its HTML body as text, else nothing."""
    plain_part = _body_part(message, "plain")
    plain = tidy(_part_text(plain_part)) if plain_part is not None else ""
    if plain:
        return plain
    html_part = _body_part(message, "html")
    return html_to_text(_part_text(html_part)) if html_part is not None else ""


class _HtmlText(HTMLParser):
    """Text of HTML as a mail reader shows it: scripts, styles and the head dropped, paragraphs
    apart, other blocks (rows, list items with "- ") on lines of their own, table cells side by
    side, links followed by their address, entities decoded, ``<pre>`` as written."""

    SKIPPED = frozenset({"script", "style", "head", "title", "template", "noscript"})
    PARAGRAPHS = frozenset(
        {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dl", "pre", "blockquote", "hr", "figure"}
    )
    LINES = frozenset(
        {
            "div", "tr", "li", "dt", "dd", "section", "article", "header", "footer", "nav", "aside", "main",
            "figcaption", "address", "form", "fieldset", "details", "summary", "caption", "center", "thead",
            "tbody", "tfoot",
        }
    )  # fmt: skip
    CELLS = frozenset({"td", "th"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.pending = 0  # line breaks owed before the next text
        self.skipping = 0
        self.in_pre = 0
        self.hrefs: list[str | None] = []

    def _break(self, lines: int) -> None:
        self.pending = max(self.pending, lines)

    def _emit(self, text: str) -> None:
        if self.pending and self.out:
            self.out.append("\n" * self.pending)
        self.pending = 0
        self.out.append(text)

    def _block(self, tag: str) -> None:
        if tag in self.PARAGRAPHS:
            self._break(2)
        elif tag in self.LINES:
            self._break(1)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self.skipping += 1
        elif tag == "br":
            self._emit("\n")
        elif tag == "li":
            self._break(1)
            self._emit("- ")
        elif tag in self.CELLS:
            if not self.pending and self.out:
                self.out.append(" ")
        elif tag == "a":
            self.hrefs.append(dict(attrs).get("href"))
        else:
            self._block(tag)
            self.in_pre += tag == "pre"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._emit("\n")
        else:
            self._block(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "a":
            href = (self.hrefs.pop() or "").strip() if self.hrefs else ""
            if href.startswith(("http://", "https://")) and not self.skipping:
                self._emit(f" <{href}>")
        else:
            self._block(tag)
            if tag == "pre":
                self.in_pre = max(0, self.in_pre - 1)

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.in_pre:  # kept as written: its spaces are marked so that text() leaves them
            self._emit(data.replace(" ", _PRE_SPACE).replace("\t", _PRE_TAB))
            return
        collapsed = re.sub(r"\s+", " ", data)
        if collapsed.strip():
            self._emit(collapsed)
        elif self.out and not self.pending:
            self.out.append(" ")

    def text(self) -> str:
        lines = "".join(self.out).split("\n")
        return "\n".join(
            re.sub(" {2,}", " ", line.strip(" ")).replace(_PRE_SPACE, " ").replace(_PRE_TAB, "\t") for line in lines
        )


def _complete_tags(html: str) -> str:
    """``html`` with its comments taken out and every ``<`` that does not open a complete tag
    written as ``&lt;``, in one pass. Python's HTMLParser rescans the rest of its input at each
    unfinished construct (``<a <a <a ...``, an unclosed comment): minutes for 300 KB."""
    out: list[str] = []
    at, end = 0, len(html)
    while at < end:
        lt = html.find("<", at)
        if lt < 0:
            out.append(html[at:])
            break
        out.append(html[at:lt])
        if html.startswith("<!--", lt):
            close = html.find("-->", lt + 4)
            if close < 0:  # an unclosed comment hides the rest, as in a browser
                break
            at = close + 3
            continue
        tag = _COMPLETE_TAG.match(html, lt)
        if tag is None:
            out.append("&lt;")
            at = lt + 1
        else:
            out.append(tag.group())
            at = tag.end()
    return "".join(out)


def html_to_text(html: str) -> str:
    """The text a reader sees in ``html`` (at most :data:`MAX_HTML_CHARS` of it are read)."""
    source = _complete_tags(html[:MAX_HTML_CHARS])
    parser = _HtmlText()
    try:
        parser.feed(source)
        parser.close()
        text = parser.text()
    except Exception:  # the parser's asserts on broken markup: strip the tags instead
        text = unescape(re.sub(r"<[^>]*>", " ", source))
    return tidy(storable(text))


# --------------------------------------------------------------------------- the event


def normalised_subject(subject: str) -> str:
    """A subject as an alert key: "Re:"/"Fwd:" prefixes and extra whitespace gone."""
    return _REPLY_PREFIX.sub("", _one_line(subject)).strip()


def _clip_key(key: str) -> str:
    """At most 255 characters, also once lower-cased (some characters lower-case to two)."""
    key = _one_line(key)[:MAX_ALERT_KEY_CHARS]
    while len(key.lower()) > MAX_ALERT_KEY_CHARS:
        key = key[:-1]
    return key.strip()


def _matched_key(pattern: Pattern, text: str) -> str:
    found = pattern.search(text)
    if found is None:
        return ""
    groups = [g for g in found.groups() if g is not None and g.strip()]
    return _clip_key(groups[0] if groups else found.group(0))


def _first_match(patterns: tuple[Pattern, ...], *texts: str) -> tuple[int, int, int] | None:
    """``(index of the text, start, end)`` of the first resolve pattern found, or None."""
    for pattern in patterns:
        for index, text in enumerate(texts):
            found = pattern.search(text)
            if found is not None:
                return index, found.start(), found.end()
    return None


def alert_key(settings: EmailSettings, subject: str, body: str, resolve_span: tuple[int, int] | None = None) -> str:
    """The alert key of a mail (see the module's docstring). ``resolve_span``: where a resolve
    pattern matched in ``subject``, left out of the default key."""
    if settings.alert_key_pattern is not None:
        searched = body if settings.alert_key_from is KeyFrom.BODY else subject
        key = _matched_key(settings.alert_key_pattern, searched)
        if key:
            return key
    if resolve_span is not None:
        start, end = resolve_span
        trimmed = (subject[:start].rstrip(_KEY_EDGE) + " " + subject[end:].lstrip(_KEY_EDGE)).strip(_KEY_EDGE)
        if trimmed.strip():
            subject = trimmed
    return _clip_key(normalised_subject(subject)) or NO_SUBJECT


def _attachments(message: EmailMessage) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    try:
        for part in message.iter_attachments():
            if len(found) >= MAX_ATTACHMENTS:
                break
            name = part.get_filename() or ""
            found.append({"filename": storable(_clip(_one_line(str(name)), 200)), "contentType": part.get_content_type()})
    except Exception:
        pass
    return found


def _extra_headers(message: EmailMessage) -> dict[str, str]:
    kept: dict[str, str] = {}
    try:
        names = [key for key, _ in message.raw_items()]
    except Exception:
        return kept
    for name in names:
        lower = name.lower()
        wanted = (lower.startswith("x-") and not lower.startswith(NOISY_PREFIXES)) or lower in EXTRA_HEADERS
        shown = storable(_one_line(name))[:100]
        if not wanted or shown in kept:
            continue
        kept[shown] = _clip(header_text(message, name), MAX_DETAIL_VALUE_CHARS)
        if len(kept) >= MAX_EXTRA_HEADERS:
            break
    return kept


def custom_details(message: EmailMessage, delivery: Delivery, subject: str) -> dict[str, Any]:
    senders = header_addresses(message, "from")
    details: dict[str, Any] = {
        "from": senders[0][1] if senders else "",
        "to": [address for _, address in header_addresses(message, "to")],
        "cc": [address for _, address in header_addresses(message, "cc")],
        "subject": _clip(subject, MAX_DETAIL_VALUE_CHARS),
        "envelopeFrom": storable(delivery.envelope_from),
        "recipient": storable(delivery.recipient),
    }
    if senders and senders[0][0]:
        details["fromName"] = _clip(senders[0][0], MAX_DETAIL_VALUE_CHARS)
    if delivery.tag:
        details["tag"] = storable(delivery.tag)
    for name, key in (("date", "date"), ("message-id", "messageId")):
        value = header_text(message, name)
        if value:
            details[key] = _clip(value, MAX_DETAIL_VALUE_CHARS)
    headers = _extra_headers(message)
    if headers:
        details["headers"] = headers
    attachments = _attachments(message)
    if attachments:
        details["attachments"] = attachments
    return details


def from_addresses(message: EmailMessage) -> list[str]:
    """The addresses of the From header (what a sender allowlist checks besides the envelope)."""
    return [address for _, address in header_addresses(message, "from")]


def sender_allowed(settings: EmailSettings, envelope_from: str, message: EmailMessage | None = None) -> bool:
    """Whether the source takes this mail: its allowlist (if any) names the envelope sender or,
    once the message is known, an address of its From header."""
    if settings.allows(envelope_from):
        return True
    return message is not None and any(settings.allows(address) for address in from_addresses(message))


def email_event(message: EmailMessage, settings: EmailSettings, delivery: Delivery) -> EventInput:
    """The event a mail means for a source with these settings."""
    subject = header_text(message, "subject")
    body = body_text(message)
    resolve = _first_match(settings.resolve_patterns, subject, body)
    span = (resolve[1], resolve[2]) if resolve is not None and resolve[0] == 0 else None
    details = body if len(body) <= MAX_DETAILS_CHARS else body[: MAX_DETAILS_CHARS - len(CUT_MARK)] + CUT_MARK
    return EventInput(
        event_type=EventType.RESOLVE if resolve is not None else EventType.ALERT,
        summary=_clip(subject, MAX_SUMMARY_CHARS) if subject else NO_SUBJECT,
        details=details or None,
        alert_key=alert_key(settings, subject, body, span),
        custom_details=custom_details(message, delivery, subject),
        via=VIA,
    )
