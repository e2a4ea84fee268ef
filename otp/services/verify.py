"""session_verify: check submitted codes under the session's row lock, one attempt per wrong code."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Account
from contacts.services import contact_record_verified
from otpservice.errors import InvalidRequest

from .. import metrics
from ..emission import EventType, session_events
from ..exceptions import InvalidOtp, OtpExpired
from ..fraud.guesses import guesses_open
from ..hashing import check_code
from ..lifecycle import session_refusal
from ..models import ChannelVerification, OTPSession, SessionStatus, Strategy
from .common import session_for_token


@dataclass
class VerifyOutcome:
    session: OTPSession
    rows: list[ChannelVerification]
    results: dict[str, dict[str, Any]]
    all_right: bool
    any_right: bool
    # The channels this request verified (each a channel.verified event).
    newly_verified: list[str] = field(default_factory=list)


def session_verify(*, account: Account, sandbox_only: bool, token: str, codes: dict[str, str]) -> VerifyOutcome:
    """Check the submitted codes under a row lock, so attempts are counted exactly once each."""
    with transaction.atomic():
        session = session_for_token(account=account, sandbox_only=sandbox_only, token=token)
        before = session.status
        outcome, error = _verify_locked(account=account, session=session, codes=codes)
        _events(session=session, before=before, outcome=outcome)
    metrics.verification_counted(codes=codes, outcome=outcome, error=error)
    # Raised after commit: the failed attempt and a status change must persist.
    if error is not None:
        raise error
    return outcome


# The session events of a status this verify wrote (a lock by the fraud guard included).
_STATUS_EVENTS = {
    SessionStatus.VERIFIED: EventType.SESSION_VERIFIED,
    SessionStatus.LOCKED: EventType.SESSION_LOCKED,
    SessionStatus.EXPIRED: EventType.SESSION_EXPIRED,
}


def _events(*, session: OTPSession, before: str, outcome: VerifyOutcome | None) -> None:
    """channel.verified per channel newly verified, then the session's new status, in one batch."""
    events = []
    if outcome is not None:
        by_channel = {row.channel: row for row in outcome.rows}
        events = [
            (EventType.CHANNEL_VERIFIED, {"channel": channel, "delivery_status": by_channel[channel].delivery_status})
            for channel in outcome.newly_verified
        ]
    if session.status != before and session.status in _STATUS_EVENTS:
        events.append((_STATUS_EVENTS[session.status], {}))
    if events:
        session_events(session=session, events=events)


def _strategy_met(session: OTPSession, verified: set[str], channels: list[str]) -> bool:
    if session.verification_strategy == Strategy.ANY:
        return bool(verified)
    required = session.required_channels if session.verification_strategy == Strategy.SPECIFIC else channels
    return set(required) <= verified


def _verify_locked(*, account: Account, session: OTPSession, codes: dict[str, str]):
    # Read the clock once the lock is held: a request that waited for it must not judge expiry
    # by the time it arrived.
    now = timezone.now()
    refusal = session_refusal(session, action="verify", now=now)
    if refusal is not None:
        if isinstance(refusal, OtpExpired) and session.status != SessionStatus.EXPIRED:
            session.status = SessionStatus.EXPIRED
            OTPSession.objects.filter(pk=session.pk).update(status=SessionStatus.EXPIRED)
        return None, refusal
    rows = list(ChannelVerification.objects.filter(session=session).order_by("pk"))
    by_channel = {row.channel: row for row in rows}
    foreign = sorted(set(codes) - set(by_channel))
    if foreign:
        return None, InvalidRequest(
            f"otps.{foreign[0]}: channel is not part of this session",
            details={"field": f"otps.{foreign[0]}", "errors": {f"otps.{ch}": ["Not in this session."] for ch in foreign}},
        )
    # Failed guesses per recipient across its sessions (otp.fraud.guesses): a locked recipient locks this session.
    guard = guesses_open(account=account, session=session, rows=rows, codes=codes, now=now)
    if guard.refusal is not None:
        return None, guard.refusal
    results, newly_verified, wrong = _check_codes(session=session, by_channel=by_channel, codes=guard.checkable, now=now)
    if newly_verified:
        ChannelVerification.objects.filter(pk__in=[row.pk for row in newly_verified]).update(verified_at=now)
    verified = {row.channel for row in rows if row.verified_at is not None}
    session.failed_attempts += wrong
    if _strategy_met(session, verified, [row.channel for row in rows]):
        session.status, session.verified_at = SessionStatus.VERIFIED, now
    elif session.failed_attempts >= session.max_attempts:
        session.status = SessionStatus.LOCKED
    elif verified:
        session.status = SessionStatus.PARTIAL
    OTPSession.objects.filter(pk=session.pk).update(
        failed_attempts=F("failed_attempts") + wrong, status=session.status, verified_at=session.verified_at
    )
    results = guard.settle(session=session, results=results, wrong=wrong, verified=newly_verified)
    # Sandbox codes are handed to the caller, so a sandbox "verification" proves nothing.
    if session.status == SessionStatus.VERIFIED and session.add_contact and not session.sandbox:
        contact_record_verified(account=account, rows=[row for row in rows if row.verified_at])
    successes = [result["success"] for result in results.values()]
    outcome = VerifyOutcome(
        session=session, rows=rows, results=results, all_right=all(successes), any_right=any(successes),
        newly_verified=[row.channel for row in newly_verified],
    )
    if not outcome.any_right:
        remaining = session.max_attempts - session.failed_attempts
        return outcome, InvalidOtp(
            f"Invalid OTP: {remaining} attempt{'s' if remaining != 1 else ''} remaining",
            details={"attempts_remaining": remaining, "verification_results": results},
        )
    return outcome, None


def _check_codes(*, session: OTPSession, by_channel: dict[str, ChannelVerification], codes: dict[str, str], now):
    """Compare codes until the attempts left are used: once they are, nothing more is checked."""
    budget = session.max_attempts - session.failed_attempts
    results: dict[str, dict[str, Any]] = {}
    newly_verified: list[ChannelVerification] = []
    wrong = 0
    for channel, code in codes.items():
        row = by_channel[channel]
        # A verified channel's code is still checked: a backend that asks again must not accept
        # anything because the channel was verified earlier.
        if wrong >= budget:
            results[channel] = {"success": False, "message": "Not checked: no attempts remaining"}
            continue
        right = len(code) == session.otp_length and check_code(
            pepper=settings.OTP_PEPPER,
            session_id=str(session.id),
            channel=channel,
            code=code,
            code_hash=row.code_hash,
        )
        if right and row.verified_at is not None:
            results[channel] = {"success": True, "message": "Channel already verified"}
        elif right:
            row.verified_at = now
            newly_verified.append(row)
            results[channel] = {"success": True, "message": "OTP verified"}
        else:
            wrong += 1
            results[channel] = {"success": False, "message": "Invalid OTP"}
    return results, newly_verified, wrong
