"""Real processes for integration tests: `pagerline serve` (uvicorn), `pagerline worker`, and a
private redis-server that a test may stop and start again."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

# wait_until_async is re-exported for the tests that import it from here with the rest.
from tests.support.polling import free_port, wait_until, wait_until_async  # noqa: F401


@dataclass
class Proc:
    args: list[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._log = open(self.log_path, "ab")
        self.popen = subprocess.Popen(self.args, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.send_signal(sig)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@contextmanager
def serving(server: Server) -> Iterator[Server]:
    """Stops ``server`` after the block, then fails if it logged a crash. (Strawberry logs user
    errors such as a wrong password with a traceback too: only an exception in the app counts.)"""
    try:
        yield server
    finally:
        server.stop()
    assert "Exception in ASGI application" not in server.log(), server.log()


def base_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAGERLINE_")}
    env.update({"PAGERLINE_SECRET_KEY": "test-secret", "PAGERLINE_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


@dataclass
class Server(Proc):
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        super().start()
        def healthy() -> bool:
            assert self.popen is not None
            if self.popen.poll() is not None:
                raise AssertionError(f"server exited early:\n{self.log()}")
            try:
                return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False
        # Generous: a server starts in 1-2 s, but a machine busy with other work has taken over 20 s.
        wait_until(healthy, timeout=60, what="server /healthz")


def start_server(env: dict[str, str], workdir: Path, workers: int = 1, port: int | None = None) -> Server:
    """``port``: pick it first when the server must know its own public URL (provider callbacks)."""
    port = port or free_port()
    server = Server(
        args=[sys.executable, "-m", "pagerline", "serve", "--port", str(port), "--workers", str(workers)],
        env=base_env(env),
        log_path=workdir / f"server-{port}.log",
        port=port,
    )
    server.start()
    return server


def start_worker(env: dict[str, str], workdir: Path, name: str = "worker", queues: str | None = None) -> Proc:
    """``queues``: what ``--queues`` takes (e.g. "sms,voice"); default every queue."""
    worker = Proc(
        args=[sys.executable, "-m", "pagerline", "worker", "--threads", "8", *(["--queues", queues] if queues else [])],
        env=base_env(env),
        log_path=workdir / f"{name}.log",
    )
    worker.start()
    return worker


@dataclass
class PrivateRedis:
    """A redis-server of the test's own, so stopping it cannot disturb other tests."""

    workdir: Path
    port: int = field(default_factory=free_port)
    popen: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        self.popen = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        def up() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    return s.recv(16).startswith(b"+PONG")
            except OSError:
                return False
        wait_until(up, timeout=10, what="redis-server")

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.terminate()
            self.popen.wait(10)
