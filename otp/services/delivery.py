"""Writes driven by delivery outcomes: sends recorded, failures and replaced codes refunded once,
provider reports.

Lock order, everywhere money moves: the channel row first, then the wallet. A resend holds its
channel rows and then charges the wallet; a refund that touched the wallet first and the channel
row only later (an attempt row's foreign key is checked at commit) would deadlock with it.
"""
from __future__ import annotations

import logging

from django.db import transaction

from wallet.exceptions import InsufficientBalance
from wallet.services import wallet_refund_channel, wallet_refund_reverse

from ..delivery.base import SendResult
from ..models import ChannelVerification, DeliveryAttempt, DeliveryStatus

logger = logging.getLogger("otp.delivery")

SUPERSEDED_REASON = "Superseded by a resend before delivery"


def _locked(row_id: int) -> ChannelVerification | None:
    """The channel row under FOR UPDATE, taken before any wallet row (see the module docstring)."""
    return ChannelVerification.objects.select_for_update().filter(pk=row_id).first()


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
    with transaction.atomic():
        _locked(row.pk)
        wallet_refund_channel(session_id=row.session_id, channel=row.channel, generation=generation)


def channel_superseded(*, row: ChannelVerification, generation: int) -> None:
    """A resend replaced this generation before it went out: note it among the attempts, refund it
    once (the resend, the task or its comeback may each get here)."""
    with transaction.atomic():
        _locked(row.pk)
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


def channel_failed_for_good(*, row: ChannelVerification, generation: int, provider: str, error: str) -> None:
    """Record the failure, mark the channel FAILED and refund this generation, in one transaction.

    A generation a resend replaced meanwhile is refunded too (it never went out); the new one is
    left alone.
    """
    with transaction.atomic():
        current = _locked(row.pk)
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
        if updated or (current is not None and current.generation != generation):
            channel_delivery_failed(row=row, generation=generation)


def channel_sent_record(*, row_id: int, generation: int, result: SendResult, late: bool = False) -> None:
    """Write down a send the provider accepted: once, however often it is retried, and whatever
    was decided meanwhile.

    The message is out, so this never fails or refunds the channel. When the record comes `late`
    (a retry after a database error) or finds the row moved on, a refund made meanwhile for this
    generation (housekeeping or a resend judged it never sent once the claim lapsed) is reversed:
    a delivered message is paid for. The timely, usual record is one UPDATE and one INSERT.
    """
    attempt = DeliveryAttempt(
        channel_row_id=row_id,
        generation=generation,
        provider=result.provider,
        provider_message_id=result.message_id,
        outcome=DeliveryAttempt.Outcome.SENT,
    )
    with transaction.atomic():
        if not late:
            moved = ChannelVerification.objects.filter(
                pk=row_id, generation=generation, delivery_status=DeliveryStatus.QUEUED
            ).update(
                delivery_status=DeliveryStatus.SENT,
                provider=result.provider,
                provider_message_id=result.message_id,
                last_error="",
            )
            if moved:
                attempt.save()
                return
        row = _locked(row_id)
        if row is None:
            logger.warning(
                "Channel row %s was purged before its send (%s %s) could be recorded",
                row_id,
                result.provider,
                result.message_id,
            )
            return
        recorded = DeliveryAttempt.objects.filter(
            channel_row_id=row_id, generation=generation, provider_message_id=result.message_id,
            outcome=DeliveryAttempt.Outcome.SENT,
        )
        if recorded.exists():
            # A duplicate of a record that already landed: whatever happened since (a failure the
            # provider reported, its refund) stands.
            return
        attempt.save()
        # No provider report can have matched this message before its id was recorded, so a FAILED
        # row here was judged never sent (housekeeping): it was sent.
        if row.generation == generation and row.delivery_status in (DeliveryStatus.QUEUED, DeliveryStatus.FAILED):
            row.delivery_status = DeliveryStatus.SENT
            row.provider, row.provider_message_id, row.last_error = result.provider, result.message_id, ""
            row.save(update_fields=["delivery_status", "provider", "provider_message_id", "last_error", "updated_at"])
        _refund_reverse(row=row, generation=generation, result=result)


def _refund_reverse(*, row: ChannelVerification, generation: int, result: SendResult) -> None:
    try:
        with transaction.atomic():
            reversed_refund = wallet_refund_reverse(session_id=row.session_id, channel=row.channel, generation=generation)
    except InsufficientBalance:
        logger.error(
            "Delivery of %s/%s generation %s was refunded as never sent, but %s had accepted it as %s; "
            "the balance cannot cover reversing the refund",
            row.session_id,
            row.channel,
            generation,
            result.provider,
            result.message_id,
        )
        return
    if reversed_refund is not None:
        logger.warning(
            "Delivery of %s/%s generation %s was recorded late (%s %s): its refund was reversed",
            row.session_id,
            row.channel,
            generation,
            result.provider,
            result.message_id,
        )
