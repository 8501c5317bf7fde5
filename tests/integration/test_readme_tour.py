"""README's two-minute tour, run as written against a real server: the demo is seeded as
``make run`` seeds it, the shell block is run chunk by chunk with bash (``.venv/bin/pagerline``
is the installed command, the server's URL stands in for ``http://127.0.0.1:8000``), and every
output the tour shows is compared with what the commands printed.

Shown output is a ``# → `` line and the ``#   `` lines after it. Date-times (which change on
every run) match any date-time; everything else must be the same, space for space.
"""

from __future__ import annotations

import re
import stat
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pagerline.models import Notification, NotificationStatus
from tests.support.graphql import in_db
from tests.support.processes import base_env, start_server, wait_until

README = Path(__file__).resolve().parents[2] / "README.md"
TOUR = re.compile(r"<!-- tour -->\n```sh\n(?P<script>.*?)```\n<!-- /tour -->", re.S)
SHOWN_FIRST, SHOWN_MORE = "# → ", "#   "
DOCUMENTED_URL = "http://127.0.0.1:8000"
DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?")
ASSIGNED = re.compile(r"^([A-Z][A-Z0-9_]*)=", re.M)


@dataclass
class Step:
    commands: str
    shown: str  # the output the README shows for the commands


def steps(script: str) -> list[Step]:
    """The tour cut after each shown output; each step runs everything before its output."""
    found: list[Step] = []
    commands: list[str] = []
    shown: list[str] | None = None
    for line in script.splitlines():
        if line.startswith(SHOWN_FIRST) and shown is None:
            shown = [line[len(SHOWN_FIRST):]]
        elif shown is not None and line.startswith(SHOWN_MORE):
            shown.append(line[len(SHOWN_MORE):])
        else:
            if shown is not None:
                found.append(Step("\n".join(commands), "\n".join(shown)))
                commands, shown = [], None
            commands.append(line)
    if shown is not None:
        found.append(Step("\n".join(commands), "\n".join(shown)))
        commands = []
    leftover = [line for line in commands if line.strip() and not line.startswith("#")]
    assert not leftover, f"commands after the last shown output: {leftover}"
    return found


def same_output(shown: str, printed: str) -> bool:
    def normal(text: str) -> str:
        return "\n".join(DATE_TIME.sub("<date-time>", line).rstrip() for line in text.strip().splitlines())

    return normal(shown) == normal(printed)


def installed_command(workdir: Path) -> None:
    """``.venv/bin/pagerline`` in the tour's directory: the command ``make run`` installs."""
    command = workdir / ".venv" / "bin" / "pagerline"
    command.parent.mkdir(parents=True)
    command.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m pagerline "$@"\n')
    command.chmod(command.stat().st_mode | stat.S_IXUSR)


def run_step(step: Step, names: list[str], workdir: Path, env: dict[str, str], url: str) -> str:
    state = workdir / "state.sh"
    script = "\n".join([
        "set -euo pipefail",
        f"[ -f {state} ] && source {state}",
        step.commands.replace(DOCUMENTED_URL, url),
        f"{{ declare -p {' '.join(names)} 2>/dev/null || true; }} > {state}.new && mv {state}.new {state}" if names else "",
    ])
    result = subprocess.run(["bash", "-c", script], cwd=workdir, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"tour step failed:\n{step.commands}\n{result.stdout}\n{result.stderr}"
    return result.stdout.replace(url, DOCUMENTED_URL)


def test_the_tour_prints_what_the_readme_shows(tmp_path: Path) -> None:
    match = TOUR.search(README.read_text(encoding="utf-8"))
    assert match, "README has no <!-- tour --> block"
    script = match.group("script")
    env = {
        "PAGERLINE_DATABASE_URL": f"sqlite://{tmp_path}/var/pagerline.db",
        "PAGERLINE_DEMO_FILE": str(tmp_path / "var" / "demo.json"),
    }
    installed_command(tmp_path)
    # What `make run` does: migrate, seed the demo, serve in demo mode.
    for command in (["migrate"], ["demo"]):
        done = subprocess.run([sys.executable, "-m", "pagerline", *command], env=base_env({**env, "PAGERLINE_DEMO": "1"}),
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    server = start_server({**env, "PAGERLINE_DEMO": "1", "PAGERLINE_CONSOLE_LOG": str(tmp_path / "console.jsonl")}, tmp_path)
    database = env["PAGERLINE_DATABASE_URL"]

    async def due_left() -> int:
        now = datetime.now(UTC)
        return await Notification.filter(status__in=[NotificationStatus.PENDING, NotificationStatus.SENDING], due_at__lte=now).count()

    try:
        # The second terminal has no PAGERLINE_DEMO: only what the tour sets itself.
        shell_env = base_env(env)
        names = sorted(set(ASSIGNED.findall(script)))
        for step in steps(script):
            # A person reads each answer before typing the next command: what is due by then
            # has been delivered by the server's worker.
            wait_until(lambda: in_db(database, due_left) == 0, what="due notifications to be delivered")
            printed = run_step(step, names, tmp_path, shell_env, server.url)
            assert same_output(step.shown, printed), f"README shows:\n{step.shown}\nbut the commands printed:\n{printed}"
    finally:
        server.stop()
    assert "Exception in ASGI application" not in server.log(), server.log()


def test_the_tour_is_cut_into_steps_at_each_shown_output() -> None:
    script = "A=1\n# 1. first\necho a\n# → a\n#   b\n\necho c\n# → c\n"
    assert steps(script) == [Step("A=1\n# 1. first\necho a", "a\nb"), Step("\necho c", "c")]
    assert same_output("2026-11-26 17:52:39  SENT x", "2027-01-01 00:00:00  SENT x\n")
    assert not same_output("2026-11-26 17:52:39  SENT x", "2027-01-01 00:00:00 SENT x")
