"""Writes driven by delivery outcomes: failures and replaced codes refunded once, provider reports."""
from __future__ import annotations

from django.db import transaction

from ..models import ChannelVerification, DeliveryAttempt, DeliveryStatus

SUPERSEDED_REASON = "Superseded by a resend before delivery"


def channel_delivery_report(*, provider_message_id: str, state: str, error: str = "") -> bool:
    """Move a sent channel to DELIVERED or FAILED; unknown ids and late reports change nothing.

    Returns whether a row changed. A failure reported twice is refunded once: only the update
    that moves the row out of QUEUED/SENT triggers the refund.
    """
    if not provider_message_id:
        return False
    movable = [DeliveryStatus.QUEUED, DeliveryStatus.SENT]
    with transaction.atomic():
        row = (
            ChannelVerification.objects.select_for_update()
            .filter(provider_message_id=provider_message_id, delivery_status__in=movable)
            .first()
        )
        if row is None:
            return False
        if state == DeliveryStatus.DELIVERED:
            row.delivery_status = DeliveryStatus.DELIVERED
            row.save(update_fields=["delivery_status", "updated_at"])
            return True
        row.delivery_status = DeliveryStatus.FAILED
        row.last_error = error[:500]
        row.save(update_fields=["delivery_status", "last_error", "updated_at"])
        channel_delivery_failed(row=row, generation=row.generation)
        return True


def channel_delivery_failed(*, row: ChannelVerification, generation: int) -> None:
    """Refund a channel that failed for good; a second report of the same failure refunds nothing."""
    from wallet.services import wallet_refund_channel

    wallet_refund_channel(channel_row=row, generation=generation)


def channel_superseded(*, row: ChannelVerification, generation: int) -> None:
    """A resend replaced this generation before it went out: note it among the attempts, refund it
    once (the resend, the task or its comeback may each get here)."""
    with transaction.atomic():
        noted = DeliveryAttempt.objects.filter(channel_row=row, generation=generation, error=SUPERSEDED_REASON)
        if not noted.exists():
            DeliveryAttempt.objects.create(
                channel_row=row,
                generation=generation,
                provider="",
                outcome=DeliveryAttempt.Outcome.FAILED,
                error=SUPERSEDED_REASON,
            )
        channel_delivery_failed(row=row, generation=generation)
