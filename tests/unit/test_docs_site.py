"""The documentation site's pages say only what is true of the code: the tour on the site is the
README's (which a test runs), the GraphQL reference covers the whole schema, every `pagerline`
command and option shown exists, every JSON example parses, every GraphQL example validates
against the schema, the event filter, webhook templates and signature check shown do what the
page says, the settings files shown are accepted, systemd accepts the units (which run real
commands with the settings file the production page makes), and nginx accepts the proxy
configuration (each of the last two where the tool is installed).

The requests on the integration pages are sent to a real server by
tests/integration/test_docs_examples.py."""

from __future__ import annotations

import argparse
import configparser
import hashlib
import hmac
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from graphql import build_schema, parse, validate

from pagerline.cli import build_parser
from pagerline.engine.alerts.actions import sign
from pagerline.engine.sources.event_filter import compile_filter
from pagerline.engine.sources.webhook_templates import compile_webhook_templates, render_payload
from pagerline.push.email import parse_smtp_url
from pagerline.settings import Settings
from tests.support.readme import DOCS, README, ROOT, WRITE_ENV, _commands, doc_files, fenced_blocks

TOUR = re.compile(r"<!-- tour -->\n```sh\n.*?```\n<!-- /tour -->", re.S)
INLINE_CODE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
SHELL_LANGS = {"sh", "ini", "text", ""}
# Words that put the next word in command position.
COMMAND_PREFIXES = {"sudo", "exec", "nohup", "time"}


def _load_hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("graphql_reference", DOCS / "hooks" / "graphql_reference.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _blocks(lang: str, marker: str | None = None) -> list[tuple[Path, str]]:
    return [
        (path, body)
        for path in doc_files()
        for block_lang, body, block_marker in fenced_blocks(path.read_text(encoding="utf-8"))
        if block_lang == lang and (marker is None or block_marker == marker)
    ]


# --------------------------------------------------------------------------- the tour and the schema


def test_the_site_shows_the_readme_tour() -> None:
    readme = TOUR.search(README.read_text(encoding="utf-8"))
    page = TOUR.search((DOCS / "getting-started.md").read_text(encoding="utf-8"))
    assert readme and page, "README and docs/getting-started.md each need the <!-- tour --> block"
    assert page.group(0) == readme.group(0), "the getting-started tour differs from README's (which the tour test runs)"


def test_every_link_in_the_readme_leads_to_a_page() -> None:
    # The site's own links are checked by `make docs MKDOCS_ARGS=--strict`; README is not on the site.
    links = re.findall(r"\]\((?!https?://)([^)#]+)", README.read_text(encoding="utf-8"))
    assert len(links) >= 20
    missing = [link for link in links if not (ROOT / link).is_file()]
    assert not missing, f"README links to files that do not exist: {missing}"


def test_the_graphql_reference_covers_every_type_and_field() -> None:
    schema = build_schema((ROOT / "schema.graphql").read_text(encoding="utf-8"))
    page = _load_hook().render(schema)
    for name, type_ in schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        assert f"\n### {name}\n" in page, f"{name} has no section"
        for field in getattr(type_, "fields", {}):
            assert f"| `{field}`" in page, f"{name}.{field} is missing"
    assert "| `acceptAlert`<br>(`id`: ID!)" in page


def test_the_graphql_reference_is_a_page_of_the_site() -> None:
    hook = _load_hook()
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert hook.PAGE in config and "docs/hooks/graphql_reference.py" in config
    assert not (DOCS / hook.PAGE).exists(), "the page is generated at build time; a committed copy would drift"


# --------------------------------------------------------------------------- commands


def _known_commands() -> dict[str, set[str]]:
    """``"user create"`` → its option strings."""
    return {
        command.removeprefix("pagerline "): {s for a in parser._actions for s in a.option_strings}
        for command, _, parser in _commands(build_parser(), "pagerline")
    }


def _command_lines(text: str) -> list[str]:
    """Command lines shown on a page: each line of its shell-like code blocks (continuations
    joined, ``ExecStart=`` taken off) and each inline code span."""
    lines: list[str] = []
    for lang, body, _ in fenced_blocks(text):
        if lang in SHELL_LANGS:
            joined = re.sub(r"\\\n\s*", " ", body)
            lines += [re.sub(r"^\s*ExecStart=", "", line) for line in joined.splitlines()]
    lines += INLINE_CODE.findall(text)
    return lines


def _pagerline_invocations(line: str) -> list[list[str]]:
    """The arguments of every ``pagerline`` run on a shell line (``.venv/bin/pagerline`` and
    ``/opt/pagerline/bin/pagerline`` too), up to the end of that command."""
    lexer = shlex.shlex(re.sub(r"^\$ ", "", line), posix=True, punctuation_chars=True)  # "$ pagerline doctor": a prompt
    lexer.commenters = "#"
    lexer.wordchars += "…<>${}=:/.@%+,"
    try:
        tokens = list(lexer)
    except ValueError:  # an unbalanced quote: prose, not a command
        return []
    found = []
    command_position = True
    for index, token in enumerate(tokens):
        # "/pagerline" alone is the chat slash command (Slack's `/pagerline oncall`), not a program.
        if command_position and Path(token).name == "pagerline" and token != "/pagerline" and index + 1 < len(tokens):
            args = []
            for arg in tokens[index + 1:]:
                if arg and arg[0] in "|;&()<>":
                    break
                args.append(arg)
            found.append(args)
        command_position = (
            (token and token[0] in "|;&(") or token in COMMAND_PREFIXES or bool(re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*", token))
            or (command_position and token.startswith("-") and index > 0 and tokens[index - 1] in COMMAND_PREFIXES)
        )
    return found


def test_every_pagerline_command_shown_exists_with_its_options() -> None:
    known = _known_commands()
    checked = 0
    for doc in doc_files():
        for line in _command_lines(doc.read_text(encoding="utf-8")):
            for args in _pagerline_invocations(line):
                words = [a for a in args if re.fullmatch(r"[a-z][a-z-]*", a)]
                if not args or not re.fullmatch(r"[a-z][a-z-]*", args[0]):
                    continue  # "pagerline <command> --help", "pagerline #123 [HIGH] …"
                command = " ".join(words[:2]) if " ".join(words[:2]) in known else words[0]
                assert command in known, f"{doc.name}: `pagerline {' '.join(args)}`: no command `pagerline {command}`"
                options = {a.split("=")[0] for a in args if a.startswith("--")}
                unknown = options - known[command] - {"--help"}
                assert not unknown, f"{doc.name}: `pagerline {' '.join(args)}`: {command} has no {sorted(unknown)}"
                checked += 1
    assert checked >= 20, f"only {checked} commands found: the scan is broken"


def test_the_command_scan_finds_commands_where_a_shell_runs_them() -> None:
    assert _pagerline_invocations("PAGERLINE_DEMO=1 .venv/bin/pagerline doctor --json | jq .") == [["doctor", "--json"]]
    assert _pagerline_invocations('DEMO=$(.venv/bin/pagerline demo --json)') == [["demo", "--json"]]
    assert _pagerline_invocations("sudo -u postgres createdb --owner pagerline pagerline") == []
    assert _pagerline_invocations("/pagerline oncall") == []  # a slash command typed in Slack
    assert _pagerline_invocations("printf x | /opt/pagerline/bin/pagerline user create --email a@b --password-stdin") == [
        ["user", "create", "--email", "a@b", "--password-stdin"]
    ]


# --------------------------------------------------------------------------- examples


def test_every_json_example_parses() -> None:
    blocks = _blocks("json")
    assert blocks
    for path, body in blocks:
        try:
            json.loads(body)
        except json.JSONDecodeError as exc:
            pytest.fail(f"{path.name}: a JSON example does not parse: {exc}\n{body}")


def test_every_graphql_example_validates_against_the_schema() -> None:
    schema = build_schema((ROOT / "schema.graphql").read_text(encoding="utf-8"))
    blocks = _blocks("graphql")
    assert blocks
    for path, body in blocks:
        errors = validate(schema, parse(body))
        assert not errors, f"{path.name}: {[e.message for e in errors]}\n{body}"


def test_every_query_and_mutation_the_docs_name_exists() -> None:
    # `createOverride(scheduleId, …)` in the text: a camelCase name called like an operation.
    schema = build_schema((ROOT / "schema.graphql").read_text(encoding="utf-8"))
    operations = {name for root in (schema.query_type, schema.mutation_type, schema.subscription_type) if root for name in root.fields}
    named = [
        (doc.name, name)
        for doc in doc_files()
        for span in INLINE_CODE.findall(doc.read_text(encoding="utf-8"))
        for name in re.findall(r"(?<![\w.])([a-z]+[A-Z][A-Za-z]*)\(", span)
    ]
    assert len(named) >= 40, "the scan found too few operations: it is broken"
    unknown = sorted({(doc, name) for doc, name in named if name not in operations})
    assert not unknown, f"operations the schema does not have: {unknown}"


def test_the_event_filter_example_compiles() -> None:
    (blocks,) = [_blocks("json", "event-filter")]
    assert blocks
    for _, body in blocks:
        compile_filter(json.loads(body))


def test_the_webhook_template_example_renders_as_shown() -> None:
    page = DOCS / "integrations" / "webhooks.md"
    text = page.read_text(encoding="utf-8")
    by_marker = {marker.split(":")[0]: body for _, body, marker in fenced_blocks(text) if marker}
    templates = compile_webhook_templates(json.loads(by_marker["templates"]))
    rendered = render_payload(templates, json.loads(by_marker["request"]))
    shown = {
        "summary": rendered.summary, "details": rendered.details, "alertKey": rendered.alert_key,
        "priority": rendered.priority, "eventType": rendered.event_type, "links": list(rendered.links),
    }
    block = json.dumps(shown, indent=2, ensure_ascii=False) + "\n"
    if os.environ.get(WRITE_ENV) == "1":
        page.write_text(text.replace("<!-- rendered -->\n```json\n" + by_marker["rendered"], "<!-- rendered -->\n```json\n" + block), encoding="utf-8")
        return
    assert by_marker["rendered"] == block, f"webhooks.md shows another rendering than the templates make:\n{block}"


def test_the_signature_check_shown_accepts_pagerlines_signatures_only() -> None:
    ((_, code),) = _blocks("python", "verify-signature")
    namespace: dict[str, Any] = {}
    exec(compile(code, "alert-actions.md", "exec"), namespace)  # the page's own code, as a receiver runs it
    check = namespace["signature_valid"]
    secret, body = "whsec_example", b'{"trigger":"ALERT_CREATED"}'
    assert check(secret, body, sign(secret, body))
    assert not check(secret, body + b" ", sign(secret, body))
    assert not check("whsec_other", body, sign(secret, body))
    assert sign(secret, body) == "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_every_yaml_example_parses_and_the_alertmanager_receiver_uses_its_route() -> None:
    blocks = _blocks("yaml")
    assert blocks
    for path, body in blocks:
        yaml.safe_load(body)
    (receiver,) = [yaml.safe_load(body) for path, body in blocks if path.name == "alertmanager.md"]
    url = receiver["receivers"][0]["webhook_configs"][0]["url"]
    assert url.removeprefix("https://pagerline.example.com").startswith("/api/events/alertmanager/")


# --------------------------------------------------------------------------- operations


def _settings_files() -> list[tuple[Path, dict[str, str]]]:
    """The ``ini`` blocks that are settings files (every line ``PAGERLINE_…=value``)."""
    found = []
    for path, body in _blocks("ini"):
        lines = [line for line in body.splitlines() if line.strip()]
        if lines and all(line.startswith("PAGERLINE_") for line in lines):
            found.append((path, dict(line.split("=", 1) for line in lines)))
    return found


def test_every_settings_file_shown_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    files = _settings_files()
    assert {path.name for path, _ in files} >= {"production.md", "channels.md"}
    for path, values in files:
        for name in list(os.environ):
            if name.startswith("PAGERLINE_"):
                monkeypatch.delenv(name)
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        settings = Settings()  # refuses a wrong value
        if settings.smtp_url:
            config = parse_smtp_url(settings.smtp_url)
            assert config.start_tls and config.username == "pagerline@example.com", f"{path.name}: the SMTP example"


def test_the_systemd_units_run_pagerline_with_the_settings_file() -> None:
    units = _blocks("ini", "systemd")
    assert len(units) == 2
    production = (DOCS / "operations" / "production.md").read_text(encoding="utf-8")
    known = _known_commands()
    for _, body in units:
        parser = configparser.ConfigParser(strict=True, interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
        parser.read_string(body)
        assert set(parser.sections()) == {"Unit", "Service", "Install"}
        service = parser["Service"]
        assert service["EnvironmentFile"] in production, "the unit reads a settings file the production page does not create"
        assert service["User"] == "pagerline"
        executable, *args = shlex.split(service["ExecStart"])
        assert executable == "/opt/pagerline/bin/pagerline" and executable.removesuffix("/pagerline") in production
        assert args[0] in known


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: the units are not verified by systemd here")
    installed = Path(sys.executable).with_name("pagerline")  # the command this environment installed
    assert installed.exists(), installed
    settings_file = tmp_path / "pagerline.env"
    settings_file.touch()
    units = []
    for name, (_, body) in zip(("pagerline-serve", "pagerline-worker"), _blocks("ini", "systemd"), strict=True):
        unit = tmp_path / f"{name}.service"
        unit.write_text(body.replace("/opt/pagerline/bin/pagerline", str(installed)).replace("/etc/pagerline/pagerline.env", str(settings_file)))
        units.append(str(unit))
    done = subprocess.run([analyze, "verify", *units], capture_output=True, text=True, timeout=60)
    # systemd ignores what it does not understand, with a line on stderr and exit status 0.
    assert done.returncode == 0 and not done.stderr.strip(), f"systemd objects to the units on systemd.md:\n{done.stderr}"


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pagerline.example.com")])
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 1, 1, tzinfo=UTC)  # nginx -t does not look at validity dates
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(start).not_valid_after(start + timedelta(days=365)).sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "fullchain.pem", directory / "privkey.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_file, key_file


def test_nginx_accepts_the_proxy_configuration(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    if nginx is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light): the configuration is not parsed here")
    ((_, site),) = _blocks("nginx", "nginx")
    cert, key = _self_signed(tmp_path)
    site = site.replace("/etc/letsencrypt/live/pagerline.example.com/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/pagerline.example.com/privkey.pem", str(key))
    # Ports above 1024: `nginx -t` binds nothing, but keeps the test free of root-only ports anyway.
    site = re.sub(r"listen (\[::\]:)?(80|443)\b", lambda m: f"listen {m.group(1) or ''}{int(m.group(2)) + 18000}", site)
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "logs").mkdir()
    (tmp_path / "nginx.conf").write_text(
        f"error_log {tmp_path}/logs/error.log;\npid {tmp_path}/nginx.pid;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {tmp_path}/body;\n  include {tmp_path}/site.conf;\n}}\n"
    )
    done = subprocess.run([nginx, "-t", "-q", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, f"nginx refuses the configuration on reverse-proxy.md:\n{done.stderr}"


def test_parsers_used_here_are_argparse() -> None:
    # _known_commands reads argparse's private lists; fail loudly if the CLI ever stops using it.
    assert isinstance(build_parser(), argparse.ArgumentParser)
