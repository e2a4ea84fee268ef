"""Writes of the OTP flow: send, verify, resend, cancel. Views call these and nothing else."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Account
from otpservice.errors import InvalidRequest

from .conf import otp_setting
from .exceptions import (
    AlreadyVerified,
    IdempotencyKeyReused,
    InvalidOtp,
    InvalidToken,
    MaxAttemptsExceeded,
    MaxResendsExceeded,
    OtpExpired,
    ResendCooldown,
    SessionCancelled,
    SessionNotFound,
)
from .hashing import check_code, generate_code, hash_code
from .models import (
    ChannelVerification,
    DeliveryStatus,
    IdempotencyRecord,
    OTPSession,
    SessionStatus,
    Strategy,
)
from .presenters import iso
from .ratelimits.guards import destinations_check, resend_guard, send_limits_hit, spend_cap_check
from .tokens import TokenError, token_decode, token_issue


@dataclass
class SendOutcome:
    session: OTPSession
    rows: list[ChannelVerification]
    token: str
    sandbox_codes: dict[str, str] = field(default_factory=dict)
    replay: dict[str, Any] | None = None


def _sandbox_codes(*, session: OTPSession, rows: list[ChannelVerification]) -> dict[str, str]:
    """Generate and hash codes in the request (sandbox only: nothing is delivered)."""
    codes = {}
    for row in rows:
        code = generate_code(session.otp_length)
        row.code_hash = hash_code(
            pepper=settings.OTP_PEPPER,
            session_id=str(session.id),
            channel=row.channel,
            code=code,
            rounds=otp_setting("BCRYPT_ROUNDS"),
        )
        codes[row.channel] = code
    return codes


def _enqueue_delivery(rows: list[ChannelVerification], *, expires_in: float) -> None:
    from .tasks import enqueue_delivery

    for row in rows:
        # Robust: a broker failure after commit is logged, not a 500 for a session that exists and
        # is charged; housekeeping refunds the unsent channel when the session ends.
        transaction.on_commit(
            lambda row_id=row.pk, channel=row.channel, generation=row.generation: enqueue_delivery(
                channel_row_id=row_id, channel=channel, generation=generation, expires_in=expires_in
            ),
            robust=True,
        )


def request_fingerprint(*, body: dict[str, Any], sandbox: bool) -> str:
    canonical = json.dumps({"body": body, "sandbox": sandbox}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _idempotent_replay(*, account: Account, key: str, fingerprint: str) -> dict[str, Any] | None:
    cutoff = timezone.now() - timedelta(seconds=otp_setting("IDEMPOTENCY_TTL_SECONDS"))
    record = IdempotencyRecord.objects.filter(account=account, key=key).first()
    if record is None:
        return None
    if record.created_at < cutoff:
        record.delete()
        return None
    if record.request_hash != fingerprint:
        raise IdempotencyKeyReused(details={"idempotency_key": key})
    return record.response


def session_send(
    *,
    account: Account,
    recipients: dict[str, str],
    channels: list[str],
    config: dict[str, Any],
    metadata: dict[str, Any],
    add_contact: bool,
    sandbox: bool,
    idempotency_key: str = "",
    fingerprint: str = "",
    build_response=None,
    client_address: str | None = None,
) -> SendOutcome:
    """Create a session with one row per channel, charge it, and queue delivery on commit.

    With an idempotency key, `build_response(outcome)` gives the response to store for replays.
    `client_address` is the HTTP client's IP, for the per-IP limit when metadata has no ip_address.
    """
    if idempotency_key:
        replay = _idempotent_replay(account=account, key=idempotency_key, fingerprint=fingerprint)
        if replay is not None:
            return SendOutcome(session=None, rows=[], token="", replay=replay)
    targets = {channel: recipients[channel] for channel in channels}
    destinations_check(account=account, recipients=targets)
    now = timezone.now()
    try:
        with transaction.atomic():
            outcome = _create_session(
                account=account,
                recipients=recipients,
                channels=channels,
                config=config,
                metadata=metadata,
                add_contact=add_contact,
                sandbox=sandbox,
                now=now,
            )
            if idempotency_key:
                IdempotencyRecord.objects.create(
                    account=account,
                    key=idempotency_key,
                    request_hash=fingerprint,
                    session=outcome.session,
                    response=_without_codes(build_response(outcome)),
                )
            # Counted last: a parallel twin that loses the idempotency insert above replays and
            # counts nothing, and a 429 here rolls back the session and its charge.
            send_limits_hit(
                account=account, recipients=targets, metadata=metadata, client_address=client_address, sandbox=sandbox
            )
    except IntegrityError:
        if not idempotency_key:
            raise
        # A parallel request with the same key won the insert; answer as its replay.
        replay = _idempotent_replay(account=account, key=idempotency_key, fingerprint=fingerprint)
        if replay is None:
            raise
        return SendOutcome(session=None, rows=[], token="", replay=replay)
    return outcome


def _without_codes(response: dict[str, Any]) -> dict[str, Any]:
    stored = {key: value for key, value in response.items() if key != "sandbox_otps"}
    stored["data"] = {key: value for key, value in response["data"].items() if key != "otps"}
    return stored


def _create_session(*, account, recipients, channels, config, metadata, add_contact, sandbox, now) -> SendOutcome:
    expires_at = now + timedelta(minutes=config["expiry_minutes"])
    session = OTPSession.objects.create(
        account=account,
        verification_strategy=config["verification_strategy"],
        required_channels=config.get("required_channels") or [],
        otp_length=config["otp_length"],
        expiry_minutes=config["expiry_minutes"],
        max_attempts=config["max_attempts"],
        metadata=metadata,
        sandbox=sandbox,
        add_contact=add_contact,
        created_at=now,
        last_sent_at=now,
        expires_at=expires_at,
    )
    rows = [
        ChannelVerification(
            session=session,
            channel=channel,
            recipient=recipients[channel],
            delivery_status=DeliveryStatus.SANDBOX if sandbox else DeliveryStatus.QUEUED,
        )
        for channel in channels
    ]
    codes = _sandbox_codes(session=session, rows=rows) if sandbox else {}
    rows = ChannelVerification.objects.bulk_create(rows)
    if not sandbox:
        _charge(account=account, session=session, rows=rows)
        _enqueue_delivery(rows, expires_in=(expires_at - now).total_seconds())
    session._prefetched_objects_cache = {"channel_rows": rows}
    token = token_issue(
        secret=settings.OTP_TOKEN_SECRET,
        session_id=str(session.id),
        account_id=str(account.id),
        now=now,
        ttl_seconds=otp_setting("TOKEN_TTL_SECONDS"),
    )
    return SendOutcome(session=session, rows=rows, token=token, sandbox_codes=codes)


def _charge(*, account: Account, session: OTPSession, rows: list[ChannelVerification]) -> None:
    """Charge every delivered channel in the caller's transaction; 402 rolls the whole send back."""
    from wallet.services import wallet_charge

    wallet_charge(
        account=account,
        session=session,
        channels=[row.channel for row in rows],
        generations={row.channel: row.generation for row in rows},
        actor="api",
    )
    # After the charge, whose UPDATE holds the wallet row: parallel sends see each other's charges.
    spend_cap_check(account=account)


# --- verify -------------------------------------------------------------------------------------


def _session_for_token(*, account: Account, token: str, lock: bool) -> OTPSession:
    try:
        claims = token_decode(secret=settings.OTP_TOKEN_SECRET, token=token)
    except TokenError as exc:
        raise InvalidToken() from exc
    if claims.account_id != str(account.id):
        raise SessionNotFound()
    queryset = OTPSession.objects.filter(account=account)
    if lock:
        queryset = queryset.select_for_update()
    try:
        return queryset.get(pk=claims.session_id)
    except OTPSession.DoesNotExist as exc:
        raise SessionNotFound() from exc


@dataclass
class VerifyOutcome:
    session: OTPSession
    rows: list[ChannelVerification]
    results: dict[str, dict[str, Any]]
    all_right: bool
    any_right: bool


def _strategy_met(session: OTPSession, verified: set[str], channels: list[str]) -> bool:
    if session.verification_strategy == Strategy.ANY:
        return bool(verified)
    required = session.required_channels if session.verification_strategy == Strategy.SPECIFIC else channels
    return set(required) <= verified


def _refuse_if_closed(session: OTPSession, now) -> Exception | None:
    if session.status == SessionStatus.CANCELLED:
        return SessionCancelled()
    if session.status == SessionStatus.VERIFIED:
        return AlreadyVerified()
    if session.status == SessionStatus.LOCKED:
        return MaxAttemptsExceeded(details={"attempts_remaining": 0})
    if session.status == SessionStatus.EXPIRED or now >= session.expires_at:
        return OtpExpired(details={"expires_at": iso(session.expires_at)})
    return None


def session_verify(*, account: Account, token: str, codes: dict[str, str]) -> VerifyOutcome:
    """Check the submitted codes under a row lock, so attempts are counted exactly once each."""
    with transaction.atomic():
        outcome, error = _verify_locked(account=account, token=token, codes=codes)
    # Raised after commit: the failed attempt and a status change must persist.
    if error is not None:
        raise error
    return outcome


def _verify_locked(*, account, token, codes):
    session = _session_for_token(account=account, token=token, lock=True)
    # Read the clock once the lock is held: a request that waited for it must not judge expiry
    # (or, in resend, the cooldown) by the time it arrived.
    now = timezone.now()
    refusal = _refuse_if_closed(session, now)
    if refusal is not None:
        if isinstance(refusal, OtpExpired) and session.status != SessionStatus.EXPIRED:
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
    budget = session.max_attempts - session.failed_attempts
    results: dict[str, dict[str, Any]] = {}
    newly_verified: list[ChannelVerification] = []
    wrong = 0
    for channel, code in codes.items():
        row = by_channel[channel]
        if row.verified_at is not None:
            results[channel] = {"success": True, "message": "Channel already verified"}
            continue
        if wrong >= budget:
            # No attempts left for this request: the code is not even checked.
            results[channel] = {"success": False, "message": "Not checked: no attempts remaining"}
            continue
        right = len(code) == session.otp_length and check_code(
            pepper=settings.OTP_PEPPER,
            session_id=str(session.id),
            channel=channel,
            code=code,
            code_hash=row.code_hash,
        )
        if right:
            row.verified_at = now
            newly_verified.append(row)
            results[channel] = {"success": True, "message": "OTP verified"}
        else:
            wrong += 1
            results[channel] = {"success": False, "message": "Invalid OTP"}
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
    # Sandbox codes are handed to the caller, so a sandbox "verification" proves nothing.
    if session.status == SessionStatus.VERIFIED and session.add_contact and not session.sandbox:
        from contacts.services import contact_record_verified

        contact_record_verified(account=account, rows=[row for row in rows if row.verified_at])
    session._prefetched_objects_cache = {"channel_rows": rows}
    successes = [result["success"] for result in results.values()]
    outcome = VerifyOutcome(
        session=session, rows=rows, results=results, all_right=all(successes), any_right=any(successes)
    )
    if not outcome.any_right:
        remaining = session.max_attempts - session.failed_attempts
        return outcome, InvalidOtp(
            f"Invalid OTP: {remaining} attempt{'s' if remaining != 1 else ''} remaining",
            details={"attempts_remaining": remaining, "verification_results": results},
        )
    return outcome, None


# --- resend and cancel --------------------------------------------------------------------------


@dataclass
class ResendOutcome:
    session: OTPSession
    rows: list[ChannelVerification]
    sandbox_codes: dict[str, str]


def session_resend(*, account: Account, token: str, channels: list[str] | None) -> ResendOutcome:
    """New codes for unverified channels: same session and token, fresh expiry and attempts."""
    with transaction.atomic():
        session = _session_for_token(account=account, token=token, lock=True)
        now = timezone.now()  # after the lock, as in verify
        if session.status == SessionStatus.VERIFIED:
            raise AlreadyVerified()
        if session.status == SessionStatus.CANCELLED:
            raise SessionCancelled()
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
        codes = _sandbox_codes(session=session, rows=targets) if session.sandbox else {}
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
            _charge(account=account, session=session, rows=targets)
            _enqueue_delivery(targets, expires_in=session.expiry_minutes * 60)
    session._prefetched_objects_cache = {"channel_rows": rows}
    return ResendOutcome(session=session, rows=targets, sandbox_codes=codes)


def _refund_unsent(targets: list[ChannelVerification], *, now) -> None:
    """Refund the current code of every target that never went out, before a resend replaces it.

    QUEUED and unclaimed, or claimed longer ago than OTP DELIVERY_LEASE_SECONDS (its worker died,
    the same rule as the task's claim and housekeeping): nothing was sent, and once the generation
    moves on no task will send it. Under a fresh claim a worker may be talking to the provider now,
    so it is not refunded here: if that task finds its generation gone before sending, it refunds
    it itself (otp.tasks.deliver_code); if it sent, the charge stands.
    """
    from .tasks import channel_superseded

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


def session_cancel(*, account: Account, session_id: str) -> OTPSession:
    with transaction.atomic():
        try:
            session = OTPSession.objects.select_for_update().get(account=account, pk=session_id)
        except (OTPSession.DoesNotExist, ValueError, DjangoValidationError) as exc:
            raise SessionNotFound() from exc
        if session.status == SessionStatus.CANCELLED:
            raise SessionCancelled()
        if session.status == SessionStatus.VERIFIED:
            raise AlreadyVerified()
        if session.status == SessionStatus.EXPIRED or timezone.now() >= session.expires_at:
            raise OtpExpired("OTP expired: the session can no longer be cancelled")
        session.status = SessionStatus.CANCELLED
        session.save(update_fields=["status"])
    return session
