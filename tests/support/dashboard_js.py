"""The GraphQL documents the browser dashboard sends, read from its own source.

Tests and benchmarks that measure "what the dashboard costs" send exactly these, so they follow
the dashboard when its queries change. The documents are JavaScript template literals that
interpolate other constants (``${ALERT_FIELDS}``, ``${TIMELINE_FIRST}``): they are filled in
here the way the browser fills them.
"""

from __future__ import annotations

import re
from pathlib import Path

DASHBOARD_JS = Path(__file__).resolve().parents[2] / "pagerline" / "web" / "static" / "dashboard.js"

_NUMBER = re.compile(r"^const (\w+) = ([\d_]+);$", re.M)
_STRING = re.compile(r'^const (\w+) = "([^"\n]*)";$', re.M)
_TEMPLATE = re.compile(r"^const (\w+) = `([^`]*)`;$", re.M)
# Documents kept as properties of an object (``accept: `mutation ...`,``).
_PROPERTY = re.compile(r"^\s*([a-z]\w*): `([^`]*)`", re.M)
_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


def dashboard_documents(path: Path = DASHBOARD_JS) -> dict[str, str]:
    """Every constant and document of the dashboard's source by name, interpolations filled in."""
    source = path.read_text()
    constants = {name: number.replace("_", "") for name, number in _NUMBER.findall(source)}
    for pattern in (_STRING, _TEMPLATE, _PROPERTY):
        constants.update(pattern.findall(source))

    def filled(text: str) -> str:
        return _PLACEHOLDER.sub(lambda found: filled(constants[found.group(1)]), text)

    return {name: filled(text) for name, text in constants.items()}


def dashboard_document(name: str, path: Path = DASHBOARD_JS) -> str:
    """One document (``"DASHBOARD"``, ``"ON_CALL"``, ``"accept"``…); a clear error when the
    dashboard no longer defines it, so the caller is updated rather than silently measuring
    something else."""
    documents = dashboard_documents(path)
    if name not in documents:
        raise LookupError(f"{path} no longer defines {name}")
    return documents[name]
