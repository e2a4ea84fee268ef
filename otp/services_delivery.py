"""Writes driven by delivery outcomes reported by providers."""
from __future__ import annotations

from django.db import transaction

from .models import ChannelVerification, DeliveryStatus


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
        from .tasks import channel_delivery_failed

        channel_delivery_failed(row=row, generation=row.generation)
        return True
