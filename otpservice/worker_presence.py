"""Which queues have a consuming worker: each worker's consumer keeps a short-lived key in the broker."""
from __future__ import annotations

import json

import redis
from celery import bootsteps

KEY_PREFIX = "otp:worker-presence:"
INTERVAL_SECONDS = 5.0
# Three missed refreshes: a worker that died or lost the broker drops out within this many seconds.
TTL_SECONDS = 15
SOCKET_TIMEOUT_SECONDS = 1.0


def _client(broker_url: str) -> redis.Redis:
    return redis.Redis.from_url(
        broker_url, socket_timeout=SOCKET_TIMEOUT_SECONDS, socket_connect_timeout=SOCKET_TIMEOUT_SECONDS
    )


class Presence(bootsteps.StartStopStep):
    """Runs inside the consumer after its task consumer starts, and stops whenever the consumer
    stops or restarts (a lost broker connection): a present key means "connected and consuming".
    Remote control (control ping, inspect) is off in this project, see settings.base."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent, **kwargs) -> None:
        super().__init__(parent, **kwargs)
        self.timer_entry = None
        self.client: redis.Redis | None = None
        self.key = ""

    def start(self, c) -> None:
        self.key = f"{KEY_PREFIX}{c.hostname}"
        self.client = _client(c.app.conf.broker_url)
        queues = json.dumps(sorted(queue.name for queue in c.task_consumer.queues))
        client, key = self.client, self.key

        def refresh() -> None:
            try:
                client.set(key, queues, ex=TTL_SECONDS)
            except redis.RedisError:
                pass  # the consumer notices a lost broker itself; the key simply expires

        refresh()
        self.timer_entry = c.timer.call_repeatedly(INTERVAL_SECONDS, refresh)

    def stop(self, c) -> None:
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None
        if self.client is not None:
            try:
                self.client.delete(self.key)
            except redis.RedisError:
                pass
            self.client.close()
            self.client = None

    shutdown = stop


def consumed_queues(broker_url: str) -> set[str]:
    """Every queue some live worker consumes now (one SCAN and one MGET on the broker)."""
    client = _client(broker_url)
    try:
        keys = list(client.scan_iter(match=f"{KEY_PREFIX}*", count=1000))
        values = client.mget(keys) if keys else []
    finally:
        client.close()
    return {queue for value in values if value for queue in json.loads(value)}
