"""Celery delivery: one task per channel that generates, hashes and sends the code."""
from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from time import sleep

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from .conf import otp_setting
from .delivery.base import DeliveryError, SendResult
from .delivery.registry import provider_for
from .hashing import generate_code, hash_code
from .messages import message_render
from .models import ChannelVerification, DeliveryAttempt, DeliveryStatus, OTPSession
from .services.delivery import channel_delivery_failed, channel_superseded

logger = logging.getLogger("otp.tasks")

QUEUES = {"email": "otp.email", "sms": "otp.sms", "whatsapp": "otp.whatsapp"}
# A task that meets another attempt's fresh claim looks again this long after that lease ends.
LEASE_MARGIN_SECONDS = 1.0
# Writing down a send the provider accepted: tries, and the pause before the n-th retry is n times this.
RECORD_TRIES = 3
RECORD_PAUSE_SECONDS = 0.5


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


def _deliverable(channel_row_id: int, generation: int, now: datetime) -> QuerySet[ChannelVerification]:
    """The row while this generation may still go out: QUEUED, on a live session before its expiry."""
    # The session test is a subquery, not a join: Django compiles a filtered UPDATE over a join as
    # `WHERE id IN (SELECT … JOIN …)`, and PostgreSQL re-checks only that `id IN` against a row a
    # concurrent resend changed, so a stale claim could land on the next generation.
    return ChannelVerification.objects.filter(
        pk=channel_row_id,
        generation=generation,
        delivery_status=DeliveryStatus.QUEUED,
        session_id__in=OTPSession.objects.live(now).values("pk"),
    )


def _claim(channel_row_id: int, generation: int, now: datetime, lease: timedelta) -> ChannelVerification | None:
    """Take the row with one conditional UPDATE; None when another task has it or it is stale."""
    claimed = (
        _deliverable(channel_row_id, generation, now)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - lease))
        .update(claimed_at=now)
    )
    if not claimed:
        return None
    return ChannelVerification.objects.select_related("session").get(pk=channel_row_id)


def _refund_if_superseded_unsent(channel_row_id: int, generation: int) -> None:
    """A resend replaced this generation while an attempt held it (a worker child that died, say):
    if it never went out, nobody else will refund it."""
    row = ChannelVerification.objects.filter(pk=channel_row_id, generation__gt=generation).first()
    sent = DeliveryAttempt.objects.filter(
        channel_row_id=channel_row_id, generation=generation, outcome=DeliveryAttempt.Outcome.SENT
    ).exists()
    if row is not None and not sent:
        channel_superseded(row=row, generation=generation)


def _lease_left(channel_row_id: int, generation: int, now: datetime, lease: timedelta) -> float | None:
    """Seconds until another attempt's claim on this generation lapses; None if nothing is left to send."""
    held = _deliverable(channel_row_id, generation, now).values_list("claimed_at").first()
    if held is None:
        return None
    claimed_at = held[0]  # None: released (for a retry) since our claim failed
    return 0.0 if claimed_at is None else max(0.0, (claimed_at + lease - now).total_seconds())


@shared_task(
    name="otp.deliver_code",
    bind=True,
    acks_late=True,
    max_retries=None,  # provider tries are capped by OTP DELIVERY_MAX_TRIES (_on_failure); lease waits are not
    ignore_result=True,
)
def deliver_code(self, *, channel_row_id: int, generation: int) -> None:
    now = timezone.now()
    lease = timedelta(seconds=otp_setting("DELIVERY_LEASE_SECONDS"))
    row = _claim(channel_row_id, generation, now, lease)
    if row is None:
        # Stale (other generation, sent, failed, session over): done. Held by another attempt's
        # fresh claim: that attempt may be mid-send, or its worker child died and Celery requeued
        # this message at once (task_reject_on_worker_lost); acking now would lose the message,
        # so come back once the lease has run out.
        wait = _lease_left(channel_row_id, generation, now, lease)
        if wait is None:
            _refund_if_superseded_unsent(channel_row_id, generation)
            return
        if self.request.is_eager:
            # An eager retry runs again at once, in-process, whatever the countdown: it would spin.
            # The claimant keeps the row; housekeeping refunds it if it never goes out.
            logger.info("Channel row %s generation %s is held by another attempt", channel_row_id, generation)
            return
        raise self.retry(countdown=wait + LEASE_MARGIN_SECONDS)
    session: OTPSession = row.session
    code = generate_code(session.otp_length)
    code_hash = hash_code(
        pepper=settings.OTP_PEPPER,
        session_id=str(session.id),
        channel=row.channel,
        code=code,
        rounds=otp_setting("BCRYPT_ROUNDS"),
    )
    # Only this generation's hash, only under our claim: a resend since the claim makes this task stale.
    mine = ChannelVerification.objects.filter(pk=row.pk, generation=generation, claimed_at=row.claimed_at)
    if not mine.update(code_hash=code_hash):
        if not ChannelVerification.objects.filter(pk=row.pk, generation=generation).exists():
            # The resend left this row to us (our claim was fresh) and nothing was sent: refund it here.
            channel_superseded(row=row, generation=generation)
        return
    try:
        message = message_render(
            channel=row.channel,
            to=row.recipient,
            code=code,
            expiry_minutes=session.expiry_minutes,
            app_name=otp_setting("APP_NAME"),
            session_id=str(session.id),
        )
        provider = provider_for(row.channel)
    except Exception as exc:
        # Templates and provider settings are ours: retrying cannot help, and nothing went out.
        detail = str(exc).replace(code, "•" * len(code))
        # No traceback: its frames and message can hold the plain code.
        logger.error("Delivery of %s/%s cannot start: %s: %s", row.session_id, row.channel, type(exc).__name__, detail)
        _fail_for_good(
            row=row, generation=generation, provider="", error=f"Delivery misconfigured: {type(exc).__name__}: {detail}"
        )
        return
    try:
        result = provider.send(message)
    except DeliveryError as exc:
        _on_failure(self, row=row, generation=generation, provider=provider.name, error=exc)
        return
    _record_sent(row=row, generation=generation, result=result)


def _record_sent(*, row: ChannelVerification, generation: int, result: SendResult) -> None:
    """Write down a send the provider accepted. The message is out: a database error here must not
    fail or refund the channel, so the write is retried, and logged with the provider's message id
    for reconciliation if it never succeeds."""
    for attempt in range(1, RECORD_TRIES + 1):
        try:
            with transaction.atomic():
                DeliveryAttempt.objects.create(
                    channel_row=row,
                    generation=generation,
                    provider=result.provider,
                    provider_message_id=result.message_id,
                    outcome=DeliveryAttempt.Outcome.SENT,
                )
                ChannelVerification.objects.filter(
                    pk=row.pk, generation=generation, claimed_at=row.claimed_at, delivery_status=DeliveryStatus.QUEUED
                ).update(
                    delivery_status=DeliveryStatus.SENT,
                    provider=result.provider,
                    provider_message_id=result.message_id,
                    last_error="",
                )
            return
        except DatabaseError:
            if attempt == RECORD_TRIES:
                logger.exception(
                    "Delivery of %s/%s was accepted by %s as %s but could not be recorded",
                    row.session_id,
                    row.channel,
                    result.provider,
                    result.message_id,
                )
                return
            if not connection.in_atomic_block:
                connection.close_if_unusable_or_obsolete()  # a dropped connection reconnects on the next try
            sleep(RECORD_PAUSE_SECONDS * attempt)


def _on_failure(task, *, row: ChannelVerification, generation: int, provider: str, error: DeliveryError) -> None:
    # Provider tries for this code so far, this one included, from our own records: waits for
    # another attempt's lease and redeliveries after a crash do not use them up.
    tries = DeliveryAttempt.objects.filter(
        channel_row=row, generation=generation, outcome=DeliveryAttempt.Outcome.RETRY
    ).count() + 1
    if not error.transient or tries >= otp_setting("DELIVERY_MAX_TRIES"):
        logger.warning("Delivery of %s/%s failed for good: %s", row.session_id, row.channel, error)
        _fail_for_good(row=row, generation=generation, provider=provider, error=str(error))
        return
    DeliveryAttempt.objects.create(
        channel_row=row,
        generation=generation,
        provider=provider,
        outcome=DeliveryAttempt.Outcome.RETRY,
        error=str(error)[:500],
    )
    # Release the claim so the retry can take it again.
    released = ChannelVerification.objects.filter(pk=row.pk, generation=generation).update(
        claimed_at=None, last_error=str(error)[:500]
    )
    if not released:
        # A resend replaced this code while we were at the provider: nothing went out, and the
        # resend left the refund to us (our claim was fresh).
        channel_superseded(row=row, generation=generation)
        return
    raise task.retry(countdown=_backoff(tries), exc=error)


def _fail_for_good(*, row: ChannelVerification, generation: int, provider: str, error: str) -> None:
    """Record the failure, mark the channel FAILED and refund this generation, in one transaction.

    A generation a resend replaced meanwhile is refunded too (it never went out); the new one is
    left alone.
    """
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            channel_row=row,
            generation=generation,
            provider=provider,
            outcome=DeliveryAttempt.Outcome.FAILED,
            error=error[:500],
        )
        updated = ChannelVerification.objects.filter(
            pk=row.pk, generation=generation, delivery_status=DeliveryStatus.QUEUED
        ).update(delivery_status=DeliveryStatus.FAILED, provider=provider, last_error=error[:500], code_hash="")
        if updated or not ChannelVerification.objects.filter(pk=row.pk, generation=generation).exists():
            channel_delivery_failed(row=row, generation=generation)


def _backoff(tries: int) -> float:
    """Exponential backoff with full jitter, capped."""
    base = otp_setting("DELIVERY_RETRY_BASE_SECONDS")
    return random.uniform(0, min(base * 2 ** (tries - 1), otp_setting("DELIVERY_RETRY_MAX_SECONDS")))


@shared_task(name="otp.housekeeping", ignore_result=True)
def housekeeping() -> None:
    from .housekeeping import housekeeping_run

    result = housekeeping_run(now=timezone.now())
    logger.info("Housekeeping: %s", result)
