"""Operators' writes on sessions from admin: cancel and expire, refunding what never went out."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from otpservice.errors import ServiceError

from ..conf import otp_setting
from ..delivery.state import channels_fail_undelivered
from ..emission import EventType, session_events
from ..exceptions import OtpExpired, SessionNotFound
from ..lifecycle import session_refusal
from ..models import OTPSession, SessionStatus
from .resend import session_cancel


@dataclass
class SessionsEnded:
    """What a bulk action did: the sessions it changed (with their status before) and those it refused."""

    changed: dict[str, str] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)
    refunded_channels: int = 0


def session_expire(*, session_id: str) -> OTPSession:
    """End a live session now, as its expiry would: EXPIRED, `expires_at` moved to now.

    Refused, as cancel is, for a session that is cancelled, verified or already expired.
    """
    with transaction.atomic():
        session = OTPSession.objects.select_for_update().filter(pk=session_id).first()
        if session is None:
            raise SessionNotFound()
        now = timezone.now()
        refusal = session_refusal(session, action="cancel", now=now)
        if isinstance(refusal, OtpExpired):
            raise OtpExpired("Session already expired")
        if refusal is not None:
            raise refusal
        session.status, session.expires_at = SessionStatus.EXPIRED, now
        session.save(update_fields=["status", "expires_at"])
        session_events(session=session, events=[(EventType.SESSION_EXPIRED, {})], now=now)
    return session


def sessions_end(*, session_ids: list[str], action: str) -> SessionsEnded:
    """Cancel or expire each session through its service, then refund at once every channel that
    had not gone out (the never-sent sweep housekeeping runs every minute, so nothing is refunded
    twice and a channel a worker holds now is left to it)."""
    if action not in ("cancel", "expire"):
        raise ValueError(f"unknown action {action!r}")
    result = SessionsEnded()
    sessions = OTPSession.objects.filter(pk__in=session_ids).select_related("account").order_by("pk")
    for session in sessions:
        before = session.status
        try:
            if action == "cancel":
                session_cancel(account=session.account, sandbox_only=False, session_id=str(session.pk))
            else:
                session_expire(session_id=str(session.pk))
        except ServiceError as refusal:
            result.refused[str(session.pk)] = refusal.message
            continue
        result.changed[str(session.pk)] = before
    if result.changed:
        lease = timedelta(seconds=otp_setting("DELIVERY_LEASE_SECONDS"))
        result.refunded_channels = channels_fail_undelivered(now=timezone.now(), lease=lease)
    return result
