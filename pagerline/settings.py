"""Settings read from the environment (``PAGERLINE_*``), as listed in DESIGN.md.

One frozen object per process. Code that needs a setting takes it as an argument or calls
:func:`get_settings`; tests build their own :class:`Settings` instead of patching globals.
"""

from __future__ import annotations

import functools
import secrets
from datetime import timedelta
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: A session longer than this is no session; the bound also keeps ``now + lifetime`` representable.
MAX_SESSION_DAYS = 3650


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAGERLINE_", frozen=True, extra="ignore")

    database_url: str = "sqlite://var/pagerline.db"
    redis_url: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    secret_key: str | None = None
    # Demo mode: generated secret key, console transport for channels that are not configured.
    demo: bool = False
    # Deliver notifications of channels without provider settings to the console transport
    # instead of failing them with "channel not configured". On in demo mode.
    console_transport: bool | None = None
    # Where the console transport writes (a file path); unset means the process log.
    console_log: str | None = None

    fcm_credentials: str | None = None
    fcm_project_id: str | None = None
    fcm_endpoint: str | None = None
    apns_key_file: str | None = None
    apns_key_id: str | None = None
    apns_team_id: str | None = None
    apns_topic: str | None = None
    apns_sandbox: bool = False
    apns_host: str | None = None
    apns_port: int | None = None
    apns_ca_file: str | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from: str | None = None
    twilio_base_url: str = "https://api.twilio.com"
    smtp_url: str | None = None
    smtp_from: str | None = None
    # Requests in flight per push/SMS provider and process (a provider's own limits apply too).
    push_concurrency: int = Field(default=64, gt=0, le=1000)

    # Event intake limits.
    event_rate_per_key: float = Field(default=100.0, gt=0, description="events/s per integration key")
    event_burst_per_key: int = Field(default=200, gt=0, description="bucket size per integration key")
    max_event_bytes: int = Field(default=256 * 1024, gt=0)

    # Worker behaviour.
    sweep_interval_seconds: float = Field(default=2.0, gt=0, le=5.0)
    delivery_lease_seconds: int = Field(default=60, gt=0)
    delivery_max_attempts: int = Field(default=5, gt=0)
    delivery_backoff_cap_seconds: int = Field(default=300, gt=0)
    # Run the escalation/delivery sweeper inside `pagerline serve` (the embedded default).
    # Unset: on when there is no Redis (no separate worker can exist), off otherwise.
    embedded_worker: bool | None = None
    # How long a `login` session token works. 0 is refused at start-up rather than read as
    # "never expires" or "expires at once": both would surprise whoever set it.
    session_days: int = 30
    # Process logs: `text` (one line each) or `json` (one JSON object per line).
    log_format: Literal["text", "json"] = "text"

    @field_validator("session_days")
    @classmethod
    def _whole_days(cls, days: int) -> int:
        if not 1 <= days <= MAX_SESSION_DAYS:
            raise ValueError(f"sessions last 1 to {MAX_SESSION_DAYS} days, not {days}")
        return days

    @property
    def session_lifetime(self) -> timedelta:
        return timedelta(days=self.session_days)

    @property
    def uses_redis(self) -> bool:
        return bool(self.redis_url)

    @property
    def runs_embedded_worker(self) -> bool:
        if self.embedded_worker is not None:
            return self.embedded_worker
        return not self.uses_redis

    @property
    def console_enabled(self) -> bool:
        if self.console_transport is not None:
            return self.console_transport
        return self.demo

    def signing_key(self) -> bytes:
        """Key for signed tokens; demo mode may run without one (a per-process key is made)."""
        if self.secret_key:
            return self.secret_key.encode()
        if self.demo:
            return _demo_secret().encode()
        raise RuntimeError("PAGERLINE_SECRET_KEY is required outside demo mode (PAGERLINE_DEMO=1)")


@functools.lru_cache(maxsize=1)
def _demo_secret() -> str:
    return secrets.token_urlsafe(32)


def describe_invalid(exc: ValidationError) -> str:
    """A start-up message naming each bad environment variable, without pydantic's noise."""
    lines = []
    for error in exc.errors():
        name = "PAGERLINE_" + "_".join(str(part) for part in error["loc"]).upper()
        reason = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"{name}={error.get('input')!s}: {reason}")
    return "invalid settings: " + "; ".join(lines)


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
