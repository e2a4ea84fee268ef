"""session_resend and session_cancel: new codes on the same session, or end it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from otpservice.errors import InvalidRequest

from ..conf import otp_setting
from ..delivery.state import channels_fallback_stop, channels_renew
from ..emission import EventType, session_events
from ..exceptions import MaxResendsExceeded, ResendCooldown, SessionNotFound
from ..lifecycle import session_refusal
from ..models import ChannelVerification, Delivery, OTPSession, SessionStatus
from ..ratelimits.guards import resend_guard
from ..tokens import token_issue
from .common import codes_issue, handle_is_session_id, session_for_token


@dataclass
class ResendOutcome:
    session: OTPSession
    # The channels resent (in the order asked for, else the session's): the response's channels and recipients.
    rows: list[ChannelVerification]
    sandbox_codes: dict[str, str]
    # The JWT handle to answer with: the one given, or a fresh one when the handle was the session id.
    token: str


def session_resend(
    *, account: Account, sandbox_only: bool, token: str, channels: list[str] | None
) -> ResendOutcome:
    """New codes for unverified channels: same session and token, fresh expiry and attempts.

    `token` is the session handle: the JWT from send (answered back as is) or the session id,
    for which a freshly issued JWT is answered, so a caller holding only the id gets one.
    """
    with transaction.atomic():
        session = session_for_token(account=account, sandbox_only=sandbox_only, token=token)
        now = timezone.now()  # after the lock, as in verify
        refusal = session_refusal(session, action="resend", now=now)
        if refusal is not None:
            raise refusal
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
        # Locked (after the session, in pk order): no delivery task claims a row between
        # channels_renew's refund check and its generation bump.
        rows = list(ChannelVerification.objects.select_for_update().filter(session=session).order_by("pk"))
        targets = _resend_targets(rows, channels)
        resend_guard(account=account, sandbox=session.sandbox, recipients={row.channel: row.recipient for row in targets})
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
        lease = timedelta(seconds=otp_setting("DELIVERY_LEASE_SECONDS"))
        # A fallback session's chain starts again at the first channel resent, in the send's order.
        fallback = session.delivery == Delivery.FALLBACK and not session.sandbox
        if fallback:
            channels_fallback_stop(session=session, channel=min(targets, key=lambda row: row.pk).channel)
        _, codes = codes_issue(
            account=account,
            session=session,
            rows=targets,
            save=lambda rows: channels_renew(rows=rows, sandbox=session.sandbox, now=now, lease=lease, fallback=fallback),
        )
    if handle_is_session_id(token):
        token = token_issue(
            secret=settings.OTP_TOKEN_SECRET,
            session_id=str(session.id),
            account_id=str(account.id),
            now=timezone.now(),
            ttl_seconds=otp_setting("TOKEN_TTL_SECONDS"),
        )
    return ResendOutcome(session=session, rows=targets, sandbox_codes=codes, token=token)


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
        refusal = session_refusal(session, action="cancel", now=timezone.now())
        if refusal is not None:
            raise refusal
        session.status = SessionStatus.CANCELLED
        session.save(update_fields=["status"])
        session_events(session=session, events=[(EventType.SESSION_CANCELLED, {})])
    return session
