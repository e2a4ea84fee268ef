"""Celery queue depth, read from the Redis broker at scrape time (LLEN of each queue's lists), for
every queue declared in CELERY_TASK_QUEUES (otp.queues.ALL_QUEUES and the webhook queues)."""
from __future__ import annotations

import logging
from functools import lru_cache

import redis
from django.conf import settings
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger("otp.metrics")

# kombu's Redis transport keeps a queue as one list per priority step: the queue's own name for
# priority 0, then name + "\x06\x16" + step (its default priority_steps).
PRIORITY_SEP = "\x06\x16"
PRIORITY_STEPS = (0, 3, 6, 9)
TIMEOUT_SECONDS = 1.0


def _keys(queue: str) -> list[str]:
    return [queue if step == 0 else f"{queue}{PRIORITY_SEP}{step}" for step in PRIORITY_STEPS]


@lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS)


def broker_redis_url() -> str:
    """The broker's URL when it is Redis; "" with no broker (tasks run eagerly) or another one."""
    url = "" if settings.CELERY_TASK_ALWAYS_EAGER else settings.CELERY_BROKER_URL or ""
    return url if url.startswith(("redis://", "rediss://", "unix://")) else ""


class QueueDepthCollector:
    """otp_queue_depth{queue} and otp_broker_up; nothing at all when there is no Redis broker."""

    def collect(self):
        url = broker_redis_url()
        if not url:
            return
        queues = [queue.name for queue in settings.CELERY_TASK_QUEUES]
        up = GaugeMetricFamily("otp_broker_up", "Whether the Celery broker answered the queue-depth scrape.")
        try:
            pipe = _client(url).pipeline(transaction=False)
            for queue in queues:
                for key in _keys(queue):
                    pipe.llen(key)
            lengths = pipe.execute()
        except redis.RedisError as exc:
            logger.warning("Queue depth unavailable: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        depth = GaugeMetricFamily("otp_queue_depth", "Messages waiting in each Celery queue.", labels=["queue"])
        steps = len(PRIORITY_STEPS)
        for n, queue in enumerate(queues):
            depth.add_metric([queue], sum(lengths[n * steps:(n + 1) * steps]))
        up.add_metric([], 1)
        yield depth
        yield up
