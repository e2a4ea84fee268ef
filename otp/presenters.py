"""Plain-dict shapes of sessions for the API: never a code or a hash."""
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from .models import OTPSession, SessionStatus


def iso(value: datetime | None) -> str | None:
    """ISO-8601 UTC with milliseconds and a Z, as DESIGN.md §5 asks."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def session_status(session: OTPSession, now: datetime | None = None) -> str:
    """The status a reader sees: a live session past expires_at is EXPIRED, whether or not
    housekeeping has written that yet."""
    now = now or timezone.now()
    if session.status in OTPSession.LIVE_STATUSES and session.expires_at <= now:
        return SessionStatus.EXPIRED
    return session.status


def channel_rows(session: OTPSession) -> list:
    # Uses the prefetched rows when the selector loaded them; ordered as the request listed them.
    return sorted(session.channel_rows.all(), key=lambda row: row.pk)


def session_data(session: OTPSession) -> dict[str, Any]:
    rows = channel_rows(session)
    return {
        "session_id": str(session.id),
        "status": session_status(session),
        "channels": [row.channel for row in rows],
        "verification_strategy": session.verification_strategy,
        "required_channels": session.required_channels or [],
        "sandbox": session.sandbox,
        "metadata": session.metadata,
        "max_attempts": session.max_attempts,
        "attempts_remaining": session.max_attempts - session.failed_attempts,
        "resend_count": session.resend_count,
        "created_at": iso(session.created_at),
        "expires_at": iso(session.expires_at),
        "verified_at": iso(session.verified_at),
        "channel_details": {
            row.channel: {
                "recipient": row.recipient,
                "verified": row.verified_at is not None,
                "verified_at": iso(row.verified_at),
                "delivery_status": row.delivery_status,
                "provider_message_id": row.provider_message_id or None,
                "last_error": row.last_error or None,
            }
            for row in rows
        },
    }
