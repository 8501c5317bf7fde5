"""Benchmark: push deliveries per second through the real FCM, APNs, ntfy, Pushover and Telegram transports.

Run from the repo root:  .venv/bin/python bench/push.py [--quick] [--duration S] [--procs N]
                         [--phases fcm,apns,both,ntfy,pushover,telegram]

What is measured: ``FcmTransport.send`` (firebase-admin's async client: httpx, HTTP/2 over TLS,
as Google serves FCM) and ``ApnsTransport.send`` (aioapns: HTTP/2 over TLS, ES256 provider
tokens), against the fake FCM and APNs servers of ``tests/fakes`` (h2 in Python) running in
their own process. Every fake answer comes after ``--delay`` (50 ms by default), like a
provider's round trip. Likewise ``NtfyTransport.send`` (JSON publish), ``PushoverTransport.send``
(form post to ``/1/messages.json``) and ``TelegramTransport.send`` (Bot API ``sendMessage``),
all httpx over keep-alive HTTP/1.1, against the fake ntfy, Pushover and Telegram servers (clear
text, in the same fake process, answering after the same ``--delay``).

Processes: the fakes in one, the transports in ``--procs`` load processes (each like one
``pagerline worker`` process: its own event loop and transports), and this orchestrator, which
only keeps time and samples CPU and RSS. All share the machine's cores, so the CPU split is
printed with every phase; "other" is CPU used by processes outside the benchmark (on a shared
machine, anything above ~0.1 cores there means the figures are disturbed). The transport's own
cost, CPU milliseconds per delivered push, is the figure that does not depend on the machine
being quiet.

Phases, each ``--duration`` seconds after a warm-up: FCM alone, APNs alone, then both at once
(half the senders each), then ntfy alone, Pushover alone and Telegram alone; ``--phases`` picks
some of them (default: all, in that order). Every push is a HIGH page shaped as the engine sends
it: to an iOS device for FCM and APNs; for ntfy (priority 5 with Accept and Resolve buttons),
Pushover (emergency priority with the acknowledgement callback, to a 30-character user key the
fake knows) and Telegram (a chat id, Accept and Resolve buttons carrying the token's nonce, an
Open button) with the action token and the ``actions_url`` and ``alert_url`` the engine adds.

In each phase, ``--concurrency`` senders per load process loop "send one push, await the result"
(the transports' own concurrency limit is set to the same figure), so the send latency is the
request's, not time queued in front of the limit. The HTTP/1.1 transports open one connection
per sender; the warm-up opens them.

Budget (DESIGN.md): push deliveries/s to fakes answering after 50 ms >= 500/s, applied to each
phase. Send latency p50/p99 and the peak RSS of a load process (a worker minus the database)
are printed beside it (informative: DESIGN.md budgets a whole ``pagerline worker`` at < 250 MB,
which the pipeline benchmark measures). The event -> push-at-fake latency needs the whole pipeline and lives in
the pipeline benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import os
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    MB,
    CpuAccount,
    Figure,
    RssSampler,
    figures_json,
    json_line,
    latency_summary,
    machine_info,
    print_figures,
    print_kv,
    print_section,
)

BUDGET_PER_SECOND = 500.0
WORKER_RSS_BUDGET_MB = 250.0
KEY_ID, TEAM_ID, TOPIC = "BENCHKEY01", "BENCHTEAM1", "com.example.pagerline.bench"
PUSHOVER_APP_TOKEN = "abench0pushover0app0token00001"  # 30 characters, as Pushover's
TELEGRAM_BOT_TOKEN = "123456:BENCH-bot_token"
PUBLIC_URL = "https://pagerline.example.com"
CHANNELS = ("fcm", "apns", "ntfy", "pushover", "telegram")  # one transport (and fake) each
PHASES = ("fcm", "apns", "both", "ntfy", "pushover", "telegram")
LABELS = {"fcm": "FCM", "apns": "APNs", "ntfy": "ntfy", "pushover": "Pushover", "telegram": "Telegram"}


# =========================================================================== fake process


def _serve_fakes(conn: Any, delay: float, public_key: str) -> None:
    """Every fake (count-only: no records kept) until told to stop."""
    import warnings

    warnings.simplefilter("ignore")
    from tests.fakes.apns import FakeApns
    from tests.fakes.fcm import FakeFcm
    from tests.fakes.ntfy import FakeNtfy
    from tests.fakes.pushover import FakePushover
    from tests.fakes.telegram import FakeTelegram

    pushover = FakePushover(app_token=PUSHOVER_APP_TOKEN, delay=delay, max_records=0)
    fakes = {
        "fcm": FakeFcm(project_id="pagerline-bench", delay=delay, max_records=0, tls=True),
        "apns": FakeApns(public_key_pem=public_key, key_id=KEY_ID, team_id=TEAM_ID, topic=TOPIC, delay=delay, max_records=0),
        "ntfy": FakeNtfy(delay=delay, max_records=0),
        "pushover": pushover,
        "telegram": FakeTelegram(token=TELEGRAM_BOT_TOKEN, delay=delay, max_records=0),
    }
    for fake in fakes.values():
        fake.start()

    def counts() -> dict[str, int]:
        return {name: fake.count for name, fake in fakes.items()} | {
            f"{name}_connections": fake.connections_made for name, fake in fakes.items()}

    conn.send({"fcm_url": fakes["fcm"].url, "fcm_ca_file": fakes["fcm"].ca_file, "apns_port": fakes["apns"].port,
               "apns_ca_file": fakes["apns"].ca_file, "ntfy_url": fakes["ntfy"].url, "pushover_url": pushover.url,
               "pushover_user": pushover.user(), "telegram_url": fakes["telegram"].url})
    try:
        while conn.recv() != "stop":
            conn.send(counts())
    finally:
        conn.send(counts())
        for fake in fakes.values():
            fake.stop()


# =========================================================================== load processes


@dataclass
class PhaseReport:
    delivered: int = 0
    delivered_by: dict[str, int] = field(default_factory=dict)
    other: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    sends: dict[str, int] = field(default_factory=dict)  # all sends, warm-up included
    examples: list[str] = field(default_factory=list)


def _message(prefix: str, n: int) -> Any:
    from pagerline.models import Channel
    from pagerline.push.base import Destination, OutgoingMessage

    return OutgoingMessage(
        notification_id=n, channel=Channel.PUSH, kind="PAGE", title="[HIGH] Database disk full",
        body="db-1: /var/lib/postgresql at 99% (bench)", user_id=1,
        destination=Destination(address=f"{prefix}-{n % 1000}", provider=prefix.upper(), platform="IOS", critical=True),
        alert_id=n, priority="HIGH", alert_status="PENDING", critical=True, collapse_id=f"alert-{n}",
        action_token="bench.action.token", badge=1, thread_id="bench", ttl_seconds=600,
    )


def _action_token(n: int) -> str:
    """Shaped like :func:`pagerline.engine.delivery.action_tokens.issue`'s (claims, signature):
    the transports only carry it (Telegram reads its nonce), so it need not verify."""
    import base64
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    claims = {"n": f"{n:032x}", "a": n, "u": 1, "d": None, "e": 1_900_000_000, "v": "bench"}
    return f"{b64(json.dumps(claims, separators=(',', ':')).encode())}.{b64(bytes(32))}"


def _contact_page(channel: str, address: str, n: int) -> Any:
    """A HIGH page to a contact method, as the engine's outbox renders one: a fresh action token
    and the actions and alert URLs beside it."""
    from pagerline.models import Channel
    from pagerline.push.base import Destination, OutgoingMessage

    token = _action_token(n)
    return OutgoingMessage(
        notification_id=n, channel=Channel(channel.upper()), kind="PAGE", title="[HIGH] Database disk full",
        body="db-1: /var/lib/postgresql at 99% (bench)", user_id=1, destination=Destination(address=address),
        alert_id=n, priority="HIGH", alert_status="PENDING", collapse_id=f"alert-{n}", action_token=token,
        thread_id="source-1",
        data={"accept_url": f"{PUBLIC_URL}/api/actions/confirm?action=accept&token={token}",
              "resolve_url": f"{PUBLIC_URL}/api/actions/confirm?action=resolve&token={token}",
              "actions_url": f"{PUBLIC_URL}/api/actions", "alert_url": f"{PUBLIC_URL}/#/alerts/{n}"},
    )


def _make_message(prefix: str, n: int, pushover_user: str) -> Any:
    if prefix == "ntfy":
        return _contact_page(prefix, f"bench-topic-{n % 1000}", n)
    if prefix == "pushover":
        return _contact_page(prefix, pushover_user, n)
    if prefix == "telegram":
        return _contact_page(prefix, str(100_000 + n % 1000), n)
    return _message(prefix, n)


async def _phase(transports: dict[str, Any], prefixes: list[str], t_start: float, t0: float, t1: float,
                 pushover_user: str = "") -> PhaseReport:
    from pagerline.push.base import Outcome

    report = PhaseReport()
    counter = 0

    async def sender(prefix: str) -> None:
        nonlocal counter
        transport = transports[prefix]
        while True:
            started = time.monotonic()
            if started >= t1:
                return
            counter += 1
            report.sends[prefix] = report.sends.get(prefix, 0) + 1
            result = await transport.send(_make_message(prefix, counter, pushover_user))
            ended = time.monotonic()
            if started >= t0 and ended <= t1:
                report.latencies.append(ended - started)
                if result.outcome is Outcome.DELIVERED:
                    report.delivered += 1
                    report.delivered_by[prefix] = report.delivered_by.get(prefix, 0) + 1
                else:
                    report.other[result.outcome.value] = report.other.get(result.outcome.value, 0) + 1
                    if len(report.examples) < 3:
                        report.examples.append(f"{prefix}: {result.outcome.value} {result.reason}")

    await asyncio.sleep(max(0.0, t_start - time.monotonic()))
    await asyncio.gather(*(sender(p) for p in prefixes))
    return report


def _load_process(conn: Any, fakes: dict[str, Any], private_key: str, concurrency: int, apns_connections: int) -> None:
    """One load process: its own loop and transports, reused across phases like a worker's."""
    import warnings

    warnings.simplefilter("ignore", DeprecationWarning)
    # firebase-admin's httpx client takes its CA bundle from SSL_CERT_FILE (this process only
    # talks to the fakes); the APNs transport is given its CA file directly.
    os.environ["SSL_CERT_FILE"] = fakes["fcm_ca_file"]
    from google.auth.credentials import AnonymousCredentials

    from pagerline.push.apns import ApnsTransport
    from pagerline.push.fcm import FcmTransport
    from pagerline.push.ntfy import NtfyTransport
    from pagerline.push.pushover import PushoverTransport
    from pagerline.push.telegram import TelegramTransport

    async def run() -> None:
        transports = {
            "fcm": FcmTransport(credential=AnonymousCredentials(), project_id="pagerline-bench", endpoint=fakes["fcm_url"],
                                concurrency=concurrency),
            "apns": ApnsTransport(key=private_key, key_id=KEY_ID, team_id=TEAM_ID, topic=TOPIC, host="127.0.0.1",
                                  port=fakes["apns_port"], ca_file=fakes["apns_ca_file"], concurrency=concurrency,
                                  max_connections=apns_connections),
            "ntfy": NtfyTransport(base_url=fakes["ntfy_url"], concurrency=concurrency),
            "pushover": PushoverTransport(app_token=PUSHOVER_APP_TOKEN, public_url=PUBLIC_URL, base_url=fakes["pushover_url"],
                                          concurrency=concurrency),
            "telegram": TelegramTransport(token=TELEGRAM_BOT_TOKEN, base_url=fakes["telegram_url"], concurrency=concurrency),
        }
        try:
            conn.send("ready")
            while True:
                command = await asyncio.to_thread(conn.recv)
                if command == "stop":
                    return
                prefixes, t_start, t0, t1 = command
                report = await _phase(transports, prefixes, t_start, t0, t1, fakes["pushover_user"])
                conn.send(report)
        finally:
            for transport in transports.values():
                await transport.close()

    try:
        asyncio.run(run())
    except Exception:
        conn.send(f"error: {traceback.format_exc()}")


# =========================================================================== main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per phase (default %(default)s)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 s phases")
    parser.add_argument("--procs", type=int, default=1, help="load processes, like worker processes (default %(default)s)")
    parser.add_argument("--concurrency", type=int, default=64, help="senders per load process = transport limit (default %(default)s)")
    parser.add_argument("--delay", type=float, default=0.05, help="seconds each fake waits before answering (default %(default)s)")
    parser.add_argument("--apns-connections", type=int, default=4, help="aioapns max connections (default %(default)s)")
    parser.add_argument("--phases", default=",".join(PHASES), help="which phases to run (default %(default)s)")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration = min(args.duration, 2.0)
    args.warmup = 0.5 if args.quick else 1.5
    args.phase_list = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = set(args.phase_list) - set(PHASES)
    if unknown:
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")
    return args


def _prefixes(phase: str, concurrency: int) -> list[str]:
    if phase == "both":
        half = concurrency // 2
        return ["fcm"] * half + ["apns"] * (concurrency - half)
    return [phase] * concurrency


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print_section("machine")
    machine = machine_info()
    print_kv(machine)

    from tests.fakes.apns import make_apns_key

    private_key, public_key = make_apns_key()
    context = multiprocessing.get_context("spawn")
    fake_conn, fake_child_conn = context.Pipe()
    fake_proc = context.Process(target=_serve_fakes, args=(fake_child_conn, args.delay, public_key), daemon=True, name="fakes")
    loaders: list[tuple[Any, Any]] = []
    failed = False
    figures: list[Figure] = []
    phase_info: dict[str, Any] = {}
    counts: dict[str, int] = {}
    sent = dict.fromkeys(CHANNELS, 0)
    samplers: list[RssSampler] = []
    try:
        fake_proc.start()
        if not fake_conn.poll(30):
            raise RuntimeError("fake servers did not start")
        fakes = fake_conn.recv()
        for i in range(args.procs):
            parent, child = context.Pipe()
            proc = context.Process(target=_load_process, name=f"load-{i}", daemon=True,
                                   args=(child, fakes, private_key, args.concurrency, args.apns_connections))
            proc.start()
            loaders.append((proc, parent))
        for proc, conn in loaders:
            answer = conn.recv() if conn.poll(60) else "no answer within 60 s"
            if answer != "ready":
                raise RuntimeError(f"{proc.name} did not start: {answer}")

        load_pids = [proc.pid for proc, _ in loaders]
        cpu = CpuAccount({"transports": lambda: load_pids, "fakes": lambda: [fake_proc.pid]})
        samplers = [RssSampler(pid, name=f"load-{i}").start() for i, pid in enumerate(load_pids)]

        print_section("settings")
        print_kv({
            "fakes": f"FCM HTTP v1 at {fakes['fcm_url']} and APNs at 127.0.0.1:{fakes['apns_port']}, both HTTP/2 over "
            f"TLS (APNs JWT checked), ntfy at {fakes['ntfy_url']}, Pushover at {fakes['pushover_url']} and Telegram at "
            f"{fakes['telegram_url']} (HTTP/1.1), in one process (pid {fake_proc.pid}); every answer after {args.delay * 1000:g} ms",
            "load processes": f"{args.procs} (pids {', '.join(map(str, load_pids))}), each with FcmTransport(concurrency="
            f"{args.concurrency}, AnonymousCredentials) and ApnsTransport(concurrency={args.concurrency}, "
            f"max_connections={args.apns_connections}), NtfyTransport, PushoverTransport and TelegramTransport "
            f"(concurrency={args.concurrency})",
            "load": f"{args.concurrency} closed-loop senders per process and phase (split evenly in 'both'); "
            f"{args.duration:g} s measured after {args.warmup:g} s warm-up",
            "push": "HIGH critical page to an iOS device (FCM message with APNs block / full APNs payload); HIGH page "
            "with action token, actions and alert URLs to an ntfy topic, a Pushover user key (emergency priority) "
            "and a Telegram chat",
            "phases": ",".join(args.phase_list),
        })

        for phase in args.phase_list:
            print_section(f"phase {phase}")
            t_start = time.monotonic() + 0.3
            t0, t1 = t_start + args.warmup, t_start + args.warmup + args.duration
            for _, conn in loaders:
                conn.send((_prefixes(phase, args.concurrency), t_start, t0, t1))
            time.sleep(max(0.0, t0 - time.monotonic()))
            before = cpu.snapshot()
            time.sleep(max(0.0, t1 - time.monotonic()))
            after = cpu.snapshot()
            reports: list[PhaseReport] = []
            for proc, conn in loaders:
                if not conn.poll(args.duration + 60):
                    raise RuntimeError(f"{proc.name} did not report phase {phase}")
                report = conn.recv()
                if isinstance(report, str):
                    raise RuntimeError(f"{proc.name}: {report}")
                reports.append(report)
            used = CpuAccount.delta(before, after)
            seconds = t1 - t0
            delivered = sum(r.delivered for r in reports)
            delivered_by = {p: sum(r.delivered_by.get(p, 0) for r in reports) for p in CHANNELS}
            shown = ("fcm", "apns") if phase in ("fcm", "apns", "both") else (phase,)
            other: dict[str, int] = {}
            for r in reports:
                for k, v in r.other.items():
                    other[k] = other.get(k, 0) + v
                for k, v in r.sends.items():
                    sent[k] += v
            latencies = [x for r in reports for x in r.latencies]
            lat = latency_summary(latencies)
            rate = delivered / seconds
            cpu_ms = used["transports"] * seconds / delivered * 1000 if delivered else math.nan
            fake_ms = used["fakes"] * seconds / delivered * 1000 if delivered else math.nan
            rss_peak = max((s.peak_between(t0, t1) for s in samplers), default=0)
            print_kv({
                "delivered": f"{delivered} in {seconds:.2f} s = {rate:.1f}/s ("
                + ", ".join(f"{LABELS[p]} {delivered_by[p] / seconds:.1f}/s" for p in shown) + ")",
                "not delivered": str(other or "none") + "".join(f"; {e}" for r in reports for e in r.examples),
                "send latency": f"p50 {lat['p50_ms']:.1f} ms, p90 {lat['p90_ms']:.1f} ms, p99 {lat['p99_ms']:.1f} ms, "
                f"max {lat['max_ms']:.1f} ms",
                "cpu (cores, avg)": ", ".join(f"{k} {v:.2f}" for k, v in used.items()),
                "cpu per push": f"transports {cpu_ms:.2f} ms, fakes {fake_ms:.2f} ms",
                "peak RSS": f"{rss_peak / MB:.1f} MB (largest load process)",
            })
            figures.append(Figure(f"{phase} deliveries/s", rate, "/s", BUDGET_PER_SECOND, ">="))
            figures.append(Figure(f"{phase} send p50", lat["p50_ms"], "ms"))
            figures.append(Figure(f"{phase} send p99", lat["p99_ms"], "ms"))
            figures.append(Figure(f"{phase} transport cpu/push", cpu_ms, "ms", note="load processes' CPU / deliveries"))
            phase_info[phase] = {"delivered": delivered, "delivered_by": {p: delivered_by[p] for p in shown}, "not_delivered": other,
                                 "seconds": round(seconds, 3),
                                 "cpu_cores": {k: round(v, 3) for k, v in used.items()},
                                 "fake_cpu_ms_per_push": None if math.isnan(fake_ms) else round(fake_ms, 3)}

        for _, conn in loaders:
            conn.send("stop")
        for proc, _ in loaders:
            proc.join(15)
        peak = max((s.peak() for s in samplers), default=0)
        figures.append(Figure("peak RSS of a load process", peak / MB, "MB",
                              note=f"transports + load loop; a whole worker is budgeted < {WORKER_RSS_BUDGET_MB:g} MB"))
        fake_conn.send("stop")
        counts = fake_conn.recv() if fake_conn.poll(10) else {}
        print_section("requests at the fakes vs. sends (whole run, warm-ups included)")
        print_kv({LABELS[c]: f"{counts.get(c)} received for {sent[c]} sends, {counts.get(f'{c}_connections')} connection(s)"
                  for c in CHANNELS})
        if any(counts.get(c) != sent[c] for c in CHANNELS):
            print("the fakes saw a different number of requests than were sent (duplicates or losses): run marked failed")
            failed = True
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        failed = True
    except Exception:
        traceback.print_exc()
        failed = True
    finally:
        for sampler in samplers:
            sampler.stop()
        for proc, _ in loaders:
            if proc.is_alive():
                proc.terminate()
                proc.join(5)
        if fake_proc.is_alive():
            fake_proc.join(5)
        if fake_proc.is_alive():
            fake_proc.terminate()
            fake_proc.join(5)

    print_section("summary")
    print_figures(figures)
    missed = [f.name for f in figures if f.met is False]
    print(f"budgets: {sum(1 for f in figures if f.met)} met, {len(missed)} MISSED" + (f" ({', '.join(missed)})" if missed else ""))
    summary: dict[str, Any] = {
        "bench": "push", "quick": args.quick, "duration_s": args.duration, "procs": args.procs,
        "concurrency": args.concurrency, "fake_delay_ms": args.delay * 1000, "apns_connections": args.apns_connections,
        "cpu_count": os.cpu_count(), "cpu_model": machine.get("cpu_model"), "load_before": machine.get("load average (1/5 min)"),
        "python": sys.version.split()[0], "complete": not failed and bool(phase_info),
        "fake_counts": counts, "sends": sent, "phases": phase_info,
    }
    summary |= figures_json(figures)
    print(json_line(summary))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
