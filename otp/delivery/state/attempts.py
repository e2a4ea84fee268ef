"""One attempt's transitions: claim, store the code, retry, fail for good, record the send."""
from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ...emission import EventType, channel_event, channel_row_event
from ...models import ChannelVerification, DeliveryAttempt, DeliveryStatus
from ..base import SendResult
from .common import Outcome, current, locked, logger
from .fallback import fallback_after_failure, fallback_after_send
from .refunds import channel_delivery_failed, channel_superseded, refund_reverse

# Claim: at most one attempt per generation talks to a provider.


def channel_claim(
    *, row_id: int, generation: int, now: datetime, lease: timedelta, own_claims: tuple[datetime, ...] = ()
) -> ChannelVerification | None:
    """Take the row with one conditional UPDATE; None when another attempt has it or it is stale."""
    claimable = ChannelVerification.objects.claimable(now, lease=lease, own_claims=own_claims)
    if not claimable.filter(pk=row_id, generation=generation).update(claimed_at=now):
        return None
    # With the account: its message settings (locale, autofill) are what the template needs.
    return ChannelVerification.objects.select_related("session__account").get(pk=row_id)


def channel_lease_left(*, row_id: int, generation: int, now: datetime, lease: timedelta) -> float | None:
    """Seconds until another attempt's claim on this generation lapses; None if nothing is left to send."""
    held = ChannelVerification.objects.deliverable(now).filter(pk=row_id, generation=generation)
    claimed = held.values_list("claimed_at").first()
    if claimed is None:
        return None
    claimed_at = claimed[0]  # None: released (for a retry) since our claim failed
    return 0.0 if claimed_at is None else max(0.0, (claimed_at + lease - now).total_seconds())


def channel_code_store(*, row: ChannelVerification, generation: int, code_hash: str, template: dict) -> bool:
    """Store this generation's hash and the template that wrote its message, only under our claim;
    False when a resend made the attempt stale."""
    mine = current(row.pk, generation).filter(claimed_at=row.claimed_at)
    if mine.update(code_hash=code_hash, template=template):
        return True
    if not current(row.pk, generation).exists():
        # The resend left this row to us (our claim was fresh) and nothing was sent: refund it here.
        channel_superseded(row=row, generation=generation)
    return False


# Outcomes of a provider call.


def channel_provider_tries(*, row: ChannelVerification, generation: int) -> int:
    """Provider tries for this code that asked for a retry: waits for another attempt's lease and
    redeliveries after a crash do not count."""
    return DeliveryAttempt.objects.filter(channel_row=row, generation=generation, outcome=Outcome.RETRY).count()


def channel_retry_note(*, row: ChannelVerification, generation: int, provider: str, error: str) -> bool:
    """Record a transient failure and release the claim for the retry; False when a resend replaced
    this code meanwhile (then nothing went out, and it is refunded here)."""
    DeliveryAttempt.objects.create(
        channel_row=row, generation=generation, provider=provider, outcome=Outcome.RETRY, error=error[:500]
    )
    if current(row.pk, generation).update(claimed_at=None, last_error=error[:500]):
        return True
    # The resend left the refund to us (our claim was fresh).
    channel_superseded(row=row, generation=generation)
    return False


def channel_failed_for_good(*, row: ChannelVerification, generation: int, provider: str, error: str) -> None:
    """Record the failure, mark the channel FAILED and refund this generation, in one transaction.

    A generation a resend replaced meanwhile is refunded too (it never went out); the new one is
    left alone.
    """
    with transaction.atomic():
        latest = locked(row.pk)
        DeliveryAttempt.objects.create(
            channel_row=row, generation=generation, provider=provider, outcome=Outcome.FAILED, error=error[:500]
        )
        updated = current(row.pk, generation).filter(delivery_status=DeliveryStatus.QUEUED).update(
            delivery_status=DeliveryStatus.FAILED, provider=provider, last_error=error[:500], code_hash=""
        )
        if updated or (latest is not None and latest.generation != generation):
            channel_delivery_failed(row=row, generation=generation)
        if updated:
            session = channel_event(
                session_id=row.session_id, type=EventType.CHANNEL_FAILED, channel=row.channel,
                delivery_status=DeliveryStatus.FAILED, reason=error[:500],
            )
            fallback_after_failure(
                session=session, row_id=row.pk, channel=row.channel, generation=generation, now=timezone.now()
            )


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
        outcome=Outcome.SENT,
    )
    sent = {"provider": result.provider, "provider_message_id": result.message_id, "last_error": ""}
    with transaction.atomic():
        queued = current(row_id, generation).filter(delivery_status=DeliveryStatus.QUEUED)
        if not late and queued.update(delivery_status=DeliveryStatus.SENT, **sent):
            attempt.save()
            session = channel_row_event(row_id=row_id, type=EventType.CHANNEL_SENT, delivery_status=DeliveryStatus.SENT)
            if session is not None:
                fallback_after_send(
                    session=session, row_id=row_id, channel=session.event_channel, generation=generation,
                    now=timezone.now(),
                )
            return
        row = locked(row_id)
        if row is None:
            logger.warning(
                "Channel row %s was purged before its send (%s %s) could be recorded",
                row_id, result.provider, result.message_id,
            )
            return
        recorded = DeliveryAttempt.objects.filter(
            channel_row_id=row_id, generation=generation, provider_message_id=result.message_id, outcome=Outcome.SENT
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
            session = channel_event(
                session_id=row.session_id, type=EventType.CHANNEL_SENT, channel=row.channel,
                delivery_status=DeliveryStatus.SENT,
            )
            fallback_after_send(
                session=session, row_id=row_id, channel=row.channel, generation=generation, now=timezone.now()
            )
        refund_reverse(row=row, generation=generation, result=result)

