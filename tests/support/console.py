"""Reads what the console transport 'sent' (JSON lines in a file)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def sent(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def sent_to(path: Path, user_id: int, alert_id: int | None = None) -> list[dict[str, Any]]:
    return [m for m in sent(path) if m["user_id"] == user_id and (alert_id is None or m["alert_id"] == alert_id)]


def pages(path: Path) -> list[dict[str, Any]]:
    """Only the pages (not update pushes that follow an accept or resolve)."""
    return [m for m in sent(path) if m["kind"] == "PAGE"]
