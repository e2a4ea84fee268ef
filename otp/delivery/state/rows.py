"""Transitions from outside an attempt: a new session's rows, a resend, housekeeping's sweep of
codes that never went out, provider reports, and test recipients."""
from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ... import metrics
from ...emission import EventType, channel_event, session_events
from ...models import ChannelVerification, Delivery, DeliveryAttempt, DeliveryStatus
from .common import UNDELIVERED_REASON, Outcome, claim_is_free, current
from .fallback import fallback_after_failure
from .refunds import channel_delivery_failed, channel_superseded


def channels_new(*, session, recipients: dict[str, str]) -> list[ChannelVerification]:
    """A new session's rows, unsaved, in the order given: QUEUED for the worker, or SANDBOX (never
    delivered). With fallback delivery only the first is QUEUED, the others NOT_SENT until the chain
    reaches them (otp.delivery.fallback); a sandbox session's are all SANDBOX, codes at once."""
    rows = []
    for index, (channel, recipient) in enumerate(recipients.items()):
        if session.sandbox:
            status = DeliveryStatus.SANDBOX
        elif session.delivery == Delivery.FALLBACK and index > 0:
            status = DeliveryStatus.NOT_SENT
        else:
            status = DeliveryStatus.QUEUED
        rows.append(ChannelVerification(session=session, channel=channel, recipient=recipient, delivery_status=status))
    return rows


def channels_renew(
    *, rows: list[ChannelVerification], sandbox: bool, now: datetime, lease: timedelta, fallback: bool = False
) -> list[ChannelVerification]:
    """A resend: the current code of each row stops working and the next generation is queued
    (SANDBOX in sandbox, whose new hashes the rows already carry). Rows must be locked by the
    caller, in pk order.

    A current code that never went out (QUEUED and no attempt holds it) is refunded first: once the
    generation moves on no task will send it. Under a fresh claim a worker may be talking to the
    provider now, so it is left to that attempt: it refunds it if it finds its generation gone
    before sending (channel_code_store, channel_retry_note); if it sent, the charge stands.

    `fallback` (a live fallback session): the chain starts again at the first of `rows` (in pk
    order, the order of the send), QUEUED; the others are NOT_SENT until it reaches them.
    """
    rows = sorted(rows, key=lambda row: row.pk) if fallback else rows
    for index, row in enumerate(rows):
        if not sandbox and row.delivery_status == DeliveryStatus.QUEUED and claim_is_free(row, now=now, lease=lease):
            channel_superseded(row=row, generation=row.generation)
        row.generation += 1
        row.claimed_at = row.fallback_due_at = None
        if sandbox:
            row.delivery_status = DeliveryStatus.SANDBOX
        else:
            row.delivery_status = DeliveryStatus.NOT_SENT if fallback and index > 0 else DeliveryStatus.QUEUED
        row.provider_message_id = row.last_error = ""
        row.template = None
        if not sandbox:
            row.code_hash = ""  # the worker hashes the new code
    ChannelVerification.objects.bulk_update(
        rows,
        ["generation", "claimed_at", "delivery_status", "provider_message_id", "last_error", "code_hash", "template",
         "fallback_due_at"],
    )
    return rows


def channels_fail_undelivered(*, now: datetime, lease: timedelta) -> int:
    """Channels still QUEUED on a session that ended never went out (the task expired in the
    queue, or found the session over): mark them FAILED and refund them, once each.

    A row under a fresh claim is left alone: its worker may be talking to the provider now.
    """
    failed = 0
    abandoned = ChannelVerification.objects.abandoned(now, lease=lease)
    for row in abandoned.only("pk", "session_id", "channel", "generation").iterator():
        with transaction.atomic():
            queued = current(row.pk, row.generation).filter(delivery_status=DeliveryStatus.QUEUED)
            if queued.update(delivery_status=DeliveryStatus.FAILED, last_error=UNDELIVERED_REASON):
                channel_delivery_failed(row=row, generation=row.generation)
                channel_event(
                    session_id=row.session_id, type=EventType.CHANNEL_FAILED, channel=row.channel,
                    delivery_status=DeliveryStatus.FAILED, reason=UNDELIVERED_REASON,
                )
                metrics.delivery_attempted(channel=row.channel, outcome="undelivered")
                failed += 1
    return failed


# Test recipients (otp.fraud.testrecipients): nothing is delivered, the row says who "sent" it.
TEST_RECIPIENT_PROVIDER = "test_recipient"


def channels_held_for_test(*, rows: list[ChannelVerification], code_hashes: dict[int, str]) -> None:
    """Saved live rows to test recipients: SENT at once by no provider, with the fixed code's hash.

    Nothing is queued or charged; an attempt row puts the "send" on the session's timeline.
    """
    if not rows:
        return
    for row in rows:
        row.code_hash = code_hashes[row.pk]
        row.delivery_status = DeliveryStatus.SENT
        row.provider = TEST_RECIPIENT_PROVIDER
    ChannelVerification.objects.bulk_update(rows, ["code_hash", "delivery_status", "provider"])
    DeliveryAttempt.objects.bulk_create(
        DeliveryAttempt(channel_row=row, generation=row.generation, provider=TEST_RECIPIENT_PROVIDER, outcome=Outcome.SENT)
        for row in rows
    )
    session_events(
        session=rows[0].session,
        events=[(EventType.CHANNEL_SENT, {"channel": row.channel, "delivery_status": row.delivery_status}) for row in rows],
    )


def channel_delivery_report(*, provider_message_id: str, state: str, error: str = "") -> bool:
    """Move a sent channel to DELIVERED or FAILED (a provider's status webhook); unknown ids and
    late reports change nothing. Returns whether a row changed; a failure reported twice is
    refunded once: only the update that moves the row out of QUEUED/SENT refunds."""
    if not provider_message_id:
        return False
    with transaction.atomic():
        row = (
            ChannelVerification.objects.select_for_update()
            .filter(provider_message_id=provider_message_id, delivery_status__in=[DeliveryStatus.QUEUED, DeliveryStatus.SENT])
            .first()
        )
        if row is None:
            return False
        _report_note(row=row, state=state, error=error)
        metrics.delivery_reported(channel=row.channel, status=state)
        row.fallback_due_at = None  # delivered: the chain ends here; failed: moved on below
        if state == DeliveryStatus.DELIVERED:
            row.delivery_status = DeliveryStatus.DELIVERED
            row.save(update_fields=["delivery_status", "fallback_due_at", "updated_at"])
            channel_event(
                session_id=row.session_id, type=EventType.CHANNEL_DELIVERED, channel=row.channel,
                delivery_status=row.delivery_status,
            )
            return True
        row.delivery_status, row.last_error = DeliveryStatus.FAILED, error[:500]
        row.save(update_fields=["delivery_status", "last_error", "fallback_due_at", "updated_at"])
        channel_delivery_failed(row=row, generation=row.generation)
        session = channel_event(
            session_id=row.session_id, type=EventType.CHANNEL_FAILED, channel=row.channel,
            delivery_status=row.delivery_status, reason=row.last_error or "undelivered",
        )
        fallback_after_failure(
            session=session, row_id=row.pk, channel=row.channel, generation=row.generation, now=timezone.now()
        )
        return True


def _report_note(*, row: ChannelVerification, state: str, error: str) -> None:
    """The provider's report among the row's attempts: the session timeline shows each callback."""
    outcome = Outcome.DELIVERED if state == DeliveryStatus.DELIVERED else Outcome.UNDELIVERED
    DeliveryAttempt.objects.create(
        channel_row=row, generation=row.generation, provider=row.provider, outcome=outcome,
        provider_message_id=row.provider_message_id, error=error[:500],
    )
