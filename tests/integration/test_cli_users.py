"""`pagerline user create` and `user set-password` as an operator runs them (real processes):
the same checks as GraphQL's createUser, no account that nobody can sign in to by accident,
a password set or reset later ends the old sessions; and a bad PAGERLINE_SESSION_DAYS stops
`pagerline serve` before it starts, with the variable named."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pagerline.engine.people.accounts import authenticate, login
from pagerline.models import Team, User
from tests.support.databases import TemplateDatabases
from tests.support.graphql import error_code, gql, in_db
from tests.support.processes import base_env, start_server

FIXED_NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"


def pagerline(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Stdin is never a terminal here: a command that would ask for a password cannot."""
    return subprocess.run(
        [sys.executable, "-m", "pagerline", *args], env=base_env(env), input=stdin if stdin is not None else "",
        capture_output=True, text=True, timeout=60,
    )


def people(database_url: str) -> list[str]:
    return list(in_db(database_url, lambda: User.all().order_by("email").values_list("email", flat=True)))  # type: ignore[arg-type]


def signs_in(url: str, email: str, password: str) -> str | None:
    body = gql(url, None, LOGIN, e=email, p=password)
    return None if body.get("errors") else str(body["data"]["login"]["token"])


def test_user_create_checks_like_graphql_and_set_password_lets_people_in(templates: TemplateDatabases, tmp_path: Path) -> None:
    env = {"PAGERLINE_DATABASE_URL": templates.sqlite(tmp_path)}
    db = env["PAGERLINE_DATABASE_URL"]
    create = ("user", "create", "--email", "Carol@Example.com", "--name", "Carol", "--team", "Ops")

    refused = [
        (pagerline(*create, "--timezone", "Mars/Olympus", "--password-stdin", env=env, stdin="carol-password\n"), 1, "Unknown time zone"),
        (pagerline(*create, "--password", "short", env=env), 1, "8 to 1024 characters"),
        (pagerline(*create, env=env), 2, "--password-stdin"),  # no password and no terminal to ask on
        (pagerline("user", "create", "--email", "no-at-sign", "--no-password", env=env), 1, "valid email"),
    ]
    for result, code, complaint in refused:
        assert (result.returncode, complaint in result.stderr) == (code, True), result.stderr
        assert "Traceback" not in result.stderr
    assert people(db) == [] and in_db(db, lambda: Team.all().count()) == 0  # nothing half-made

    made = pagerline(*create, "--timezone", "Europe/Berlin", "--password-stdin", env=env, stdin="carol-password\n")
    assert made.returncode == 0, made.stderr
    tokens_only = pagerline("user", "create", "--email", "dan@example.com", "--no-password", env=env)
    assert tokens_only.returncode == 0, tokens_only.stderr
    assert people(db) == ["carol@example.com", "dan@example.com"]

    server = start_server(env, tmp_path)
    try:
        carol = signs_in(server.url, "carol@example.com", "carol-password")
        assert carol is not None
        assert signs_in(server.url, "dan@example.com", "") is None

        reset = pagerline("user", "set-password", "carol@example.com", "--password-stdin", env=env, stdin="carol-new-password\n")
        assert reset.returncode == 0, reset.stderr
        assert error_code(gql(server.url, carol, "{ me { email } }")) == "UNAUTHENTICATED"  # her old session ended
        assert signs_in(server.url, "carol@example.com", "carol-password") is None
        assert signs_in(server.url, "carol@example.com", "carol-new-password") is not None

        assert pagerline("user", "set-password", "dan@example.com", "--password-stdin", env=env, stdin="dan-password\n").returncode == 0
        assert signs_in(server.url, "dan@example.com", "dan-password") is not None
    finally:
        server.stop()

    for result, code, complaint in (
        (pagerline("user", "set-password", "nobody@example.com", "--password-stdin", env=env, stdin="whatever-pw\n"), 1, "no user"),
        (pagerline("user", "set-password", "dan@example.com", "--password-stdin", env=env, stdin="short\n"), 1, "8 to 1024"),
        (pagerline("user", "set-password", "dan@example.com", env=env), 2, "--password-stdin"),
    ):
        assert (result.returncode, complaint in result.stderr) == (code, True), result.stderr


def test_serve_refuses_a_session_lifetime_of_zero_days(tmp_path: Path) -> None:
    env = {"PAGERLINE_DATABASE_URL": f"sqlite://{tmp_path}/p.db", "PAGERLINE_SESSION_DAYS": "0"}
    for command in (("serve",), ("user", "create", "--email", "x@example.com", "--no-password")):
        result = pagerline(*command, env=env)
        assert result.returncode == 2, result.stderr
        assert "PAGERLINE_SESSION_DAYS=0" in result.stderr and "1 to 3650 days" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_user_commands_have_help(tmp_path: Path) -> None:
    for command in (("user", "create", "--help"), ("user", "set-password", "--help")):
        result = pagerline(*command, env={"PAGERLINE_DATABASE_URL": f"sqlite://{tmp_path}/p.db"})
        assert result.returncode == 0 and "usage: pagerline user" in result.stdout and "--password-stdin" in result.stdout, result


def test_user_commands_find_an_account_by_the_address_as_typed(templates: TemplateDatabases, tmp_path: Path) -> None:
    """An operator types the address as it comes: another case, stray spaces. The commands read it
    by the account rules, as sign-in does, and find the one account it names."""
    env = {"PAGERLINE_DATABASE_URL": templates.sqlite(tmp_path)}
    db = env["PAGERLINE_DATABASE_URL"]
    made = pagerline("user", "create", "--email", "  Erin@Example.COM ", "--no-password", env=env)
    assert made.returncode == 0, made.stderr
    assert people(db) == ["erin@example.com"]

    reset = pagerline("user", "set-password", " ERIN@example.Com  ", "--password-stdin", env=env, stdin="erin-password\n")
    assert reset.returncode == 0, reset.stderr
    assert "password set for erin@example.com" in reset.stdout
    signed_in = in_db(db, lambda: login("erin@example.com", "erin-password", FIXED_NOW, timedelta(days=1)))
    assert signed_in is not None and signed_in[0].email == "erin@example.com"

    token = pagerline("token", "create", "--email", "\teRiN@EXAMPLE.com ", env=env)
    assert token.returncode == 0, token.stderr
    viewer = in_db(db, lambda: authenticate(token.stdout.strip(), FIXED_NOW))
    assert viewer is not None and viewer.user.email == "erin@example.com"

    for command in (("user", "set-password", "not an address", "--password-stdin"), ("token", "create", "--email", "x@")):
        refused = pagerline(*command, env=env, stdin="whatever-pw\n")
        assert (refused.returncode, "no user" in refused.stderr, "Traceback" in refused.stderr) == (1, True, False), refused.stderr
