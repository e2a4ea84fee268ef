"""Refunds: each generation's charge comes back at most once (the wallet keys refunds by it),
and a refund made for a message that did go out is reversed."""
from __future__ import annotations

from django.db import transaction

from wallet.exceptions import InsufficientBalance
from wallet.services import wallet_refund_channel, wallet_refund_reverse

from ... import metrics
from ...models import ChannelVerification, DeliveryAttempt
from ..base import SendResult
from .common import SUPERSEDED_REASON, Outcome, locked, logger


def refund_reverse(*, row: ChannelVerification, generation: int, result: SendResult) -> None:
    where = f"{row.session_id}/{row.channel} generation {generation}"
    try:
        with transaction.atomic():
            reversed_refund = wallet_refund_reverse(session_id=row.session_id, channel=row.channel, generation=generation)
    except InsufficientBalance:
        logger.error(
            "Delivery of %s was refunded as never sent, but %s had accepted it as %s; "
            "the balance cannot cover reversing the refund",
            where, result.provider, result.message_id,
        )
        return
    if reversed_refund is not None:
        logger.warning(
            "Delivery of %s was recorded late (%s %s): its refund was reversed", where, result.provider, result.message_id
        )


def channel_delivery_failed(*, row: ChannelVerification, generation: int) -> None:
    """Refund a generation that failed for good or never went out; a second call refunds nothing."""
    with transaction.atomic():
        locked(row.pk)
        refund = wallet_refund_channel(session_id=row.session_id, channel=row.channel, generation=generation)
        metrics.refund_posted(channel=row.channel, entry=refund)


def channel_superseded(*, row: ChannelVerification, generation: int) -> None:
    """A resend replaced this generation before it went out: note it among the attempts, refund it
    once (the resend, the task or its comeback may each get here)."""
    with transaction.atomic():
        locked(row.pk)
        noted = DeliveryAttempt.objects.filter(channel_row=row, generation=generation, error=SUPERSEDED_REASON)
        if not noted.exists():
            DeliveryAttempt.objects.create(
                channel_row=row, generation=generation, provider="", outcome=Outcome.FAILED, error=SUPERSEDED_REASON
            )
        channel_delivery_failed(row=row, generation=generation)


def channel_superseded_if_unsent(*, row_id: int, generation: int) -> None:
    """A resend replaced this generation while an attempt held it (a worker child that died, say):
    if it never went out, nobody else will refund it."""
    row = ChannelVerification.objects.filter(pk=row_id, generation__gt=generation).first()
    sent = DeliveryAttempt.objects.filter(channel_row_id=row_id, generation=generation, outcome=Outcome.SENT)
    if row is not None and not sent.exists():
        channel_superseded(row=row, generation=generation)
