"""Periodic housekeeping: expire stale sessions in one bulk update, purge old rows."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from .conf import otp_setting
from .models import IdempotencyRecord, OTPSession, OutboxMessage, SessionStatus


@dataclass(frozen=True)
class HousekeepingResult:
    expired: int
    purged_sessions: int
    purged_idempotency: int
    purged_outbox: int


def sessions_expire(*, now: datetime) -> int:
    return OTPSession.objects.filter(
        status__in=[SessionStatus.PENDING, SessionStatus.PARTIAL, SessionStatus.LOCKED], expires_at__lte=now
    ).update(status=SessionStatus.EXPIRED)


def housekeeping_run(*, now: datetime) -> HousekeepingResult:
    expired = sessions_expire(now=now)
    cutoff = now - timedelta(days=settings.OTP_RETENTION_DAYS)
    idempotency_cutoff = now - timedelta(seconds=otp_setting("IDEMPOTENCY_TTL_SECONDS"))
    purged_idempotency, _ = IdempotencyRecord.objects.filter(created_at__lt=idempotency_cutoff).delete()
    purged_outbox, _ = OutboxMessage.objects.filter(created_at__lt=cutoff).delete()
    # Channel rows and delivery attempts go with their session (CASCADE).
    purged_sessions = OTPSession.objects.filter(created_at__lt=cutoff).count()
    OTPSession.objects.filter(created_at__lt=cutoff).delete()
    return HousekeepingResult(
        expired=expired,
        purged_sessions=purged_sessions,
        purged_idempotency=purged_idempotency,
        purged_outbox=purged_outbox,
    )
