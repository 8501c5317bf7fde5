"""The push benchmark (bench/push.py) run small so it cannot rot: a ``--quick`` run of the ntfy,
Pushover and Telegram phases against their fakes, read from the JSON line it ends with. Only
that every phase delivered and nothing failed or went astray is checked, never a speed (the
machine running the tests is not a quiet one), and the fakes' memory bounds it relies on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.fakes.pushover import FakePushover
from tests.fakes.telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
NEW_PHASES = ("ntfy", "pushover", "telegram")


def test_quick_run_of_the_ntfy_pushover_and_telegram_phases_delivers_without_errors() -> None:
    # Few senders and a short fake delay: enough deliveries in a short phase on a busy machine.
    args = ["--quick", "--duration", "1", "--concurrency", "4", "--delay", "0.005", "--phases", ",".join(NEW_PHASES)]
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "push.py"), *args], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["complete"] is True
    assert list(summary["phases"]) == list(NEW_PHASES)
    for phase in NEW_PHASES:
        info = summary["phases"][phase]
        assert info["delivered"] > 0, phase
        assert info["delivered_by"] == {phase: info["delivered"]}
        assert info["not_delivered"] == {}, phase
        # Every send reached its own fake once, warm-ups included.
        assert summary["fake_counts"][phase] == summary["sends"][phase] > 0
    assert summary["sends"]["fcm"] == summary["sends"]["apns"] == 0


def test_fakes_keep_at_most_max_records_emergencies_and_sent_messages() -> None:
    with FakePushover(app_token="t" * 30, max_records=2) as pushover, FakeTelegram(token="1:bench", max_records=2) as telegram:
        user = pushover.user()
        with httpx.Client(timeout=10) as http:
            for n in range(4):
                form = {"token": "t" * 30, "user": user, "message": f"page {n}", "priority": "2", "retry": "60", "expire": "600"}
                assert http.post(f"{pushover.url}/1/messages.json", data=form).json()["status"] == 1
                sent = http.post(f"{telegram.url}/bot1:bench/sendMessage", json={"chat_id": 7, "text": f"page {n}"})
                assert sent.json()["ok"] is True
        assert len(pushover.emergencies) == 2 and pushover.count == 4
        assert [m.text for m in telegram.messages_to(7)] == ["page 2", "page 3"]
