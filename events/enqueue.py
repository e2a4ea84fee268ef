"""Publishing delivery tasks, for services that must not import the tasks module at load time."""
from __future__ import annotations

import logging
from collections.abc import Iterable

from .queues import WEBHOOK_QUEUE

logger = logging.getLogger("events.enqueue")


def deliveries_enqueue(*, delivery_ids: Iterable, countdown: float | None = None) -> None:
    """One task per delivery on the webhook queue. Runs after commit; a broker that is down loses
    nothing: the rows stay pending and the sweep publishes them again."""
    from .tasks import deliver_webhook  # the tasks module imports the services that call this

    for delivery_id in delivery_ids:
        try:
            deliver_webhook.apply_async(kwargs={"delivery_id": str(delivery_id)}, queue=WEBHOOK_QUEUE, countdown=countdown)
        except Exception:  # the broker's errors are many (kombu, redis, OSError); none may stop the others
            logger.warning("Could not queue webhook delivery %s; the sweep will", delivery_id, exc_info=True)
