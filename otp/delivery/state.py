"""The delivery state machine of a channel row, and the only code that writes it.

QUEUED → (claim) → SENT → DELIVERED, or → FAILED (refunded once); a resend supersedes the current
generation (refunded once when it never went out) and queues the next; SANDBOX rows never move.
The Celery task (otp.tasks), resend, housekeeping and the provider webhooks all call in here.

Lock order, everywhere money moves: the channel row first, then the wallet. A resend holds its
channel rows and then charges the wallet; a refund that touched the wallet first and the channel
row only later (an attempt row's foreign key is checked at commit) would deadlock with it.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction

from wallet.exceptions import InsufficientBalance
from wallet.services import wallet_refund_channel, wallet_refund_reverse

from .. import metrics
from ..models import ChannelVerification, DeliveryAttempt, DeliveryStatus
from .base import SendResult

logger = logging.getLogger("otp.delivery")

SUPERSEDED_REASON = "Superseded by a resend before delivery"
UNDELIVERED_REASON = "Not delivered before the session ended"
Outcome = DeliveryAttempt.Outcome


def _locked(row_id: int) -> ChannelVerification | None:
    """The channel row under FOR UPDATE, taken before any wallet row (see the module docstring)."""
    return ChannelVerification.objects.select_for_update().filter(pk=row_id).first()


def _current(row_id: int, generation: int):
    return ChannelVerification.objects.filter(pk=row_id, generation=generation)


def claim_is_free(row: ChannelVerification, *, now: datetime, lease: timedelta) -> bool:
    """No attempt holds this row now (the rule of ChannelVerification.objects.claimable, in Python)."""
    return row.claimed_at is None or row.claimed_at < now - lease


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
    mine = _current(row.pk, generation).filter(claimed_at=row.claimed_at)
    if mine.update(code_hash=code_hash, template=template):
        return True
    if not _current(row.pk, generation).exists():
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
    if _current(row.pk, generation).update(claimed_at=None, last_error=error[:500]):
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
        current = _locked(row.pk)
        DeliveryAttempt.objects.create(
            channel_row=row, generation=generation, provider=provider, outcome=Outcome.FAILED, error=error[:500]
        )
        updated = _current(row.pk, generation).filter(delivery_status=DeliveryStatus.QUEUED).update(
            delivery_status=DeliveryStatus.FAILED, provider=provider, last_error=error[:500], code_hash=""
        )
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
        outcome=Outcome.SENT,
    )
    sent = {"provider": result.provider, "provider_message_id": result.message_id, "last_error": ""}
    with transaction.atomic():
        queued = _current(row_id, generation).filter(delivery_status=DeliveryStatus.QUEUED)
        if not late and queued.update(delivery_status=DeliveryStatus.SENT, **sent):
            attempt.save()
            return
        row = _locked(row_id)
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
        _refund_reverse(row=row, generation=generation, result=result)


def _refund_reverse(*, row: ChannelVerification, generation: int, result: SendResult) -> None:
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
        if state == DeliveryStatus.DELIVERED:
            row.delivery_status = DeliveryStatus.DELIVERED
            row.save(update_fields=["delivery_status", "updated_at"])
            return True
        row.delivery_status, row.last_error = DeliveryStatus.FAILED, error[:500]
        row.save(update_fields=["delivery_status", "last_error", "updated_at"])
        channel_delivery_failed(row=row, generation=row.generation)
        return True


def _report_note(*, row: ChannelVerification, state: str, error: str) -> None:
    """The provider's report among the row's attempts: the session timeline shows each callback."""
    outcome = Outcome.DELIVERED if state == DeliveryStatus.DELIVERED else Outcome.UNDELIVERED
    DeliveryAttempt.objects.create(
        channel_row=row, generation=row.generation, provider=row.provider, outcome=outcome,
        provider_message_id=row.provider_message_id, error=error[:500],
    )


# Refunds: each generation's charge comes back at most once (the wallet keys refunds by it).


def channel_delivery_failed(*, row: ChannelVerification, generation: int) -> None:
    """Refund a generation that failed for good or never went out; a second call refunds nothing."""
    with transaction.atomic():
        _locked(row.pk)
        refund = wallet_refund_channel(session_id=row.session_id, channel=row.channel, generation=generation)
        metrics.refund_posted(channel=row.channel, entry=refund)


def channel_superseded(*, row: ChannelVerification, generation: int) -> None:
    """A resend replaced this generation before it went out: note it among the attempts, refund it
    once (the resend, the task or its comeback may each get here)."""
    with transaction.atomic():
        _locked(row.pk)
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


def channels_new(*, session, recipients: dict[str, str]) -> list[ChannelVerification]:
    """A new session's rows, unsaved: QUEUED for the worker, or SANDBOX (never delivered)."""
    status = DeliveryStatus.SANDBOX if session.sandbox else DeliveryStatus.QUEUED
    return [
        ChannelVerification(session=session, channel=channel, recipient=recipient, delivery_status=status)
        for channel, recipient in recipients.items()
    ]


def channels_renew(
    *, rows: list[ChannelVerification], sandbox: bool, now: datetime, lease: timedelta
) -> list[ChannelVerification]:
    """A resend: the current code of each row stops working and the next generation is queued
    (SANDBOX in sandbox, whose new hashes the rows already carry). Rows must be locked by the
    caller, in pk order.

    A current code that never went out (QUEUED and no attempt holds it) is refunded first: once the
    generation moves on no task will send it. Under a fresh claim a worker may be talking to the
    provider now, so it is left to that attempt: it refunds it if it finds its generation gone
    before sending (channel_code_store, channel_retry_note); if it sent, the charge stands.
    """
    for row in rows:
        if not sandbox and row.delivery_status == DeliveryStatus.QUEUED and claim_is_free(row, now=now, lease=lease):
            channel_superseded(row=row, generation=row.generation)
        row.generation += 1
        row.claimed_at = None
        row.delivery_status = DeliveryStatus.SANDBOX if sandbox else DeliveryStatus.QUEUED
        row.provider_message_id = row.last_error = ""
        row.template = None
        if not sandbox:
            row.code_hash = ""  # the worker hashes the new code
    ChannelVerification.objects.bulk_update(
        rows, ["generation", "claimed_at", "delivery_status", "provider_message_id", "last_error", "code_hash", "template"]
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
            queued = _current(row.pk, row.generation).filter(delivery_status=DeliveryStatus.QUEUED)
            if queued.update(delivery_status=DeliveryStatus.FAILED, last_error=UNDELIVERED_REASON):
                channel_delivery_failed(row=row, generation=row.generation)
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
