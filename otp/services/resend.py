"""session_resend and session_cancel: new codes on the same session, or end it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from otpservice.errors import InvalidRequest

from ..conf import otp_setting
from ..exceptions import MaxResendsExceeded, OtpExpired, ResendCooldown, SessionNotFound
from ..models import ChannelVerification, DeliveryStatus, OTPSession, SessionStatus
from ..ratelimits.guards import resend_guard
from .common import (
    delivery_enqueue_on_commit,
    ended_error,
    rows_charge,
    sandbox_codes_issue,
    session_for_token,
)
from .delivery import channel_superseded


@dataclass
class ResendOutcome:
    session: OTPSession
    rows: list[ChannelVerification]
    sandbox_codes: dict[str, str]


def session_resend(
    *, account: Account, sandbox_only: bool, token: str, channels: list[str] | None
) -> ResendOutcome:
    """New codes for unverified channels: same session and token, fresh expiry and attempts."""
    with transaction.atomic():
        session = session_for_token(account=account, sandbox_only=sandbox_only, token=token)
        now = timezone.now()  # after the lock, as in verify
        ended = ended_error(session)
        if ended is not None:
            raise ended
        if session.resend_count >= otp_setting("MAX_RESENDS"):
            # The cap never resets, so there is nothing to wait for; a 429 still carries Retry-After,
            # set to the token's remaining lifetime so clients that obey it do not loop.
            token_ends = session.created_at + timedelta(seconds=otp_setting("TOKEN_TTL_SECONDS"))
            raise MaxResendsExceeded(
                details={"max_resends": otp_setting("MAX_RESENDS")},
                retry_after=max(1.0, (token_ends - now).total_seconds()),
            )
        wait = otp_setting("RESEND_COOLDOWN_SECONDS") - (now - session.last_sent_at).total_seconds()
        if wait > 0:
            raise ResendCooldown(details={"retry_after_seconds": int(wait) + 1}, retry_after=wait)
        # Locked (after the session, in pk order): no delivery task claims a row between the
        # refund check below and the generation bump.
        rows = list(ChannelVerification.objects.select_for_update().filter(session=session).order_by("pk"))
        targets = _resend_targets(rows, channels)
        resend_guard(account=account, sandbox=session.sandbox, recipients={row.channel: row.recipient for row in targets})
        if not session.sandbox:
            _refund_unsent(targets, now=now)
        session.resend_count += 1
        session.last_sent_at = now
        session.expires_at = now + timedelta(minutes=session.expiry_minutes)
        session.failed_attempts = 0
        session.status = (
            SessionStatus.PARTIAL if any(row.verified_at for row in rows) else SessionStatus.PENDING
        )
        session.save(
            update_fields=["resend_count", "last_sent_at", "expires_at", "failed_attempts", "status"]
        )
        codes = sandbox_codes_issue(session=session, rows=targets) if session.sandbox else {}
        for row in targets:
            # The old code stops working now; the new hash arrives with the delivery task.
            row.generation += 1
            row.claimed_at = None
            row.delivery_status = DeliveryStatus.SANDBOX if session.sandbox else DeliveryStatus.QUEUED
            row.provider_message_id = row.last_error = ""
            if not session.sandbox:
                row.code_hash = ""
        ChannelVerification.objects.bulk_update(
            targets,
            ["generation", "claimed_at", "delivery_status", "provider_message_id", "last_error", "code_hash"],
        )
        if not session.sandbox:
            rows_charge(account=account, session=session, rows=targets)
            delivery_enqueue_on_commit(targets, expires_in=session.expiry_minutes * 60)
    return ResendOutcome(session=session, rows=targets, sandbox_codes=codes)


def _refund_unsent(targets: list[ChannelVerification], *, now) -> None:
    """Refund the current code of every target that never went out, before a resend replaces it.

    QUEUED and unclaimed, or claimed longer ago than OTP DELIVERY_LEASE_SECONDS (its worker died,
    the same rule as the task's claim and housekeeping): nothing was sent, and once the generation
    moves on no task will send it. Under a fresh claim a worker may be talking to the provider now,
    so it is not refunded here: if that task finds its generation gone before sending, it refunds
    it itself (otp.tasks.deliver_code); if it sent, the charge stands.
    """
    abandoned = now - timedelta(seconds=otp_setting("DELIVERY_LEASE_SECONDS"))
    for row in targets:
        if row.delivery_status == DeliveryStatus.QUEUED and (row.claimed_at is None or row.claimed_at < abandoned):
            channel_superseded(row=row, generation=row.generation)


def _resend_targets(rows: list[ChannelVerification], channels: list[str] | None) -> list[ChannelVerification]:
    by_channel = {row.channel: row for row in rows}
    if channels is None:
        return [row for row in rows if row.verified_at is None]
    for channel in channels:
        if channel not in by_channel:
            raise InvalidRequest(
                f"channels: {channel} is not part of this session",
                details={"field": "channels", "errors": {"channels": [f"{channel} is not in this session."]}},
            )
        if by_channel[channel].verified_at is not None:
            raise InvalidRequest(
                f"channels: {channel} is already verified",
                details={"field": "channels", "errors": {"channels": [f"{channel} is already verified."]}},
            )
    return [by_channel[channel] for channel in channels]


def session_cancel(*, account: Account, sandbox_only: bool, session_id: str) -> OTPSession:
    with transaction.atomic():
        try:
            session = (
                OTPSession.objects.reachable(account=account, sandbox_only=sandbox_only)
                .select_for_update()
                .get(pk=session_id)
            )
        except (OTPSession.DoesNotExist, ValueError, DjangoValidationError) as exc:
            raise SessionNotFound() from exc
        ended = ended_error(session)
        if ended is not None:
            raise ended
        if session.status == SessionStatus.EXPIRED or timezone.now() >= session.expires_at:
            raise OtpExpired("OTP expired: the session can no longer be cancelled")
        session.status = SessionStatus.CANCELLED
        session.save(update_fields=["status"])
    return session
