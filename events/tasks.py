"""Celery glue: deliver one webhook (events.services.delivery does the work) and the beat sweep."""
from __future__ import annotations

import logging

from celery import shared_task

from otpservice.errors import DATABASE_UNAVAILABLE

from .services.delivery import deliveries_sweep, delivery_run

logger = logging.getLogger("events.tasks")


@shared_task(
    name="events.deliver_webhook",
    acks_late=True,
    ignore_result=True,
    # Only a database outage is retried by Celery; a receiver's failures follow the delivery's own
    # schedule (the row's next_attempt_at), and a bug is not retried in a loop (the claim counted the try).
    autoretry_for=DATABASE_UNAVAILABLE,
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
)
def deliver_webhook(*, delivery_id: str) -> None:
    outcome = delivery_run(delivery_id=delivery_id)
    if outcome is not None:
        logger.info("Webhook delivery %s: %s after %s tries", delivery_id, outcome.status, outcome.attempts)


@shared_task(name="events.sweep_deliveries", ignore_result=True)
def sweep_deliveries() -> None:
    result = deliveries_sweep()
    logger.info("Webhook sweep: %s", result)
