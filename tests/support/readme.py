"""The documentation's reference tables, generated from the code they describe: every setting
from :class:`pagerline.settings.Settings`, every command and option from the CLI's argparse
parser, every HTTP route from the application. Each table lives on one page of the site
(:data:`PAGES`), between ``<!-- generated:NAME -->`` and ``<!-- /generated -->``; tests compare,
and ``PAGERLINE_WRITE_DOCS=1`` writes them (after a deliberate change)."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from starlette.routing import Mount, Route, WebSocketRoute

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
# Where each generated table lives.
PAGES: dict[str, Path] = {
    "settings": DOCS / "operations" / "settings.md",
    "cli": DOCS / "reference" / "cli.md",
    "endpoints": DOCS / "reference" / "rest.md",
}
WRITE_ENV = "PAGERLINE_WRITE_DOCS"
BLOCK = re.compile(r"(<!-- generated:(?P<name>[a-z-]+) -->\n)(?P<body>.*?)(<!-- /generated -->)", re.S)

# What each route is for. A route of the app without an entry, or an entry without a route,
# fails the test: the docs must list exactly what the server answers.
ROUTES: dict[str, str] = {
    "POST /api/events": "ilert-compatible event (`integrationKey`, `eventType` `ALERT`/`ACCEPT`/`RESOLVE`/`COMMENT`, "
    "`summary`, `details`, `alertKey`, `priority`, `routingKey`, `links`, `images`, `customDetails`, `labels`): "
    "202 `{alertKey, alertUrl, responseCode}`",
    "POST /api/events/alertmanager/{key}": "Prometheus Alertmanager webhook (one alert per fingerprint; `resolved` resolves)",
    "POST /api/events/grafana/{key}": "Grafana alerting webhook",
    "POST /api/events/webhook/{key}": "any JSON, mapped by the source's webhook templates",
    "GET, HEAD, POST /api/heartbeats/{key}": "heartbeat ping: 202",
    "POST /api/deployment-events": "deployment event of a source: 202 `{id, at}`",
    "POST /v2/enqueue": "PagerDuty Events API v2 (`routing_key` = integration key; `event_action` `trigger`/`acknowledge`/`resolve`, "
    "`dedup_key`, `payload.summary`, `source`, `severity` mapped to priority per source, `custom_details`, `links`, `images`): "
    "202 `{status: \"success\", message, dedup_key}`, PagerDuty's 400 `{status, message, errors}`",
    "POST /v2/change/enqueue": "PagerDuty change event, stored as a deployment of the source: 202 `{status: \"success\", message}`",
    "POST /v2/alerts": "Opsgenie Alert API: create an alert (`Authorization: GenieKey <integration key>`; `message`, `alias`, "
    "`description`, `details`, `tags`, `priority` P1–P5, `entity`, `source`, `note`): 202 `{result, took, requestId}`",
    "GET, HEAD /v2/alerts/requests/{requestId}": "Opsgenie Alert API: what a request of this key's source did (`data.status`, `alertId`, `alias`)",
    "POST /v2/alerts/{identifier:opsgenie_identifier}/acknowledge": "Opsgenie Alert API: accept the alert (`identifierType` `id` or `alias`)",
    "POST /v2/alerts/{identifier:opsgenie_identifier}/close": "Opsgenie Alert API: resolve the alert (`identifierType` `id` or `alias`)",
    "POST /v2/alerts/{identifier:opsgenie_identifier}/notes": "Opsgenie Alert API: comment on the alert (`note`)",
    "POST /api/actions": "lock-screen action `{token, action: accept|resolve}`: 200 `{alertId, status}`",
    "GET, HEAD, POST /api/actions/confirm": "the page an email's Accept/Resolve link opens (a GET never acts; its button POSTs)",
    "POST /api/twilio/voice": "Twilio voice call TwiML (signature checked)",
    "POST /api/twilio/voice/gather": "Twilio keypress callback: 1 accepts, 2 resolves (signature checked)",
    "POST /api/twilio/sms": "Twilio incoming SMS replies (signature checked)",
    "POST /api/twilio/status": "Twilio call and message status callbacks (signature checked)",
    "POST /api/pushover/callback": "Pushover's acknowledgement of an emergency page (verified by the page's action token in "
    "`?token=`): accepts the alert once, 403 when the token does not verify, 409 when it was used",
    "POST /api/slack/interactions": "Slack app: a button pressed under an alert's message (Accept, Resolve, Escalate) acts as "
    "the person whose Slack email is their pagerline email (signature and 5-minute window checked)",
    "POST /api/slack/commands": "Slack app: the `/pagerline` slash command (who is on call), answered to whoever typed it (signature checked)",
    "POST /api/slack/events": "Slack app: Events API requests (the URL check; signature checked)",
    "POST /api/mattermost/actions": "Mattermost: a button pressed under an alert's post (Accept, Resolve, Escalate) acts as the person "
    "whose Mattermost email is their pagerline email (the button's signed context checked: 403 otherwise)",
    "POST /api/mattermost/dialogs": "Mattermost: the Comment or open-an-alert form sent, acts as the person who sent it "
    "(the form's signed state checked: 403 otherwise)",
    "POST /api/mattermost/commands": "Mattermost: the `/pagerline` slash command (who is on call, open an alert), answered to whoever typed it "
    "(the command's token checked: 401 otherwise)",
    "POST /api/telegram/webhook": "Telegram bot updates: `/start <code>` links a chat, button presses accept or resolve "
    "(`X-Telegram-Bot-Api-Secret-Token` checked)",
    "GET, HEAD /api/widget": "the on-call widget feed (Bearer user or widget token; ETag)",
    "GET, HEAD /ical/{token:str}.ics": "calendar feed of a user's or a schedule's shifts",
    "GET, HEAD, POST /graphql": "GraphQL over HTTP; GraphiQL in a browser",
    "WS /graphql": "GraphQL subscriptions (graphql-transport-ws)",
    "GET, HEAD /healthz": "liveness: 200 `{\"status\": \"ok\"}` while the process serves",
    "GET, HEAD /readyz": "readiness: 200 `{status, checks: {database, broker}}`, 503 when either is unreachable",
    "GET, HEAD /metrics": "Prometheus metrics: `pagerline_notifications` (waiting or being sent), `pagerline_notifications_recent`, "
    "`pagerline_alerts` (open), "
    "`pagerline_escalation_overdue_seconds`, `pagerline_retention_deleted_rows_total` (from the database, all processes), `pagerline_events_received_total`, "
    "`pagerline_events_rejected_total`, `pagerline_alerts_opened_total`, `pagerline_alerts_resolved_total`, "
    "`pagerline_notification_deliveries_total`, "
    "`pagerline_escalation_lag_seconds`, `pagerline_notification_dispatch_lag_seconds`, "
    "`pagerline_subscription_executions_total`, `pagerline_subscription_messages_total`, "
    "`pagerline_subscription_unchanged_total` (this process)",
    "GET, HEAD /api/openapi.json": "OpenAPI 3.1 description of these REST routes (for generating clients)",
    "GET, HEAD /": "the web app (no-cache; a page saying to run `make web` when it is not built)",
    "GET, HEAD /alerts/{alert_id:int}": "the web app, opened on that alert (deep link)",
    "GET, HEAD /history": "the web app's alert history",
    "GET, HEAD /coverage/request": "the web app's coverage request form (the widget's link)",
    "GET, HEAD /oncall": "the web app's On call page (who is on call, my shifts)",
    "GET, HEAD /chat/act": "the web app's confirm page for a Microsoft Teams card's signed button link (opening it never acts)",
    "GET, HEAD /schedules/{schedule_id:int}": "the web app's schedule page (its week, overrides marked)",
    "GET, HEAD /invite/{token}": "the web app's invitation page: sets the invited person's password (see the console's people page)",
    "GET, HEAD /coverage": "the web app's Coverage page (ask, answer, cancel)",
    "GET, HEAD /me": "the web app's Me page (rules, muting, phone, devices, tokens)",
    "GET, HEAD /admin": "the web app's admin console (admins)",
    "GET, HEAD /admin/{section:path}": "the admin console opened on a section (`/admin/users/7`)",
    "GET /assets/…": "the web app's scripts and styles (hashed names, cached for a year)",
    "GET, HEAD /sw.js": "the web app's service worker (offline shell, Web Push notifications; no-cache)",
    "GET, HEAD /manifest.webmanifest": "the web app's manifest, so phones can install it (no-cache)",
    "GET /icons/…": "the web app's icons (cached for a day)",
    "GET /static/…": "GraphiQL's packaged scripts and styles",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _shown_default(info: FieldInfo) -> str:
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    if "shown_default" in extra:
        return str(extra["shown_default"])
    value = info.default
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) if isinstance(value, int | float) else f"`{value}`"


def settings_table() -> str:
    from pagerline.settings import Settings

    rows = ["| name | meaning | default |", "| --- | --- | --- |"]
    for name, info in Settings.model_fields.items():
        assert info.description, f"Settings.{name} has no description: the docs cannot say what it means"
        rows.append(f"| `PAGERLINE_{name.upper()}` | {_cell(info.description)} | {_cell(_shown_default(info))} |")
    return "\n".join(rows) + "\n"


def _commands(parser: argparse.ArgumentParser, prefix: str) -> Iterator[tuple[str, str, argparse.ArgumentParser]]:
    for action in parser._actions:  # argparse keeps its subcommands only there
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                command = f"{prefix} {name}"
                nested = any(isinstance(a, argparse._SubParsersAction) for a in sub._actions)
                if nested:
                    yield from _commands(sub, command)
                else:
                    yield command, helps.get(name) or "", sub


def _option(action: argparse.Action) -> str:
    flag = f"`{action.option_strings[-1]}`"
    if action.choices:
        flag += " " + "|".join(f"`{c}`" for c in action.choices)
    text = f"{flag}: {action.help}" if action.help else flag
    if action.required:
        text += " (required)"
    elif action.default not in (None, False, argparse.SUPPRESS):
        text += f" (default `{action.default}`)"
    return text


def cli_table() -> str:
    from pagerline.cli import build_parser

    rows = ["| command | what it does | options |", "| --- | --- | --- |"]
    for command, help_text, parser in _commands(build_parser(), "pagerline"):
        options = [_option(a) for a in parser._actions if a.option_strings and a.dest != "help"]
        rows.append(f"| `{command}` | {_cell(help_text)} | {_cell('; '.join(options)) or '—'} |")
    return "\n".join(rows) + "\n"


def app_routes() -> list[str]:
    """Each route of the application as ``METHODS path``."""
    from pagerline.app import create_app
    from pagerline.settings import Settings

    found = []
    for route in create_app(Settings(secret_key="readme")).routes:
        if isinstance(route, WebSocketRoute):
            found.append(f"WS {route.path}")
        elif isinstance(route, Mount):
            found.append(f"GET {route.path}/…")
        elif isinstance(route, Route):
            found.append(f"{', '.join(sorted(route.methods or []))} {route.path}")
    return found


def endpoints_table() -> str:
    rows = ["| route | what |", "| --- | --- |"]
    for route in app_routes():
        shown = re.sub(r":\w+}", "}", route)  # /ical/{token:str}.ics: the converter is not part of the URL
        rows.append(f"| `{shown}` | {_cell(ROUTES.get(route, ''))} |")
    return "\n".join(rows) + "\n"


def generated() -> dict[str, str]:
    return {"settings": settings_table(), "cli": cli_table(), "endpoints": endpoints_table()}


def blocks(text: str) -> dict[str, Any]:
    return {m.group("name"): m.group("body") for m in BLOCK.finditer(text)}


def rewrite(text: str, tables: dict[str, str]) -> str:
    return BLOCK.sub(lambda m: m.group(1) + tables[m.group("name")] + m.group(4), text)


def doc_files() -> list[Path]:
    """README and every page of the site, sorted."""
    return [README, *sorted(DOCS.rglob("*.md"))]


FENCE = re.compile(r"(?:<!-- (?P<marker>[^>]*?) -->\n)?^(?P<indent> *)```(?P<lang>[\w-]*)\n(?P<body>.*?)^(?P=indent)```$", re.S | re.M)


def fenced_blocks(text: str) -> list[tuple[str, str, str]]:
    """Each fenced code block of a page as ``(language, body, marker)``: ``marker`` is the
    ``<!-- ... -->`` comment on the line just before the fence (empty when there is none). The
    body of an indented block (inside a list item) loses its indentation."""
    found = []
    for match in FENCE.finditer(text):
        indent = len(match.group("indent"))
        body = "".join(line[indent:] if line[:indent].isspace() else line for line in match.group("body").splitlines(keepends=True))
        found.append((match.group("lang"), body, match.group("marker") or ""))
    return found
