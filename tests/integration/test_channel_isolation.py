"""The worker consumes each channel's queue with threads of its own: a push provider that hangs
(the fake FCM holding every request) takes the push queue's threads and nothing else, so the SMS
of the same alerts reaches the fake Twilio while the pushes are still stuck. Run with the
in-process broker of embedded mode and with Redis, through the real runtime, dispatcher and
transports; nothing of pagerline is replaced. And ``pagerline worker --queues`` processes
consume, and sweep, only the channels they are given.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dramatiq.brokers.stub import StubBroker

from pagerline.bus import InProcessBus
from pagerline.engine.core.effects import Effects, NullDispatcher, set_dispatcher
from pagerline.models import Channel, Device, NotificationRule, Platform, Priority, PushProvider
from pagerline.settings import Settings
from pagerline.workers.actors import declare_actors
from pagerline.workers.broker import build_broker
from pagerline.workers.dispatcher import QueueDispatcher
from pagerline.workers.queues import ACTIONS_QUEUE, all_queues, channel_queue, parse_queues
from pagerline.workers.runtime import WorkerRuntime
from tests.fakes.fcm import FakeFcm
from tests.fakes.twilio import FakeTwilio
from tests.support.graphql import fire_ok, in_db
from tests.support.live import seed_database
from tests.support.polling import wait_until, wait_until_async
from tests.support.processes import Proc, Server, start_server, start_worker
from tests.support.seed import Org, raise_alert, seed_org, verified_phone
from tests.support.transports import fake_provider_env, start_faked_providers

PHONE = "+15550001"
ANDROID = "fcm-token-of-alices-android"


async def paged_on_her_android_and_by_sms_at_once(org: Org) -> None:
    """Alice's phones: an Android phone through FCM, and a verified number for her SMS at 0 min."""
    await Device.filter(user_id=org.alice_id).delete()
    await Device.create(user_id=org.alice_id, platform=Platform.ANDROID, provider=PushProvider.FCM, token=ANDROID)
    await verified_phone(org.alice_id, PHONE)
    await NotificationRule.filter(user_id=org.alice_id, method=Channel.SMS, priority=Priority.HIGH).update(delay_minutes=0)
    await NotificationRule.filter(user_id=org.alice_id, method=Channel.VOICE).delete()


@pytest.fixture
def fakes() -> Iterator[tuple[FakeFcm, FakeTwilio]]:
    with FakeFcm() as fcm, FakeTwilio() as twilio:
        yield fcm, twilio


@pytest.fixture(params=["in-process", "redis"])
def broker_url(request: pytest.FixtureRequest) -> str | None:
    return str(request.getfixturevalue("redis_url")) if request.param == "redis" else None


async def test_a_hanging_push_provider_never_delays_the_sms_of_the_same_alerts(
    db: str, broker_url: str | None, fakes: tuple[FakeFcm, FakeTwilio], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fcm, twilio = fakes
    for name, value in {**fake_provider_env(fcm, twilio, tmp_path), "PAGERLINE_SECRET_KEY": "test-secret"}.items():
        monkeypatch.setenv(name, value)
    org = await seed_org()
    await paged_on_her_android_and_by_sms_at_once(org)

    broker = build_broker(broker_url)
    actors = declare_actors(broker)
    dispatcher = QueueDispatcher(actors, InProcessBus())
    set_dispatcher(dispatcher)
    # One thread per queue: the first held push takes all the push queue has. No sweeper: the
    # queues alone must deliver.
    runtime = WorkerRuntime(Settings(), broker, actors, threads=1, sweep=False)
    fcm.hold(ANDROID, times=None)  # every push to her phone waits for the test
    try:
        await runtime.start()
        first = await raise_alert(org.api_key, datetime.now(UTC), "checkout", "Checkout is down")
        await wait_until_async(lambda: fcm.script.held == 1, timeout=15, what="the provider to hold the first push")
        second = await raise_alert(org.api_key, datetime.now(UTC), "payments", "Payments are down")
        alerts = [first, second]

        await wait_until_async(lambda: len(twilio.messages_to(PHONE)) == 2, timeout=15, what="both texts")
        # ... while the provider still holds the first push, and the second waits its turn.
        assert fcm.script.held == 1 and [r.status for r in fcm.received] == [None]
        texts = sorted(r.form["Body"] for r in twilio.messages_to(PHONE))
        assert [t.split(" ", 2)[1] for t in texts] == sorted(f"#{a}" for a in alerts)

        fcm.script.clear()  # the provider answers again, the held push first
        await wait_until_async(lambda: len(fcm.delivered(ANDROID)) == 2, timeout=15, what="both pushes")
    finally:
        fcm.script.clear()
        await runtime.stop()
        set_dispatcher(NullDispatcher())
        await dispatcher.close()
        broker.close()


async def test_each_wake_up_goes_to_its_channels_queue_and_every_channel_has_one() -> None:
    broker = StubBroker()
    actors = declare_actors(broker)
    assert {actor.queue_name for actor in actors.notifications.values()} | {actors.deliver_alert_action.queue_name} == all_queues()
    assert set(actors.notifications) == set(Channel)  # a channel added to the enum gets its queue

    dispatcher = QueueDispatcher(actors, InProcessBus())
    try:
        effects = Effects()
        effects.wake_notification(1, datetime.now(UTC), Channel.SMS)
        effects.wake_notification(2, datetime.now(UTC), Channel.PUSH)
        effects.wake_notification(3, datetime.now(UTC), Channel.SMS)
        effects.wake_action_delivery(4)
        await dispatcher.dispatch(effects)
        await wait_until_async(lambda: broker.queues[ACTIONS_QUEUE].qsize() == 1, timeout=5, what="the wake-ups")
        assert {q: broker.queues[q].qsize() for q in sorted(all_queues())} == {
            ACTIONS_QUEUE: 1,
            **{channel_queue(c): {Channel.SMS: 2, Channel.PUSH: 1}.get(c, 0) for c in Channel},
        }
    finally:
        await dispatcher.close()


def test_operators_pick_queues_by_channel_name() -> None:
    from pagerline.cli import build_parser

    assert build_parser().parse_args(["worker", "--queues", "sms, VOICE"]).queues == {"pagerline.sms", "pagerline.voice"}
    assert build_parser().parse_args(["worker"]).queues is None
    assert parse_queues("push,actions") == {channel_queue(Channel.PUSH), ACTIONS_QUEUE}
    with pytest.raises(ValueError, match="unknown queue pager; the queues are: push, sms, voice, email"):
        parse_queues("sms,pager")


def test_workers_of_chosen_queues_deliver_and_sweep_only_their_channels(
    pg_database_url: str, redis_url: str, tmp_path: Path
) -> None:
    """Production's layout with texts and calls on workers of their own: a page's SMS goes out
    through the ``--queues sms,voice`` worker alone; its push waits, in its queue and in the
    database, for a worker that consumes ``push``."""
    url = pg_database_url
    org = seed_database(url)
    in_db(url, lambda: paged_on_her_android_and_by_sms_at_once(org))
    providers = start_faked_providers(url, tmp_path, PAGERLINE_REDIS_URL=redis_url)
    server: Server | None = None
    workers: list[Proc] = []
    try:
        server = start_server(providers.env, tmp_path, port=providers.port)  # with Redis: no embedded worker
        workers.append(start_worker(providers.env, tmp_path, "calls", queues="sms,voice"))
        alert_id = fire_ok(server.url, org.api_key, "checkout", "Checkout is down")

        [sms] = wait_until(lambda: providers.twilio.messages_to(PHONE), timeout=20, what="the text")
        assert sms.form["Body"].startswith(f"pagerline #{alert_id} ")
        assert providers.fcm.count == 0

        workers.append(start_worker(providers.env, tmp_path, "others", queues="push,email,ntfy,pushover,telegram,actions"))
        wait_until(lambda: providers.fcm.delivered(ANDROID), timeout=20, what="the push, once a worker consumes push")
        assert len(providers.twilio.messages_to(PHONE)) == 1
    finally:
        for proc in [*workers, server]:
            if proc is not None:
                proc.stop()
        providers.stop()
