"""The docs' pictures of the chat messages (scripts/chat_screenshots.py), made into a temporary
folder so the generator cannot rot: six valid PNGs of a sensible size, the Teams card drawn by
Microsoft's Adaptive Cards SDK with its headline and buttons, and each picture showing the
buttons the alert's state allows."""

from __future__ import annotations

import importlib.util
import struct
import zlib
from pathlib import Path
from types import ModuleType

import pytest

from tests.support.browser import needs_chromium

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "chat_screenshots.py"
ADAPTIVE_CARDS = ROOT / "web" / "node_modules" / "adaptivecards" / "dist" / "adaptivecards.min.js"

pytestmark = [
    needs_chromium,
    pytest.mark.skipif(not ADAPTIVE_CARDS.exists(), reason="needs Microsoft's adaptivecards in web/node_modules: run `make web` (`make test` does)"),
]

HEADLINE = "#1042 High error rate on checkout-api"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("chat_screenshots", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a well-formed PNG (every chunk's CRC right, image data inflating)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, kinds, image = 8, [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        kinds.append(kind)
        image += body if kind == b"IDAT" else b""
        pos += 12 + length
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"IDAT" in kinds
    width, height = struct.unpack(">II", data[16:24])
    assert zlib.decompress(image)  # the pixels inflate
    return width, height


def _lines(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines() if line.strip()}


def test_the_generator_draws_every_picture(tmp_path: Path) -> None:
    drawn = _script().generate(tmp_path)

    expected = {f"{name}-{state}.png" for name in ("slack-alert", "mattermost-alert", "teams-card") for state in ("new", "accepted")}
    assert set(drawn) == expected
    for name in expected:
        data = (tmp_path / name).read_bytes()
        width, height = _png_size(data)
        assert width > 100 and height > 100, (name, width, height)
        assert len(data) < 100_000, (name, len(data))

    for platform in ("slack-alert", "mattermost-alert", "teams-card"):
        new, accepted = _lines(drawn[f"{platform}-new.png"]), _lines(drawn[f"{platform}-accepted.png"])
        assert HEADLINE in new and HEADLINE in accepted, platform
        assert {"Pending", "HIGH", "Alertmanager", "Accept", "Resolve", "Escalate"} <= new, (platform, new)
        assert "Accepted by Alice" in accepted and "Accept" not in accepted, (platform, accepted)
        assert {"Resolve", "Escalate"} <= accepted, (platform, accepted)

    # Microsoft's renderer drew the card's "Open" button (a link to the alert), and no Comment:
    # comments are made on the alert's page.
    teams = _lines(drawn["teams-card-new.png"])
    assert "Open" in teams and "Comment" not in teams
    assert "Comment" in _lines(drawn["slack-alert-new.png"]) and "Comment" in _lines(drawn["mattermost-alert-new.png"])
