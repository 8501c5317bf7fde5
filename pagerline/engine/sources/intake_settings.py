"""How a source reads what the email, PagerDuty- and Opsgenie-compatible intakes receive.

Stored as one JSON object on the source (``intake_settings``), validated when saved, compiled
once per policy load. Every part is optional; what is missing takes the defaults, which are
what a team moving over expects without setting anything:

``email``
    ``alertKeyPattern``: a regular expression searched in the subject (``alertKeyFrom``
    ``SUBJECT``, the default) or the text body (``BODY``); its first group, or the whole match,
    is the alert key. Without one, the subject (trimmed of "Re:"/"Fwd:" and whitespace) is the
    key, so a repeated subject joins the open alert. ``resolvePatterns``: expressions that,
    found in the subject or body, make the mail resolve the alert of its key. ``allowedSenders``:
    addresses (``ops@example.com``) or domains (``@example.com``); when given, mail from anyone
    else is refused.
``pagerdutySeverities``
    ``{"critical": "HIGH", "error": "HIGH", "warning": "LOW", "info": "LOW"}`` by default.
``opsgeniePriorities``
    ``{"P1": "HIGH", "P2": "HIGH", "P3": "LOW", "P4": "LOW", "P5": "LOW"}`` by default.

Patterns are Python regular expressions, matched with a time limit against at most
:data:`MAX_MATCHED_CHARS` of the text, so a pattern that backtracks badly cannot stall the
intake.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Any

import regex

from pagerline.models import Priority

PAGERDUTY_SEVERITIES = ("critical", "error", "warning", "info")
OPSGENIE_PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
DEFAULT_PAGERDUTY = MappingProxyType({"critical": Priority.HIGH, "error": Priority.HIGH, "warning": Priority.LOW, "info": Priority.LOW})
DEFAULT_OPSGENIE = MappingProxyType({"P1": Priority.HIGH, "P2": Priority.HIGH, "P3": Priority.LOW, "P4": Priority.LOW, "P5": Priority.LOW})
MAX_PATTERN_CHARS = 500
MAX_PATTERNS = 20
MAX_SENDERS = 200
MAX_MATCHED_CHARS = 100_000  # of a body: the start of a mail is where monitoring tools write
MATCH_TIMEOUT_SECONDS = 0.05


class IntakeSettingsError(ValueError):
    """A setting that is not valid; ``field`` names it as the JSON path, e.g.
    ``intakeSettings.email.resolvePatterns[1]``."""

    def __init__(self, field_path: str, message: str) -> None:
        super().__init__(f"{field_path}: {message}")
        self.field = field_path
        self.message = message


class KeyFrom(str, Enum):
    SUBJECT = "SUBJECT"
    BODY = "BODY"


@dataclass(frozen=True, slots=True)
class Pattern:
    """A compiled expression that gives up (as "no match") rather than run away."""

    source: str
    compiled: regex.Pattern[str]

    def search(self, text: str) -> regex.Match[str] | None:
        try:
            return self.compiled.search(text[:MAX_MATCHED_CHARS], timeout=MATCH_TIMEOUT_SECONDS)
        except TimeoutError:
            return None


@dataclass(frozen=True, slots=True)
class EmailSettings:
    alert_key_pattern: Pattern | None = None
    alert_key_from: KeyFrom = KeyFrom.SUBJECT
    resolve_patterns: tuple[Pattern, ...] = ()
    allowed_senders: tuple[str, ...] = ()  # lower-case addresses, or "@domain"

    def allows(self, sender: str) -> bool:
        """Whether mail from ``sender`` (an address, any case) may open or resolve alerts."""
        if not self.allowed_senders:
            return True
        address = sender.strip().lower()
        domain = "@" + address.rpartition("@")[2]
        return address in self.allowed_senders or domain in self.allowed_senders


@dataclass(frozen=True, slots=True)
class IntakeSettings:
    email: EmailSettings = field(default_factory=EmailSettings)
    pagerduty_severities: Mapping[str, Priority] = field(default_factory=lambda: DEFAULT_PAGERDUTY)
    opsgenie_priorities: Mapping[str, Priority] = field(default_factory=lambda: DEFAULT_OPSGENIE)


DEFAULT_SETTINGS = IntakeSettings()


def compile_intake_settings(raw: Any) -> IntakeSettings:
    """``raw`` (the stored or given JSON; None is the defaults) checked and compiled."""
    if raw is None:
        return DEFAULT_SETTINGS
    root = "intakeSettings"
    obj = _object(raw, root, {"email", "pagerdutySeverities", "opsgeniePriorities"})
    return IntakeSettings(
        email=_email(obj.get("email"), f"{root}.email"),
        pagerduty_severities=_priorities(obj.get("pagerdutySeverities"), f"{root}.pagerdutySeverities", DEFAULT_PAGERDUTY),
        opsgenie_priorities=_priorities(obj.get("opsgeniePriorities"), f"{root}.opsgeniePriorities", DEFAULT_OPSGENIE),
    )


def _object(raw: Any, path: str, known: set[str]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise IntakeSettingsError(path, "must be an object")
    unknown = sorted(set(raw) - known)
    if unknown:
        raise IntakeSettingsError(f"{path}.{unknown[0]}", f"is not a setting (known: {', '.join(sorted(known))})")
    return raw


def _email(raw: Any, path: str) -> EmailSettings:
    if raw is None:
        return EmailSettings()
    obj = _object(raw, path, {"alertKeyPattern", "alertKeyFrom", "resolvePatterns", "allowedSenders"})
    key_pattern = obj.get("alertKeyPattern")
    key_from = obj.get("alertKeyFrom", KeyFrom.SUBJECT.value)
    if key_from not in {k.value for k in KeyFrom}:
        raise IntakeSettingsError(f"{path}.alertKeyFrom", "must be SUBJECT or BODY")
    return EmailSettings(
        alert_key_pattern=None if key_pattern is None else _pattern(key_pattern, f"{path}.alertKeyPattern"),
        alert_key_from=KeyFrom(key_from),
        resolve_patterns=tuple(_pattern(p, f"{path}.resolvePatterns[{i}]") for i, p in enumerate(_list(obj.get("resolvePatterns"), f"{path}.resolvePatterns", MAX_PATTERNS))),
        allowed_senders=tuple(_sender(s, f"{path}.allowedSenders[{i}]") for i, s in enumerate(_list(obj.get("allowedSenders"), f"{path}.allowedSenders", MAX_SENDERS))),
    )


def _list(raw: Any, path: str, limit: int) -> list[Any]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise IntakeSettingsError(path, "must be a list")
    if len(raw) > limit:
        raise IntakeSettingsError(path, f"may hold at most {limit} entries")
    return raw


def _pattern(raw: Any, path: str) -> Pattern:
    if not isinstance(raw, str) or not raw.strip():
        raise IntakeSettingsError(path, "must be a regular expression")
    if len(raw) > MAX_PATTERN_CHARS:
        raise IntakeSettingsError(path, f"may be at most {MAX_PATTERN_CHARS} characters")
    try:
        compiled = regex.compile(raw, regex.IGNORECASE | regex.MULTILINE)
    except regex.error as exc:
        raise IntakeSettingsError(path, f"is not a valid regular expression ({exc})") from None
    return Pattern(raw, compiled)


def _sender(raw: Any, path: str) -> str:
    if not isinstance(raw, str):
        raise IntakeSettingsError(path, "must be an address (ops@example.com) or a domain (@example.com)")
    value = raw.strip().lower()
    local, at, domain = value.rpartition("@")
    if not at or not domain or "." not in domain or " " in value or (local and "@" in local):
        raise IntakeSettingsError(path, "must be an address (ops@example.com) or a domain (@example.com)")
    return value


def _priorities(raw: Any, path: str, defaults: Mapping[str, Priority]) -> Mapping[str, Priority]:
    if raw is None:
        return defaults
    obj = _object(raw, path, set(defaults))
    merged = dict(defaults)
    for name, value in obj.items():
        if value not in {p.value for p in Priority}:
            raise IntakeSettingsError(f"{path}.{name}", "must be HIGH or LOW")
        merged[name] = Priority(value)
    return MappingProxyType(merged)
