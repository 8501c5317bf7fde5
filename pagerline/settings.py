"""Settings read from the environment (``PAGERLINE_*``).

One frozen object per process. Code that needs a setting takes it as an argument or calls
:func:`get_settings`; tests build their own :class:`Settings` instead of patching globals.

Every field carries its meaning (``description``) and, where the default needs words, how it
is shown (``shown_default``): the settings table in docs/operations/settings.md is generated
from them and a test fails when the two differ.
"""

from __future__ import annotations

import functools
import re
import secrets
from datetime import timedelta
from typing import Any, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PORT = 8000
#: Where `pagerline smtp` listens without PAGERLINE_SMTP_INTAKE_PORT (25 needs root; an MTA or a
#: port forward in front of it takes the internet's mail on 25).
DEFAULT_SMTP_INTAKE_PORT = 2525
#: 10 MiB: what common mail services take in one message, after the base64 of its attachments.
DEFAULT_SMTP_INTAKE_MAX_BYTES = 10 * 1024 * 1024
#: A session longer than this is no session; the bound also keeps ``now + lifetime`` representable.
MAX_SESSION_DAYS = 3650
#: A century: any longer is "forever" (0), and the bound keeps ``now - days`` representable.
MAX_RETENTION_DAYS = 36500
#: Where browsers' push subscriptions point: Chrome, Opera and Samsung Internet (Firebase), Firefox
#: (Mozilla autopush), Edge (Windows Push Notification Services) and Safari (Apple).
DEFAULT_WEBPUSH_HOSTS = ("fcm.googleapis.com", "updates.push.services.mozilla.com", "*.notify.windows.com", "web.push.apple.com")
#: One label of a domain name (letters, digits and inner hyphens; internationalised names in their
#: `xn--` form).
_DOMAIN_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
#: The retention settings of an alert's parts, which go with the alert at the latest.
_ALERT_PART_DAYS = ("retention_timeline_days", "retention_notification_days", "retention_action_token_days", "retention_action_delivery_days")


def _doc(description: str, shown_default: str | None = None, **kwargs: Any) -> Any:
    """A field with its entry in the settings table: what it means and, when the value alone
    does not say it, what the default amounts to."""
    extra = {"shown_default": shown_default} if shown_default is not None else None
    return Field(description=description, json_schema_extra=extra, **kwargs)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAGERLINE_", frozen=True, extra="ignore")

    database_url: str = _doc("Tortoise URL, `sqlite://…` or `postgres://user@host:5432/db`", default="sqlite://var/pagerline.db")
    redis_url: str | None = _doc(
        "Dramatiq broker and subscription bus, `redis://host:6379/0`", "unset: in-process (one server process)", default=None
    )
    public_url: str = _doc(
        "base URL that people, phones and providers reach: alert links, Twilio callbacks, widget links",
        "`http://<serve --host>:<serve --port>`, so `http://127.0.0.1:8000`",
        default=f"http://127.0.0.1:{DEFAULT_PORT}",
    )
    secret_key: str | None = _doc(
        "signs action tokens and alert-action webhooks; required outside demo mode", "generated per process in demo mode", default=None
    )
    demo: bool = _doc("demo mode: generated secret key, console transport", "off (`make run` sets it)", default=False)
    console_transport: bool | None = _doc(
        "deliver channels without provider settings to the console instead of failing them with \"channel not configured\"",
        "on in demo mode",
        default=None,
    )
    console_log: str | None = _doc("file the console transport appends JSON lines to", "the process log", default=None)
    demo_file: str = _doc(
        "where `pagerline demo` keeps the demo's plain password and integration keys (mode 0600)", default="var/demo.json"
    )
    log_level: str = _doc("log level of `serve`, `worker` and the other commands", default="INFO")

    fcm_credentials: str | None = _doc("FCM service-account JSON file", "unset: FCM off", default=None)
    fcm_project_id: str | None = _doc(
        "FCM project (alone: Google's application-default credentials)", "from the credentials file", default=None
    )
    fcm_endpoint: str | None = _doc("FCM base URL (proxies, tests)", "Google's", default=None)
    apns_key_file: str | None = _doc("APNs token-auth key (`.p8` file)", "unset: APNs off", default=None)
    apns_key_id: str | None = _doc("APNs key id", "unset: APNs off", default=None)
    apns_team_id: str | None = _doc("Apple developer team id", "unset: APNs off", default=None)
    apns_topic: str | None = _doc("APNs topic (the app's bundle id)", "unset: APNs off", default=None)
    apns_sandbox: bool = _doc("use Apple's sandbox APNs (development builds)", default=False)
    apns_host: str | None = _doc("APNs host (proxies, tests)", "Apple's", default=None)
    apns_port: int | None = _doc("APNs port (proxies, tests)", "443", default=None)
    apns_ca_file: str | None = _doc("CA bundle trusted for APNs (proxies, tests)", "the system's", default=None)
    twilio_account_sid: str | None = _doc("Twilio account SID (SMS and voice)", "unset: SMS and voice off", default=None)
    twilio_auth_token: str | None = _doc("Twilio auth token; also checks callback signatures", "unset: SMS and voice off", default=None)
    twilio_from: str | None = _doc("Twilio number SMS and calls come from", "unset: SMS and voice off", default=None)
    twilio_base_url: str = _doc("Twilio-compatible API base", default="https://api.twilio.com")
    smtp_url: str | None = _doc(
        "SMTP server for email: `smtp://user:password@host:port` (add `?starttls=1` to require STARTTLS) or `smtps://…` (TLS)", "unset: email off", default=None
    )
    smtp_from: str | None = _doc("sender address of emails", "unset: email off", default=None)
    vapid_private_key: str | None = _doc(
        "Web Push (VAPID) private key: the base64url of a 32-byte P-256 key (as `npx web-push generate-vapid-keys` "
        "prints it) or a PEM key; browsers' subscriptions are bound to it, so keep it once set",
        "generated once and stored in the database (every process uses the same)",
        default=None,
    )
    webpush_endpoint_allow: str | None = _doc(
        "push-service hosts a browser subscription may point at, separated by commas; `*.example.com` matches "
        "any subdomain, `host:port` only that port; only `https://` endpoints are taken either way",
        "the browsers' services: `" + ", ".join(DEFAULT_WEBPUSH_HOSTS) + "`",
        default=None,
    )
    ntfy_url: str = _doc(
        "ntfy server pages are published to (ntfy.sh or your own), which responders subscribe to their topics on; "
        "set it empty to turn ntfy off",
        default="https://ntfy.sh",
    )
    ntfy_token: str | None = _doc(
        "ntfy access token (`tk_…`) sent as `Authorization: Bearer`, for a server that requires login to publish",
        "unset: publish anonymously",
        default=None,
    )
    pushover_token: str | None = _doc("Pushover application API token", "unset: Pushover off", default=None)
    pushover_base_url: str = _doc("Pushover-compatible API base (proxies, tests)", default="https://api.pushover.net")
    telegram_bot_token: str | None = _doc(
        "Telegram bot token from BotFather (`123456:ABC…`): pages go to people's linked Telegram chats", "unset: Telegram off", default=None
    )
    telegram_bot_username: str | None = _doc(
        "the bot's username (without `@`), for the `https://t.me/<username>?start=<code>` link that links a chat",
        "unset: people are shown `/start <code>` to send the bot themselves",
        default=None,
    )
    slack_bot_token: str | None = _doc(
        "the Slack app's bot token (`xoxb-…`): alerts are posted to the chat channels set up for them", "unset: Slack off", default=None
    )
    slack_signing_secret: str | None = _doc(
        "the Slack app's signing secret: every request from Slack to `/api/slack/…` is checked against it",
        "unset: Slack's requests are refused",
        default=None,
    )
    slack_app_token: str | None = _doc(
        "an app-level token (`xapp-…`) for Socket Mode: buttons and commands reach pagerline without a public URL",
        "unset: Slack calls the HTTP routes",
        default=None,
    )
    slack_api_url: str = _doc("Slack Web API base (proxies, tests)", default="https://slack.com/api/")
    mattermost_url: str | None = _doc(
        "the Mattermost server alerts are posted to, e.g. `https://chat.example.com`", "unset: Mattermost off", default=None
    )
    mattermost_bot_token: str | None = _doc(
        "a Mattermost bot account's access token: alerts are posted through the REST API, so each post can be edited in place "
        "(an incoming webhook cannot: it returns no post id)",
        "unset: Mattermost off",
        default=None,
    )
    mattermost_command_token: str | None = _doc(
        "the token Mattermost shows for the `/pagerline` slash command: every request to `/api/mattermost/commands` must carry it",
        "unset: the slash command is refused",
        default=None,
    )
    telegram_base_url: str = _doc("Telegram Bot API base (a local Bot API server, tests)", default="https://api.telegram.org")
    telegram_updates: Literal["auto", "webhook", "polling"] = _doc(
        "how the bot hears button presses and `/start`: `webhook` (Telegram calls `<public URL>/api/telegram/webhook`), "
        "`polling` (the worker asks Telegram with `getUpdates`: for servers Telegram cannot reach), or `auto`",
        "`auto`: the webhook when the public URL is `https://` and Telegram accepts it, else polling",
        default="auto",
    )
    push_concurrency: int = _doc(
        "requests in flight per push/SMS provider and process (a provider's own limits apply too)", default=64, gt=0, le=1000
    )

    # Event intake limits.
    event_rate_per_key: float = _doc(
        "intake token bucket: events per second per integration key and server process (429 with `Retry-After` beyond it)",
        "100",
        default=100.0,
        gt=0,
    )
    event_burst_per_key: int = _doc("intake token bucket size per integration key", default=200, gt=0)
    max_event_bytes: int = _doc("intake body limit in bytes (413 beyond it)", default=256 * 1024, gt=0)

    # Email intake (pagerline.email_intake).
    email_domain: str | None = _doc(
        "domain of the email intake's addresses: mail to `<integration key>@<domain>` (or `<integration key>+<tag>@<domain>`) "
        "opens and resolves alerts on EMAIL sources; mail for any other domain is refused",
        "unset: email intake off",
        default=None,
    )
    smtp_intake_port: int | None = _doc(
        "port of the SMTP intake: `pagerline serve` without Redis (the embedded defaults) receives mail on it too, and "
        "`pagerline smtp` listens on it unless `--port` says otherwise; needs `PAGERLINE_EMAIL_DOMAIN`",
        f"unset: `pagerline serve` receives no mail, `pagerline smtp` listens on {DEFAULT_SMTP_INTAKE_PORT}",
        default=None,
        ge=1,
        le=65535,
    )
    smtp_intake_host: str = _doc(
        "address the SMTP intake listens on (`0.0.0.0`: every interface, for mail straight from the internet)", default="127.0.0.1"
    )
    smtp_intake_max_bytes: int = _doc(
        "largest message the SMTP intake takes, in bytes, attachments included (announced as `SIZE`; 552 beyond it)",
        "10485760 (10 MiB)",
        default=DEFAULT_SMTP_INTAKE_MAX_BYTES,
        gt=0,
    )

    # Worker behaviour.
    sweep_interval_seconds: float = _doc(
        "how often each worker's sweeper looks for due work, in seconds (at most 5)", "2", default=2.0, gt=0, le=5.0
    )
    delivery_lease_seconds: int = _doc(
        "how long a claimed notification is held before another worker may take it over", default=60, gt=0
    )
    delivery_max_attempts: int = _doc("attempts at a notification that fails transiently", default=5, gt=0)
    delivery_backoff_cap_seconds: int = _doc(
        "longest wait between attempts (backoff 10 s, 20 s, 40 s … capped)", default=300, gt=0
    )
    embedded_worker: bool | None = _doc(
        "run the worker and sweeper inside `pagerline serve`", "on without Redis, off with it", default=None
    )
    # 0 is refused at start-up rather than read as "never expires" or "expires at once": both
    # would surprise whoever set it.
    session_days: int = _doc(
        f"how long a `login` session token works, in whole days from 1 to {MAX_SESSION_DAYS}; anything else (0 too) "
        "stops every `pagerline` command at start-up with a message naming the variable",
        default=30,
    )
    log_format: Literal["text", "json"] = _doc(
        "process logs: `text` (one line per entry) or `json` (one JSON object per line: `time`, `level`, `logger`, `message`, `request_id`, and `traceback` for faults)", default="text"
    )


    # Retention (see docs/operations/retention.md). An alert's parts cannot outlive it: their
    # settings may only shorten how long they are kept, and 0 means "as long as the alert".
    retention_alert_days: int = _doc(
        "resolved alerts are deleted this many days after they were resolved, with their timeline, notifications, "
        "action tokens and alert-action deliveries; open alerts never are; 0 keeps them forever",
        "400 (13 months and a bit: a year-on-year report of any month still finds its alerts)",
        default=400,
    )
    retention_timeline_days: int = _doc(
        "the timeline of a resolved alert is deleted this many days after the alert was resolved; "
        "0 keeps it as long as the alert (it may not be longer)",
        "400",
        default=400,
    )
    retention_notification_days: int = _doc(
        "the notifications of a resolved alert (who was paged, on which channel, what the provider said) are deleted "
        "this many days after the alert was resolved, and notifications of no alert (reminders, on-call changes) this "
        "many days after they were due; 0 keeps them as long as the alert (it may not be longer)",
        "400",
        default=400,
    )
    retention_action_token_days: int = _doc(
        "the lock-screen and email action tokens of a resolved alert are deleted this many days after the alert "
        "was resolved (they expire 24 hours after the page anyway); 0 keeps them as long as the alert",
        "7",
        default=7,
    )
    retention_action_delivery_days: int = _doc(
        "the alert-action delivery log of a resolved alert (status codes, latency, errors of its webhook calls) and the "
        "record of its chat messages are deleted this many days after the alert was resolved; 0 keeps them as long as the alert",
        "30",
        default=30,
    )
    retention_dropped_event_days: int = _doc(
        "events dropped by a filter or a maintenance window are deleted this many days after they came in; "
        "0 keeps them forever",
        "30",
        default=30,
    )
    retention_batch_size: int = _doc(
        "rows (or alerts) deleted per batch by the retention job; each batch is its own short transaction",
        default=500,
        ge=10,
        le=10_000,
    )

    @field_validator("retention_alert_days", "retention_dropped_event_days", *_ALERT_PART_DAYS)
    @classmethod
    def _retention_days(cls, days: int) -> int:
        if not 0 <= days <= MAX_RETENTION_DAYS:
            raise ValueError(f"retention is 1 to {MAX_RETENTION_DAYS} days, or 0 for no limit, not {days}")
        return days

    @field_validator(*_ALERT_PART_DAYS)
    @classmethod
    def _not_longer_than_the_alert(cls, days: int, info: ValidationInfo) -> int:
        # Refused rather than ignored: whoever set it believes it is kept longer than it would be.
        alert_days = info.data.get("retention_alert_days")
        if alert_days and days > alert_days:
            raise ValueError(
                f"longer than PAGERLINE_RETENTION_ALERT_DAYS ({alert_days}): it is deleted with its alert; "
                "use 0 to keep it as long as the alert"
            )
        return days

    @field_validator("email_domain")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        if value is None:
            return None
        domain = value.strip().removeprefix("@").rstrip(".").lower()
        labels = domain.split(".")
        if not domain or len(domain) > 253 or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels):
            raise ValueError("is not a domain name such as `alerts.example.com`")
        return domain

    @field_validator("smtp_intake_port")
    @classmethod
    def _intake_needs_domain(cls, port: int | None, info: ValidationInfo) -> int | None:
        # Refused at start-up rather than listening for mail that every recipient would refuse.
        if port is not None and not info.data.get("email_domain"):
            raise ValueError("set PAGERLINE_EMAIL_DOMAIN too: the intake takes mail only for `<integration key>@<that domain>`")
        return port

    @field_validator("vapid_private_key")
    @classmethod
    def _readable_vapid_key(cls, key: str | None) -> str | None:
        if key is None:
            return None
        from pagerline.push.vapid import load_private_key

        load_private_key(key)  # a typo stops start-up instead of every push
        return key.strip()

    @field_validator("webpush_endpoint_allow")
    @classmethod
    def _host_list(cls, value: str | None) -> str | None:
        if value is None:
            return None
        hosts = [h.strip().lower() for h in value.split(",") if h.strip()]
        for host in hosts:
            bare = host.removeprefix("*.")
            if not bare or "*" in bare or "/" in bare or "@" in bare:
                raise ValueError(f"{host!r} is not a host, `*.domain` or `host:port`")
        if not hosts:
            raise ValueError("name at least one host, or leave it unset for the browsers' services")
        return ",".join(hosts)

    @property
    def webpush_hosts(self) -> tuple[str, ...]:
        """The allowed push-service hosts, lowercase (the default list when unset)."""
        if self.webpush_endpoint_allow is None:
            return DEFAULT_WEBPUSH_HOSTS
        return tuple(self.webpush_endpoint_allow.split(","))

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

    def public_url_for(self, host: str, port: int) -> str:
        """``PAGERLINE_PUBLIC_URL`` when it is set; otherwise the address ``serve`` listens on,
        so links follow ``--port`` (a wildcard host is shown as loopback: set the public URL
        when others reach the server by another name)."""
        if "public_url" in self.model_fields_set:
            return self.public_url
        shown = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
        return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"

    def signing_key(self) -> bytes:
        """Key for signed tokens; demo mode may run without one (a per-process key is made)."""
        if self.secret_key:
            return self.secret_key.encode()
        if self.demo:
            return _demo_secret().encode()
        raise RuntimeError("PAGERLINE_SECRET_KEY is required outside demo mode (PAGERLINE_DEMO=1)")


def describe_invalid(exc: ValidationError) -> str:
    """A start-up message naming each bad environment variable, without pydantic's noise."""
    lines = []
    for error in exc.errors():
        name = "PAGERLINE_" + "_".join(str(part) for part in error["loc"]).upper()
        reason = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"{name}={error.get('input')!s}: {reason}")
    return "invalid settings: " + "; ".join(lines)


@functools.lru_cache(maxsize=1)
def _demo_secret() -> str:
    return secrets.token_urlsafe(32)


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
