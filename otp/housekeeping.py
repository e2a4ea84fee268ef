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

UNDELIVERED_REASON = "Not delivered before the session ended"


@dataclass(frozen=True)
class HousekeepingResult:
    expired: int
    undelivered: int
    purged_sessions: int
    purged_idempotency: int
    purged_outbox: int


def sessions_expire(*, now: datetime) -> int:
    return OTPSession.objects.filter(
        status__in=[SessionStatus.PENDING, SessionStatus.PARTIAL, SessionStatus.LOCKED], expires_at__lte=now
    ).update(status=SessionStatus.EXPIRED)


def channels_fail_undelivered(*, now: datetime) -> int:
    """Channels still QUEUED on a session that ended never went out (the task expired in the
    queue, or found the session over): mark them FAILED and refund them, once each.

    A row under a fresh claim is left alone: its worker may be talking to the provider now.
    """
    from .tasks import channel_delivery_failed

    lease = timedelta(seconds=otp_setting("DELIVERY_LEASE_SECONDS"))
    stale = ChannelVerification.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - lease),
        Q(session__status__in=[SessionStatus.EXPIRED, SessionStatus.CANCELLED, SessionStatus.VERIFIED])
        | Q(session__expires_at__lte=now),
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


def housekeeping_run(*, now: datetime) -> HousekeepingResult:
    expired = sessions_expire(now=now)
    undelivered = channels_fail_undelivered(now=now)
    cutoff = now - timedelta(days=settings.OTP_RETENTION_DAYS)
    idempotency_cutoff = now - timedelta(seconds=otp_setting("IDEMPOTENCY_TTL_SECONDS"))
    purged_idempotency, _ = IdempotencyRecord.objects.filter(created_at__lt=idempotency_cutoff).delete()
    purged_outbox, _ = OutboxMessage.objects.filter(created_at__lt=cutoff).delete()
    # Channel rows and delivery attempts go with their session (CASCADE).
    purged_sessions = OTPSession.objects.filter(created_at__lt=cutoff).count()
    OTPSession.objects.filter(created_at__lt=cutoff).delete()
    return HousekeepingResult(
        expired=expired,
        undelivered=undelivered,
        purged_sessions=purged_sessions,
        purged_idempotency=purged_idempotency,
        purged_outbox=purged_outbox,
    )
