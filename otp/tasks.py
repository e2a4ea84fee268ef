"""Celery delivery: one task per channel that generates, hashes and sends the code."""
from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .conf import otp_setting
from .delivery.base import DeliveryError
from .delivery.registry import provider_for
from .hashing import generate_code, hash_code
from .messages import message_render
from .models import ChannelVerification, DeliveryAttempt, DeliveryStatus, OTPSession, SessionStatus

logger = logging.getLogger("otp.tasks")

QUEUES = {"email": "otp.email", "sms": "otp.sms", "whatsapp": "otp.whatsapp"}


def enqueue_delivery(*, channel_row_id: int, generation: int, expires_in: float) -> None:
    """Publish the task on its channel's queue; it expires with the code it would send."""
    channel = ChannelVerification.objects.values_list("channel", flat=True).get(pk=channel_row_id)
    deliver_code.apply_async(
        kwargs={"channel_row_id": channel_row_id, "generation": generation},
        queue=QUEUES[channel],
        expires=expires_in,
    )


def _claim(channel_row_id: int, generation: int) -> ChannelVerification | None:
    """Take the row with one conditional UPDATE; None when another task has it or it is stale."""
    now = timezone.now()
    lease = timedelta(seconds=otp_setting("DELIVERY_LEASE_SECONDS"))
    claimed = ChannelVerification.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - lease),
        pk=channel_row_id,
        generation=generation,
        delivery_status=DeliveryStatus.QUEUED,
        session__status__in=[SessionStatus.PENDING, SessionStatus.PARTIAL, SessionStatus.LOCKED],
        session__expires_at__gt=now,
    ).update(claimed_at=now)
    if not claimed:
        return None
    return ChannelVerification.objects.select_related("session").get(pk=channel_row_id)


@shared_task(
    name="otp.deliver_code",
    bind=True,
    acks_late=True,
    max_retries=None,  # capped below by OTP DELIVERY_MAX_TRIES, read at run time
    ignore_result=True,
)
def deliver_code(self, *, channel_row_id: int, generation: int) -> None:
    row = _claim(channel_row_id, generation)
    if row is None:
        return
    session: OTPSession = row.session
    code = generate_code(session.otp_length)
    code_hash = hash_code(
        pepper=settings.OTP_PEPPER,
        session_id=str(session.id),
        channel=row.channel,
        code=code,
        rounds=otp_setting("BCRYPT_ROUNDS"),
    )
    # Only this generation's hash: a resend since the claim has made this task stale.
    mine = ChannelVerification.objects.filter(pk=row.pk, generation=generation, claimed_at=row.claimed_at)
    if not mine.update(code_hash=code_hash):
        return
    message = message_render(
        channel=row.channel,
        to=row.recipient,
        code=code,
        expiry_minutes=session.expiry_minutes,
        app_name=otp_setting("APP_NAME"),
        session_id=str(session.id),
    )
    provider = provider_for(row.channel)
    try:
        result = provider.send(message)
    except DeliveryError as exc:
        _on_failure(self, row=row, generation=generation, provider=provider.name, error=exc)
        return
    DeliveryAttempt.objects.create(
        channel_row=row,
        generation=generation,
        provider=result.provider,
        provider_message_id=result.message_id,
        outcome=DeliveryAttempt.Outcome.SENT,
    )
    mine.filter(delivery_status=DeliveryStatus.QUEUED).update(
        delivery_status=DeliveryStatus.SENT,
        provider=result.provider,
        provider_message_id=result.message_id,
        last_error="",
    )


def _on_failure(task, *, row: ChannelVerification, generation: int, provider: str, error: DeliveryError) -> None:
    tries = task.request.retries + 1
    final = not error.transient or tries >= otp_setting("DELIVERY_MAX_TRIES")
    DeliveryAttempt.objects.create(
        channel_row=row,
        generation=generation,
        provider=provider,
        outcome=DeliveryAttempt.Outcome.FAILED if final else DeliveryAttempt.Outcome.RETRY,
        error=str(error)[:500],
    )
    mine = ChannelVerification.objects.filter(pk=row.pk, generation=generation)
    if final:
        logger.warning("Delivery of %s/%s failed for good: %s", row.session_id, row.channel, error)
        # One transaction: a channel is never left FAILED without its refund.
        with transaction.atomic():
            updated = mine.filter(delivery_status=DeliveryStatus.QUEUED).update(
                delivery_status=DeliveryStatus.FAILED, provider=provider, last_error=str(error)[:500], code_hash=""
            )
            if updated:
                channel_delivery_failed(row=row, generation=generation)
        return
    # Release the claim so the retry can take it again.
    mine.update(claimed_at=None, last_error=str(error)[:500])
    raise task.retry(countdown=_backoff(tries), exc=error)


def _backoff(tries: int) -> float:
    """Exponential backoff with full jitter, capped."""
    import random

    base = otp_setting("DELIVERY_RETRY_BASE_SECONDS")
    return random.uniform(0, min(base * 2 ** (tries - 1), otp_setting("DELIVERY_RETRY_MAX_SECONDS")))


def channel_delivery_failed(*, row: ChannelVerification, generation: int) -> None:
    """Refund a channel that failed for good; a second report of the same failure refunds nothing."""
    from wallet.services import wallet_refund_channel

    wallet_refund_channel(channel_row=row, generation=generation)


@shared_task(name="otp.housekeeping", ignore_result=True)
def housekeeping() -> None:
    from .housekeeping import housekeeping_run

    result = housekeeping_run(now=timezone.now())
    logger.info("Housekeeping: %s", result)
