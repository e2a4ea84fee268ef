"""Publishing delivery work from inside the delivery layer, by task name.

otp.tasks imports the delivery layer (its tasks are thin glue around it), so the layer cannot
import the task objects back; a signature by name resolves to the same registered task (eager mode
and a test's patch of its apply_async included). Call these from transaction.on_commit.
"""
from __future__ import annotations

import logging

from celery import current_app

from ..queues import DEFAULT_QUEUE, QUEUES

logger = logging.getLogger("otp.tasks")


def delivery_publish(*, channel_row_id: int, channel: str, generation: int, expires_in: float) -> None:
    """otp.deliver_code on the channel's queue, expiring with the code it would send."""
    try:
        current_app.signature(
            "otp.deliver_code", kwargs={"channel_row_id": channel_row_id, "generation": generation}, queue=QUEUES[channel]
        ).apply_async(expires=expires_in)
    except Exception:
        # Housekeeping refunds the channel when its session ends unsent.
        logger.error("Could not queue delivery of channel row %s, generation %s", channel_row_id, generation)
        raise


def fallback_check_publish(*, channel_row_id: int, generation: int, countdown: float) -> None:
    """otp.fallback_check on the default queue after `countdown` seconds; a lost one is the sweep's."""
    try:
        current_app.signature(
            "otp.fallback_check", kwargs={"channel_row_id": channel_row_id, "generation": generation}, queue=DEFAULT_QUEUE
        ).apply_async(countdown=countdown)
    except Exception:
        logger.warning("Could not queue the fallback check of channel row %s; the sweep will", channel_row_id)
        raise
