"""Celery glue: one task per channel code (otp.delivery.attempt does the work), fallback checks and
their sweep (otp.delivery.fallback), and housekeeping."""
from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from .delivery.attempt import delivery_attempt
from .delivery.fallback import fallback_advance, fallback_sweep
from .housekeeping import housekeeping_run
from .queues import QUEUES

logger = logging.getLogger("otp.tasks")


def enqueue_delivery(*, channel_row_id: int, channel: str, generation: int, expires_in: float) -> None:
    """Publish the task on its channel's queue; it expires with the code it would send."""
    try:
        deliver_code.apply_async(
            kwargs={"channel_row_id": channel_row_id, "generation": generation},
            queue=QUEUES[channel],
            expires=expires_in,
        )
    except Exception:
        # Runs after commit (a robust on_commit callback logs the traceback): the session exists and
        # is charged, and housekeeping refunds the channel when the session ends unsent.
        logger.error("Could not queue delivery of channel row %s, generation %s", channel_row_id, generation)
        raise


@shared_task(
    name="otp.deliver_code",
    bind=True,
    acks_late=True,
    # Bounded by the attempt itself: OTP DELIVERY_MAX_TRIES provider tries (counted in our own
    # records, so lease waits and redeliveries do not use them up), DELIVERY_DB_MAX_TRIES database errors.
    max_retries=None,
    ignore_result=True,
)
def deliver_code(
    self,
    *,
    channel_row_id: int,
    generation: int,
    claims: list[str] | None = None,
    accepted: dict[str, str] | None = None,
    db_errors: int = 0,
) -> None:
    """Send one generation's code (see otp.delivery.attempt.delivery_attempt for the arguments)."""
    retry = delivery_attempt(
        row_id=channel_row_id,
        generation=generation,
        claims=claims,
        accepted=accepted,
        db_errors=db_errors,
        eager=self.request.is_eager,
    )
    if retry is not None:
        raise self.retry(kwargs=retry.kwargs, countdown=retry.countdown, exc=retry.exc, **retry.options)


@shared_task(name="otp.housekeeping", ignore_result=True)
def housekeeping() -> None:
    result = housekeeping_run(now=timezone.now())
    logger.info("Housekeeping: %s", result)


# Published by otp.delivery.publish (by name) when a fallback chain's channel is sent or fails.
@shared_task(name="otp.fallback_check", ignore_result=True)
def fallback_check(*, channel_row_id: int, generation: int) -> None:
    """Move the session's chain on if this channel's window has passed (or it failed) and nobody did."""
    fallback_advance(row_id=channel_row_id, generation=generation, now=timezone.now())


@shared_task(name="otp.fallback_sweep", ignore_result=True)
def fallback_sweep_task() -> None:
    """Beat: chains whose due time passed without their fallback_check (a worker restart, a broker down)."""
    moved = fallback_sweep(now=timezone.now())
    if moved:
        logger.info("Fallback sweep moved %s chains on", moved)
