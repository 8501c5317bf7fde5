"""A scripted stand-in for a provider (the fake FCM/APNs/Twilio servers come with the push
issue): records every message and answers with scripted outcomes. It implements the public
Transport interface; nothing of ours is replaced."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pagerline.engine.delivery.outbox import DeliveryContext, DeliveryPolicy
from pagerline.push.base import DeliveryResult, Outcome, OutgoingMessage
from pagerline.push.registry import Transports
from tests.fakes.apns import FakeApns
from tests.fakes.fcm import FakeFcm
from tests.fakes.twilio import FakeTwilio
from tests.support.processes import free_port


#: The key :func:`ctx` signs action tokens (and a sweep derives action secrets) with.
SIGNING_KEY = b"test-signing-key"

#: The number the fake-backed Twilio transport sends from.
TWILIO_FROM = "+15557770000"


class ScriptedTransport:
    name = "scripted"

    def __init__(self, *script: DeliveryResult) -> None:
        self.script: deque[DeliveryResult] = deque(script)
        self.sent: list[OutgoingMessage] = []

    async def send(self, message: OutgoingMessage) -> DeliveryResult:
        self.sent.append(message)
        if self.script:
            return self.script.popleft()
        return DeliveryResult(Outcome.DELIVERED, provider_id=f"ok-{len(self.sent)}")

    async def close(self) -> None:
        return None


def console_only(transport: ScriptedTransport) -> Transports:
    """Every channel goes to ``transport`` (as the console transport would in demo mode)."""
    return Transports(console=transport)


def ctx(transport: ScriptedTransport, policy: DeliveryPolicy | None = None) -> DeliveryContext:
    """A delivery context whose every channel goes to ``transport``; action tokens signed with a
    test key."""
    return DeliveryContext(console_only(transport), policy or DeliveryPolicy(), SIGNING_KEY, "https://pagerline.test")


def fcm_env(fcm: FakeFcm, workdir: Path) -> dict[str, str]:
    """Settings that point the real FCM transport of a server or worker at the fake (with a
    service account whose token endpoint is the fake too)."""
    return {
        "PAGERLINE_FCM_CREDENTIALS": str(fcm.write_service_account(workdir / "sa.json")),
        "PAGERLINE_FCM_PROJECT_ID": fcm.project_id,
        "PAGERLINE_FCM_ENDPOINT": fcm.url,
    }


def apns_env(apns: FakeApns, workdir: Path) -> dict[str, str]:
    """Settings that point the real APNs transport of a server or worker at the fake, pushing as
    its account (a fake made by ``FakeApns.for_account``)."""
    assert apns.account is not None, "make the fake with FakeApns.for_account"
    key_file = workdir / "apns-key.p8"
    key_file.write_text(apns.account.key)
    return {
        "PAGERLINE_APNS_KEY_FILE": str(key_file),
        "PAGERLINE_APNS_KEY_ID": apns.account.key_id,
        "PAGERLINE_APNS_TEAM_ID": apns.account.team_id,
        "PAGERLINE_APNS_TOPIC": apns.account.topic,
        "PAGERLINE_APNS_HOST": apns.host,
        "PAGERLINE_APNS_PORT": str(apns.port),
        "PAGERLINE_APNS_CA_FILE": apns.ca_file,
    }


def twilio_env(twilio: FakeTwilio) -> dict[str, str]:
    """Settings that point the real Twilio transport of a server or worker at the fake."""
    return {
        "PAGERLINE_TWILIO_ACCOUNT_SID": twilio.account_sid,
        "PAGERLINE_TWILIO_AUTH_TOKEN": twilio.auth_token,
        "PAGERLINE_TWILIO_FROM": TWILIO_FROM,
        "PAGERLINE_TWILIO_BASE_URL": twilio.url,
    }


@contextmanager
def running_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


def fake_provider_env(fcm: FakeFcm, twilio: FakeTwilio, workdir: Path) -> dict[str, str]:
    """Settings that point the real FCM and Twilio transports of a server or worker at the fakes."""
    return {**fcm_env(fcm, workdir), **twilio_env(twilio)}


@dataclass
class FakedProviders:
    """Running fake FCM and Twilio servers and the environment of a server (or worker) whose
    transports use them. The server must listen on ``port``: its public URL names it, and
    Twilio's callbacks are signed over that URL."""

    fcm: FakeFcm
    twilio: FakeTwilio
    port: int
    env: dict[str, str]

    def stop(self) -> None:
        self.fcm.stop()
        self.twilio.stop()


def start_faked_providers(database_url: str, workdir: Path, **extra: str) -> FakedProviders:
    fcm = FakeFcm().start()
    twilio = FakeTwilio()
    twilio.start()
    port = free_port()
    env = {
        "PAGERLINE_DATABASE_URL": database_url,
        "PAGERLINE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "PAGERLINE_SWEEP_INTERVAL_SECONDS": "0.2",
        **fake_provider_env(fcm, twilio, workdir),
        **extra,
    }
    return FakedProviders(fcm, twilio, port, env)
