"""Periodic housekeeping: expire stale sessions in one bulk update, purge old rows."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from .conf import otp_setting
from .models import (
    ChannelVerification,
    DeliveryStatus,
    IdempotencyRecord,
    OTPSession,
    OutboxMessage,
    SessionStatus,
)
from .services.delivery import channel_delivery_failed

UNDELIVERED_REASON = "Not delivered before the session ended"
# Old sessions are deleted this many at a time: each batch (with its cascade) is one short transaction.
PURGE_BATCH = 1000


@dataclass(frozen=True)
class HousekeepingResult:
    expired: int
    undelivered: int
    purged_sessions: int
    purged_idempotency: int
    purged_outbox: int


def sessions_expire(*, now: datetime) -> int:
    return OTPSession.objects.filter(status__in=OTPSession.LIVE_STATUSES, expires_at__lte=now).update(
        status=SessionStatus.EXPIRED
    )


def channels_fail_undelivered(*, now: datetime) -> int:
    """Channels still QUEUED on a session that ended never went out (the task expired in the
    queue, or found the session over): mark them FAILED and refund them, once each.

    A row under a fresh claim is left alone: its worker may be talking to the provider now.
    Only QUEUED rows are read, through the partial index otp_chan_queued.
    """
    lease = timedelta(seconds=otp_setting("DELIVERY_LEASE_SECONDS"))
    stale = ChannelVerification.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - lease),
        ~Q(session__status__in=OTPSession.LIVE_STATUSES) | Q(session__expires_at__lte=now),
        delivery_status=DeliveryStatus.QUEUED,
        session__sandbox=False,
    )
    failed = 0
    for row in stale.only("pk", "session_id", "channel", "generation").iterator():
        with transaction.atomic():
            moved = ChannelVerification.objects.filter(
                pk=row.pk, generation=row.generation, delivery_status=DeliveryStatus.QUEUED
            ).update(delivery_status=DeliveryStatus.FAILED, last_error=UNDELIVERED_REASON)
            if moved:
                channel_delivery_failed(row=row, generation=row.generation)
                failed += 1
    return failed


def sessions_purge(*, cutoff: datetime) -> int:
    """Delete sessions created before cutoff, PURGE_BATCH at a time, so no run holds one huge
    cascading delete. Channel rows, attempts and idempotency records go with their session;
    ledger entries and outbox messages stay."""
    purged = 0
    old = OTPSession.objects.filter(created_at__lt=cutoff).order_by()
    while ids := list(old.values_list("pk", flat=True)[:PURGE_BATCH]):
        _, per_model = OTPSession.objects.filter(pk__in=ids).delete()
        purged += per_model.get(OTPSession._meta.label, 0)
    return purged


def housekeeping_run(*, now: datetime) -> HousekeepingResult:
    expired = sessions_expire(now=now)
    undelivered = channels_fail_undelivered(now=now)
    cutoff = now - timedelta(days=settings.OTP_RETENTION_DAYS)
    idempotency_cutoff = now - timedelta(seconds=otp_setting("IDEMPOTENCY_TTL_SECONDS"))
    purged_idempotency, _ = IdempotencyRecord.objects.filter(created_at__lt=idempotency_cutoff).delete()
    purged_outbox, _ = OutboxMessage.objects.filter(created_at__lt=cutoff).delete()
    purged_sessions = sessions_purge(cutoff=cutoff)
    return HousekeepingResult(
        expired=expired,
        undelivered=undelivered,
        purged_sessions=purged_sessions,
        purged_idempotency=purged_idempotency,
        purged_outbox=purged_outbox,
    )
