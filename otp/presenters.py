"""Plain-dict shapes of sessions for the API: never a code or a hash."""
from typing import Any

from django.utils import timezone

from otpservice.api.timestamps import iso

from .lifecycle import session_status
from .models import OTPSession


def channel_rows(session: OTPSession) -> list:
    # Uses the prefetched rows when the selector loaded them; ordered as the request listed them.
    return sorted(session.channel_rows.all(), key=lambda row: row.pk)


def with_data(body: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The flat body plus the same values under `data`, as the official Node SDK reads them."""
    body["data"] = data
    return body


def send_body(outcome) -> dict[str, Any]:
    """The response of POST /otp/send (also stored, without codes, for idempotent replays)."""
    session, rows = outcome.session, outcome.rows
    channels = [row.channel for row in rows]
    body = {
        "success": True,
        "session_id": str(session.id),
        "session_token": outcome.token,
        "token": outcome.token,
        "status": session.status,
        "expires_at": iso(session.expires_at),
        "channels": channels,
        "channels_sent": {row.channel: {"success": True, "status": row.delivery_status} for row in rows},
        "sandbox": session.sandbox,
    }
    data = {
        "session_id": str(session.id),
        "session_token": outcome.token,
        "expires_at": iso(session.expires_at),
        "channels": channels,
        "recipients": {row.channel: row.recipient for row in rows},
    }
    if session.sandbox:
        body["sandbox_otps"] = data["otps"] = outcome.sandbox_codes
    return with_data(body, data)


def session_data(session: OTPSession) -> dict[str, Any]:
    rows = channel_rows(session)
    return {
        "session_id": str(session.id),
        "status": session_status(session, now=timezone.now()),
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
