"""The pictures of pagerline's chat messages in the docs (docs/integrations/images/), drawn from
exactly what pagerline sends, so they cannot drift from the code.

Run from the repo root:  PYTHONPATH=. .venv/bin/python scripts/chat_screenshots.py [OUT_DIR]   (`make screenshots`)

OUT_DIR defaults to docs/integrations/images. Needs Debian's chromium (/usr/bin/chromium, driven
by Playwright as in the browser tests) and web/node_modules (`make web`) for Microsoft's
adaptivecards SDK.

One sample alert, new (pending, HIGH) and then accepted by Alice, is turned into an
:class:`~pagerline.engine.chat.card.AlertCard` by :func:`~pagerline.engine.chat.card.card_for`
(so its buttons follow the alert's state as they do in production), and each platform's own
builder makes the payload pagerline sends:

- Microsoft Teams: :func:`~pagerline.engine.chat.teams_card.adaptive_card`, rendered by
  Microsoft's Adaptive Cards renderer (the ``adaptivecards`` npm package) with a host config
  resembling Teams' light theme. The SDK ships no markdown processor; Teams formats a subset of
  markdown, so a small one (backslash escapes, bold, italic, line breaks) stands in.
- Slack: the Block Kit blocks of :func:`~pagerline.engine.chat.slack_message.alert_message`.
- Mattermost: the post's message and props of
  :func:`~pagerline.engine.chat.mattermost_message.alert_post`.

Slack and Mattermost have no renderer that runs outside their clients, so their messages are
drawn by the small HTML templates below, laid out the way those clients lay them out. They are
not screenshots of Slack or Mattermost: the clients' own styling differs in detail (the docs'
captions say so). The sender's avatar, name and time are part of the drawing, not the payload.
"""

from __future__ import annotations

import base64
import html
import re
import struct
import sys
import zlib
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

from pagerline.engine.chat.card import AlertCard, card_for
from pagerline.engine.chat.links import sign_link
from pagerline.engine.chat.mattermost_message import alert_post
from pagerline.engine.chat.slack_message import alert_message
from pagerline.engine.chat.teams_card import adaptive_card
from pagerline.models import Alert, AlertStatus, Priority
from tests.support.browser import chromium  # the same headless chromium the browser tests drive

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "integrations" / "images"
ADAPTIVE_CARDS = ROOT / "web" / "node_modules" / "adaptivecards" / "dist" / "adaptivecards.min.js"
SCALE = 2  # device pixels per CSS pixel: sharp on high-density screens, still small files

BASE_URL = "https://pagerline.example.com"
DOCS_KEY = b"docs-pictures-only"  # signs the sample's links (Teams, Mattermost); shown nowhere
SIGNED_AT = datetime(2025, 1, 1, tzinfo=UTC)

NAMES = {
    ("slack", "new"): "slack-alert-new.png",
    ("slack", "accepted"): "slack-alert-accepted.png",
    ("mattermost", "new"): "mattermost-alert-new.png",
    ("mattermost", "accepted"): "mattermost-alert-accepted.png",
    ("teams", "new"): "teams-card-new.png",
    ("teams", "accepted"): "teams-card-accepted.png",
}


def sample_cards() -> dict[str, AlertCard]:
    """The sample alert as each platform is given it: new, and after Alice accepted it."""

    def alert(status: AlertStatus, accepted_by: str | None) -> Alert:
        # card_for reads only these attributes, so a stand-in needs no database.
        return cast(Alert, SimpleNamespace(
            id=1042,
            summary="High error rate on checkout-api",
            details="5xx responses at 7.4% over the last 10 minutes (threshold 2%).\nStarted 14:02 UTC, after deploy checkout-api v2.31.0.",
            status=status,
            priority=Priority.HIGH,
            source=SimpleNamespace(name="Alertmanager"),
            escalation_rule_index=0,
            accepted_by=SimpleNamespace(name=accepted_by) if accepted_by else None,
            resolved_by=None,
        ))

    return {
        "new": card_for(alert(AlertStatus.PENDING, None), BASE_URL),
        "accepted": card_for(alert(AlertStatus.ACCEPTED, "Alice"), BASE_URL),
    }


# --- Slack: Block Kit, drawn ------------------------------------------------------------------

SLACK_CSS = """
body { margin: 0; background: #fff; font: 15px/1.46668 Lato, "Liberation Sans", Arial, sans-serif; color: #1d1c1d; }
#shot { width: 560px; padding: 12px 16px 14px; box-sizing: border-box; display: flex; gap: 8px; background: #fff; }
.avatar { flex: none; width: 36px; height: 36px; border-radius: 6px; background: #2f6f62; color: #fff;
  font-weight: 700; font-size: 18px; display: flex; align-items: center; justify-content: center; }
.body { flex: 1; min-width: 0; }
.sender { line-height: 22px; }
.sender b { font-weight: 900; }
.app { font-size: 10px; font-weight: 700; color: rgba(29,28,29,.7); background: rgba(29,28,29,.13); border-radius: 2px;
  padding: 1px 3px; margin: 0 4px; vertical-align: 1px; }
.time { font-size: 12px; color: #616061; }
.header { font-size: 18px; font-weight: 900; line-height: 1.33; margin: 6px 0 4px; }
.fields { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 16px; margin: 8px 0; }
.section { margin: 8px 0; white-space: normal; }
.context { font-size: 13px; color: #616061; margin: 6px 0; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin: 12px 0 4px; }
.btn { height: 28px; padding: 0 12px; border-radius: 4px; border: 1px solid rgba(29,28,29,.3); background: #fff;
  font: 700 13px "Liberation Sans", Arial, sans-serif; color: #1d1c1d; display: inline-flex; align-items: center; }
.btn.primary { background: #007a5a; border-color: #007a5a; color: #fff; }
.btn.danger { background: #e01e5a; border-color: #e01e5a; color: #fff; }
"""


def slack_html(blocks: list[dict[str, Any]]) -> str:
    drawn = []
    for block in blocks:
        kind = block["type"]
        if kind == "header":
            drawn.append(f'<div class="header">{_plain(block["text"])}</div>')
        elif kind == "section" and "fields" in block:
            drawn.append('<div class="fields">' + "".join(f"<div>{_text(f)}</div>" for f in block["fields"]) + "</div>")
        elif kind == "section":
            drawn.append(f'<div class="section">{_text(block["text"])}</div>')
        elif kind == "context":
            drawn.append('<div class="context">' + " ".join(_text(e) for e in block["elements"]) + "</div>")
        elif kind == "actions":
            buttons = (f'<span class="btn {e.get("style", "")}">{_plain(e["text"])}</span>' for e in block["elements"])
            drawn.append('<div class="actions">' + "".join(buttons) + "</div>")
        else:
            raise ValueError(f"no drawing for Slack's {kind!r} block: add one to scripts/chat_screenshots.py")
    return (
        f"<style>{SLACK_CSS}</style><div id=shot><div class=avatar>p</div><div class=body>"
        '<div class=sender><b>pagerline</b><span class=app>APP</span><span class=time>2:04 PM</span></div>'
        + "".join(drawn) + "</div></div>"
    )


def _plain(text: dict[str, Any]) -> str:
    return html.escape(text["text"]).replace("\n", "<br>")


def _text(text: dict[str, Any]) -> str:
    if text["type"] == "plain_text":
        return _plain(text)
    return _mrkdwn(text["text"])


def _mrkdwn(text: str) -> str:
    """Slack's mrkdwn as HTML, for what pagerline's blocks use: *bold*, <#channel> and line breaks.
    The text arrives with &, < and > already escaped the way Slack wants them, which is HTML's way
    too; anything else that HTML would read is escaped here."""
    text = text.replace('"', "&quot;")
    text = re.sub(r"<#([A-Z0-9]+)(?:\|([^>]*))?>", lambda m: f'<span style="color:#1264a3">#{m.group(2) or m.group(1)}</span>', text)
    text = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"<b>\1</b>", text)
    return text.replace("\n", "<br>")


# --- Mattermost: the post's message and attachment, drawn --------------------------------------

MATTERMOST_CSS = """
body { margin: 0; background: #fff; font: 14px/20px "Open Sans", "Liberation Sans", Arial, sans-serif; color: #3f4350; }
#shot { width: 560px; padding: 12px 16px 14px; box-sizing: border-box; display: flex; gap: 12px; background: #fff; }
.avatar { flex: none; width: 32px; height: 32px; border-radius: 50%; background: #2f6f62; color: #fff; font-weight: 700;
  display: flex; align-items: center; justify-content: center; }
.body { flex: 1; min-width: 0; }
.sender b { font-weight: 700; color: #3f4350; }
.bot { font-size: 10px; font-weight: 600; background: rgba(63,67,80,.08); border-radius: 2px; padding: 1px 4px; margin: 0 6px; vertical-align: 1px; }
.time { font-size: 12px; color: rgba(63,67,80,.64); }
.message { margin: 2px 0 6px; }
.attachment { display: flex; border: 1px solid rgba(63,67,80,.16); border-radius: 4px; overflow: hidden; margin-top: 6px; }
.bar { flex: none; width: 4px; }
.content { flex: 1; padding: 12px 14px 14px; }
.title { font-weight: 600; font-size: 15px; color: #1c58d9; margin-bottom: 6px; }
.text { margin-bottom: 6px; }
.fields { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 16px; margin: 10px 0; }
.fields .long { grid-column: 1 / -1; }
.fields h4 { margin: 0; font-size: 14px; font-weight: 600; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 12px; }
.btn { height: 32px; padding: 0 16px; border-radius: 4px; font-weight: 600; font-size: 12px; display: inline-flex; align-items: center;
  border: 1px solid rgba(63,67,80,.16); background: rgba(63,67,80,.08); color: #3f4350; }
.btn.primary { background: #1c58d9; border-color: #1c58d9; color: #fff; }
.btn.good { background: rgba(6,214,160,.08); border-color: rgba(6,214,160,.5); color: #1a7a5b; }
.btn.danger { background: rgba(210,75,78,.08); border-color: rgba(210,75,78,.5); color: #b83b3e; }
.btn.success { background: #06d6a0; border-color: #06d6a0; color: #fff; }
.btn.warning { background: rgba(255,188,31,.12); border-color: #ffbc1f; color: #8a6100; }
"""


def mattermost_html(message: str, props: dict[str, Any]) -> str:
    attachments = []
    for attachment in props["attachments"]:
        fields = "".join(
            f'<div class="{"" if f.get("short") else "long"}"><h4>{_md(f["title"])}</h4><div>{_md(f["value"])}</div></div>'
            for f in attachment.get("fields", [])
        )
        buttons = "".join(f'<span class="btn {a.get("style", "default")}">{html.escape(a["name"])}</span>' for a in attachment.get("actions", []))
        attachments.append(
            f'<div class=attachment><div class=bar style="background:{html.escape(attachment.get("color", "#8a8a8a"))}"></div><div class=content>'
            f'<div class=title>{_md(attachment["title"])}</div>'
            + (f'<div class=text>{_md(attachment["text"])}</div>' if attachment.get("text") else "")
            + (f"<div class=fields>{fields}</div>" if fields else "")
            + (f"<div class=actions>{buttons}</div>" if buttons else "")
            + "</div></div>"
        )
    return (
        f"<style>{MATTERMOST_CSS}</style><div id=shot><div class=avatar>p</div><div class=body>"
        '<div class=sender><b>pagerline</b><span class=bot>BOT</span><span class=time>2:04 PM</span></div>'
        f"<div class=message>{_md(message)}</div>" + "".join(attachments) + "</div></div>"
    )


def _md(text: str) -> str:
    """Mattermost's markdown, as far as pagerline's posts use it: plain text and line breaks."""
    return html.escape(text).replace("\n", "<br>")


# --- Microsoft Teams: the Adaptive Card, rendered by Microsoft's SDK ---------------------------

# Resembling Teams' light theme (Teams' own host config is not published as a package).
TEAMS_HOST_CONFIG: dict[str, Any] = {
    "fontFamily": '"Segoe UI", "Liberation Sans", Arial, sans-serif',
    "fontSizes": {"small": 12, "default": 14, "medium": 14, "large": 18, "extraLarge": 24},
    "fontWeights": {"lighter": 200, "default": 400, "bolder": 600},
    "spacing": {"small": 8, "default": 12, "medium": 16, "large": 20, "extraLarge": 24, "padding": 16},
    "supportsInteractivity": True,
    "containerStyles": {
        "default": {
            "backgroundColor": "#ffffff",
            "foregroundColors": {
                "default": {"default": "#242424", "subtle": "#616161"},
                "accent": {"default": "#5b5fc7", "subtle": "#7f85f5"},
                "good": {"default": "#237b4b", "subtle": "#237b4b"},
                "warning": {"default": "#835c00", "subtle": "#835c00"},
                "attention": {"default": "#c4314b", "subtle": "#c4314b"},
            },
        },
    },
    "actions": {"maxActions": 6, "spacing": "default", "buttonSpacing": 8, "actionsOrientation": "horizontal", "actionAlignment": "left"},
    "factSet": {
        "title": {"weight": "bolder", "size": "default", "wrap": True, "maxWidth": 150},
        "value": {"weight": "default", "size": "default", "wrap": True},
        "spacing": 16,
    },
}

TEAMS_CSS = """
body { margin: 0; background: #f5f5f5; }
#shot { width: 480px; padding: 14px; box-sizing: border-box; background: #f5f5f5; }
#card { background: #fff; border-radius: 6px; box-shadow: 0 1px 2px rgba(0,0,0,.14), 0 0 2px rgba(0,0,0,.12); overflow: hidden; }
.ac-pushButton { font: 600 14px "Segoe UI", "Liberation Sans", Arial, sans-serif; height: 32px; padding: 0 12px;
  border: 1px solid #d1d1d1; border-radius: 4px; background: #fff; color: #242424; cursor: pointer; overflow: hidden;
  text-overflow: ellipsis; white-space: nowrap; flex: 0 1 auto !important; }
.ac-pushButton.style-positive { background: #5b5fc7; border-color: #5b5fc7; color: #fff; }
.ac-pushButton.style-destructive { color: #c4314b; }
"""

TEAMS_RENDER = r"""
({ card, hostConfig }) => {
  const escape = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  // The markdown Teams formats, as far as a card's text is likely to use it.
  AdaptiveCards.AdaptiveCard.onProcessMarkdown = (text, result) => {
    const stash = [];
    let out = text.replace(/\\([!-\/:-@\[-`{-~])/g, (_, c) => { stash.push(c); return "\u0000" + (stash.length - 1) + "\u0000"; });
    out = escape(out)
      .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
      .replace(/(^|[^\w])[*_]([^*_\n]+)[*_](?!\w)/g, "$1<em>$2</em>")
      .replace(/\n/g, "<br>")
      .replace(/\u0000(\d+)\u0000/g, (_, i) => escape(stash[Number(i)]));
    result.outputHtml = "<p>" + out + "</p>";
    result.didProcess = true;
  };
  const adaptiveCard = new AdaptiveCards.AdaptiveCard();
  adaptiveCard.hostConfig = new AdaptiveCards.HostConfig(hostConfig);
  adaptiveCard.parse(card);
  const rendered = adaptiveCard.render();
  if (!rendered || !rendered.classList.contains("ac-adaptiveCard")) throw new Error("the Adaptive Cards SDK rendered no card");
  document.getElementById("card").appendChild(rendered);
  const buttons = rendered.querySelectorAll("button.ac-pushButton").length;
  if (buttons !== card.actions.length) throw new Error(`the SDK drew ${buttons} buttons for ${card.actions.length} actions`);
  return rendered.innerText;
}
"""


# --- Taking the pictures ------------------------------------------------------------------------


def generate(out: Path = OUT, browser: Browser | None = None) -> dict[str, str]:
    """Write the six pictures into ``out``; each file's name and the text the browser drew in it
    (for Teams, what Microsoft's renderer drew from the card)."""
    if browser is None:
        with chromium() as launched:
            return generate(out, launched)
    out.mkdir(parents=True, exist_ok=True)
    drawn: dict[str, str] = {}
    context = browser.new_context(device_scale_factor=SCALE, viewport={"width": 700, "height": 900})
    try:
        page, packer = context.new_page(), context.new_page()
        for state, card in sample_cards().items():
            slack = alert_message(card).blocks
            drawn[NAMES["slack", state]] = _shoot(page, packer, slack_html(slack), out / NAMES["slack", state])
            post = alert_post(card, BASE_URL, DOCS_KEY)
            drawn[NAMES["mattermost", state]] = _shoot(page, packer, mattermost_html(post.text, post.blocks[0]), out / NAMES["mattermost", state])
            drawn[NAMES["teams", state]] = _shoot_teams(page, packer, teams_payload(card), out / NAMES["teams", state])
    finally:
        context.close()
    return drawn


def teams_payload(card: AlertCard) -> dict[str, Any]:
    """The card as TeamsClient.post makes it (the signed links are not shown)."""
    return adaptive_card(card, lambda action: sign_link(DOCS_KEY, BASE_URL, card.alert_id, action, SIGNED_AT))


def _shoot(page: Page, packer: Page, body: str, path: Path) -> str:
    page.set_content(f"<!doctype html><html lang=en><meta charset=utf-8><body>{body}</body></html>")
    page.evaluate("document.fonts.ready")
    shot = page.locator("#shot")
    path.write_bytes(_small_png(packer, shot.screenshot(animations="disabled")))
    return shot.inner_text()


def _shoot_teams(page: Page, packer: Page, card: dict[str, Any], path: Path) -> str:
    if not ADAPTIVE_CARDS.exists():
        raise SystemExit(f"{ADAPTIVE_CARDS} is missing: run `make web` first")
    page.set_content(f"<!doctype html><html lang=en><meta charset=utf-8><style>{TEAMS_CSS}</style><body><div id=shot><div id=card></div></div></body></html>")
    page.add_script_tag(path=str(ADAPTIVE_CARDS))
    text = page.evaluate(TEAMS_RENDER, {"card": card, "hostConfig": TEAMS_HOST_CONFIG})
    page.evaluate("document.fonts.ready")
    path.write_bytes(_small_png(packer, page.locator("#shot").screenshot(animations="disabled")))
    return str(text)


# The screenshot's pixels in 256 colours: its most frequent ones (over 99% of the pixels of these
# pictures, the rest being the edges of letters), each other colour drawn as the nearest of them.
PALETTE = """
async (png) => {
  const image = new Image();
  image.src = "data:image/png;base64," + png;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const pixels = context.getImageData(0, 0, image.width, image.height).data;
  const counts = new Map();
  for (let i = 0; i < pixels.length; i += 4) {
    const rgb = (pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2];
    counts.set(rgb, (counts.get(rgb) || 0) + 1);
  }
  const palette = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 256).map(([rgb]) => rgb);
  const index = new Map(palette.map((rgb, i) => [rgb, i]));
  const nearest = (rgb) => {
    let best = 0, bestDistance = Infinity;
    palette.forEach((p, i) => {
      const d = ((p >> 16) - (rgb >> 16)) ** 2 + (((p >> 8) & 255) - ((rgb >> 8) & 255)) ** 2 + ((p & 255) - (rgb & 255)) ** 2;
      if (d < bestDistance) { best = i; bestDistance = d; }
    });
    index.set(rgb, best);
    return best;
  };
  const rows = new Uint8Array((image.width + 1) * image.height);  // each row: filter type 0, indices
  for (let y = 0, o = 0; y < image.height; y++) {
    rows[o++] = 0;
    for (let x = 0; x < image.width; x++) {
      const i = (y * image.width + x) * 4;
      const rgb = (pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2];
      rows[o++] = index.has(rgb) ? index.get(rgb) : nearest(rgb);
    }
  }
  let binary = "";
  for (let i = 0; i < rows.length; i += 32768) binary += String.fromCharCode(...rows.subarray(i, i + 32768));
  return { width: image.width, height: image.height, palette, rows: btoa(binary) };
}
"""


def _small_png(packer: Page, png: bytes) -> bytes:
    """``png`` (a screenshot: opaque RGB) as an 8-bit palette PNG, about half the size."""
    packed = packer.evaluate(PALETTE, base64.b64encode(png).decode())
    palette = b"".join(struct.pack(">I", rgb)[1:] for rgb in packed["palette"])
    header = struct.pack(">IIBBBBB", packed["width"], packed["height"], 8, 3, 0, 0, 0)
    rows = zlib.compress(base64.b64decode(packed["rows"]), 9)
    return b"\x89PNG\r\n\x1a\n" + b"".join(_chunk(kind, data) for kind, data in ((b"IHDR", header), (b"PLTE", palette), (b"IDAT", rows), (b"IEND", b"")))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def main(argv: list[str]) -> None:
    out = Path(argv[0]) if argv else OUT
    for name, _ in generate(out).items():
        path = out / name
        print(f"{path}  {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(sys.argv[1:])
