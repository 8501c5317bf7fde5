"""The Dramatiq broker: Redis in production, an in-process stub in embedded mode. Its queues
are named in :mod:`pagerline.workers.queues`."""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker


def build_broker(redis_url: str | None) -> dramatiq.Broker:
    if redis_url:
        import redis

        # Short timeouts: with Redis down, an enqueue must fail fast (the sweeper covers it),
        # not hold up the HTTP response that already committed.
        pool = redis.ConnectionPool.from_url(redis_url, socket_connect_timeout=1, socket_timeout=5)
        broker: dramatiq.Broker = RedisBroker(client=redis.Redis(connection_pool=pool), namespace="pagerline")
    else:
        broker = StubBroker()
        broker.emit_after("process_boot")
    return broker
