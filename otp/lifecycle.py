"""Session state, decided once: the status a reader sees and what each action refuses.

A live session (PENDING, PARTIAL, LOCKED) is EXPIRED from `expires_at` on, whether or not
housekeeping has written that yet. The API, admin, selectors, housekeeping, verify, resend and
cancel all ask here; none compares `expires_at` on its own.
"""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.db.models import Q

from otpservice.api.timestamps import iso
from otpservice.errors import ServiceError

from .exceptions import AlreadyVerified, MaxAttemptsExceeded, OtpExpired, SessionCancelled
from .states import LIVE_STATUSES, SessionStatus

Action = Literal["verify", "resend", "cancel"]


def session_expired(session, *, now: datetime) -> bool:
    """EXPIRED written, or live and past expires_at."""
    return session.status == SessionStatus.EXPIRED or (session.status in LIVE_STATUSES and now >= session.expires_at)


def session_status(session, *, now: datetime) -> str:
    """The status a reader sees."""
    if session.status in LIVE_STATUSES and now >= session.expires_at:
        return SessionStatus.EXPIRED
    return session.status


def live_q(now: datetime, *, prefix: str = "") -> Q:
    """Sessions a code may still be sent to or checked against (`prefix`: e.g. "session__")."""
    return Q(**{f"{prefix}status__in": LIVE_STATUSES, f"{prefix}expires_at__gt": now})


def lapsed_q(now: datetime) -> Q:
    """Live sessions past expires_at: EXPIRED to a reader, not yet written so."""
    return Q(status__in=LIVE_STATUSES, expires_at__lte=now)


def status_q(status: str, now: datetime) -> Q:
    """The sessions a reader sees with this status (the list filter)."""
    if status == SessionStatus.EXPIRED:
        return Q(status=SessionStatus.EXPIRED) | lapsed_q(now)
    if status in LIVE_STATUSES:
        return Q(status=status, expires_at__gt=now)
    return Q(status=status)


def session_refusal(session, *, action: Action, now: datetime) -> ServiceError | None:
    """Why `action` may not run on this session now, or None.

    Ended (cancelled, verified) refuses everything. Verify also refuses an expired session, then a
    locked one (expiry first: a LOCKED session past expires_at reads as EXPIRED); cancel refuses an
    expired one; resend is allowed after expiry and unlocks.
    """
    if session.status == SessionStatus.CANCELLED:
        return SessionCancelled()
    if session.status == SessionStatus.VERIFIED:
        return AlreadyVerified()
    if action == "resend":
        return None
    if session_expired(session, now=now):
        if action == "cancel":
            return OtpExpired("OTP expired: the session can no longer be cancelled")
        return OtpExpired(details={"expires_at": iso(session.expires_at)})
    if action == "verify" and session.status == SessionStatus.LOCKED:
        return MaxAttemptsExceeded(details={"attempts_remaining": 0})
    return None
