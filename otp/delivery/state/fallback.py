"""Fallback delivery's row transitions (config.delivery "fallback"): the chain's due time, its claim,
the next channel queued (or failed unpaid), and the chain stopped by a resend.

The channel holding the chain (`OTPSession.fallback_channel`) gets `fallback_due_at` when it is sent
(sent + the window) or fails for good (now). Whoever first takes that due time with one conditional
UPDATE — the fallback_check countdown task or the beat sweep — moves the chain on
(otp.delivery.fallback), so the two never both do.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from ...emission import EventType, channel_event
from ...models import ChannelVerification, Delivery, DeliveryStatus, OTPSession
from ..publish import fallback_check_publish
from .common import current, logger


def _in_chain(session: OTPSession | None, channel: str) -> bool:
    return (
        session is not None and not session.sandbox and session.delivery == Delivery.FALLBACK
        and session.fallback_channel == channel
    )


def fallback_after_send(*, session: OTPSession | None, row_id: int, channel: str, generation: int, now: datetime) -> None:
    """The chain's channel was sent: it moves on unless it is DELIVERED within the window."""
    if not _in_chain(session, channel):
        return
    window = session.fallback_after_seconds or 30
    sent = current(row_id, generation).filter(delivery_status=DeliveryStatus.SENT)
    if sent.update(fallback_due_at=now + timedelta(seconds=window)):
        _check_on_commit(row_id=row_id, generation=generation, countdown=window)


def fallback_after_failure(*, session: OTPSession | None, row_id: int, channel: str, generation: int, now: datetime) -> None:
    """The chain's channel failed for good: it moves on now."""
    if _in_chain(session, channel) and current(row_id, generation).update(fallback_due_at=now):
        _check_on_commit(row_id=row_id, generation=generation, countdown=0)


def _check_on_commit(*, row_id: int, generation: int, countdown: float) -> None:
    # Robust: a broker that is down loses nothing, the sweep takes the due row.
    transaction.on_commit(
        lambda: fallback_check_publish(channel_row_id=row_id, generation=generation, countdown=countdown), robust=True
    )


def channel_fallback_claim(*, row_id: int, generation: int | None, now: datetime) -> ChannelVerification | None:
    """Take the row's due time (one conditional UPDATE); None when it is not due or another took it."""
    due = ChannelVerification.objects.filter(pk=row_id, fallback_due_at__lte=now).exclude(
        delivery_status=DeliveryStatus.DELIVERED
    )
    if generation is not None:
        due = due.filter(generation=generation)
    if not due.update(fallback_due_at=None):
        return None
    return ChannelVerification.objects.get(pk=row_id)


def channels_not_sent(*, session: OTPSession) -> list[ChannelVerification]:
    """The session's channels the chain has not reached, locked, in the order of the send."""
    return list(
        ChannelVerification.objects.select_for_update()
        .filter(session=session, delivery_status=DeliveryStatus.NOT_SENT)
        .order_by("pk")
    )


def channel_fallback_queue(*, session: OTPSession, row: ChannelVerification) -> bool:
    """The chain reaches this channel (already charged by the caller): QUEUED for the worker, and
    the chain's channel from now on."""
    queued = current(row.pk, row.generation).filter(delivery_status=DeliveryStatus.NOT_SENT).update(
        delivery_status=DeliveryStatus.QUEUED
    )
    if queued:
        OTPSession.objects.filter(pk=session.pk).update(fallback_channel=row.channel)
        session.fallback_channel = row.channel
    return bool(queued)


def channel_fallback_unpaid(*, session: OTPSession, row: ChannelVerification, error: str) -> None:
    """The chain reached this channel but the wallet (or the daily spend cap) could not pay it:
    FAILED, never charged, so nothing to refund; the chain goes on to the next."""
    failed = current(row.pk, row.generation).filter(delivery_status=DeliveryStatus.NOT_SENT).update(
        delivery_status=DeliveryStatus.FAILED, last_error=error[:500]
    )
    if failed:
        logger.warning("Fallback of %s to %s could not be paid: %s", session.pk, row.channel, error)
        channel_event(
            session=session, type=EventType.CHANNEL_FAILED, channel=row.channel,
            delivery_status=DeliveryStatus.FAILED, reason=error[:500],
        )


def channels_fallback_stop(*, session: OTPSession, channel: str = "") -> None:
    """A resend restarts the chain (at `channel`): nothing of the old one may move it on."""
    ChannelVerification.objects.filter(session=session, fallback_due_at__isnull=False).update(fallback_due_at=None)
    OTPSession.objects.filter(pk=session.pk).update(fallback_channel=channel)
    session.fallback_channel = channel
