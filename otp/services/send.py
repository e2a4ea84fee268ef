"""session_send: create a session, charge it and queue its delivery, once per idempotency key."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Account

from ..conf import otp_setting
from ..delivery.state import channels_new
from ..emission import EventType, session_events
from ..exceptions import IdempotencyKeyReused
from ..models import ChannelVerification, Delivery, IdempotencyRecord, OTPSession
from ..ratelimits.guards import destinations_check, send_fraud_screen, send_limits_hit
from ..tokens import token_issue
from .common import codes_issue


@dataclass
class SendOutcome:
    session: OTPSession | None
    rows: list[ChannelVerification]
    token: str
    sandbox_codes: dict[str, str] = field(default_factory=dict)
    # The first response, when this request repeated an Idempotency-Key.
    replay: dict[str, Any] | None = None


def request_fingerprint(*, body: dict[str, Any], sandbox: bool) -> str:
    canonical = json.dumps({"body": body, "sandbox": sandbox}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _idempotent_replay(*, account: Account, test_key: bool, key: str, fingerprint: str) -> dict[str, Any] | None:
    cutoff = timezone.now() - timedelta(seconds=otp_setting("IDEMPOTENCY_TTL_SECONDS"))
    record = IdempotencyRecord.objects.filter(account=account, test_mode=test_key, key=key).first()
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
    test_key: bool = False,
    idempotency_key: str = "",
    fingerprint: str = "",
    client_address: str | None = None,
    respond: Callable[[SendOutcome], dict[str, Any]] | None = None,
) -> SendOutcome:
    """Create a session with one row per channel, charge it, and queue delivery on commit.

    With an idempotency key, a repeat of the same request (same `fingerprint`) within the TTL
    returns the first response as `replay` and does nothing else. `client_address` is the HTTP
    client's IP, for the per-IP limit when metadata has no ip_address. `test_key`: the request
    was made with a test key, whose idempotency keys are its own. `respond` renders the response a
    repeat gets (the API layer's serializer, without codes); it is stored in the session's
    transaction, so a replay is never missing or different. It is required with a key.
    """
    if idempotency_key and respond is None:
        raise ValueError("session_send with an idempotency_key needs respond= to render the stored response")
    if idempotency_key:
        replay = _idempotent_replay(account=account, test_key=test_key, key=idempotency_key, fingerprint=fingerprint)
        if replay is not None:
            return SendOutcome(session=None, rows=[], token="", replay=replay)
    targets = {channel: recipients[channel] for channel in channels}
    destinations_check(account=account, recipients=targets)
    try:
        with transaction.atomic():
            # First, before the wallet is charged: the fraud guard's locks come before the wallet row's.
            send_fraud_screen(
                account=account, recipients=targets, metadata=metadata, client_address=client_address, sandbox=sandbox
            )
            outcome = _session_create(
                account=account,
                recipients=targets,
                config=config,
                metadata=metadata,
                add_contact=add_contact,
                sandbox=sandbox,
                now=timezone.now(),
            )
            if idempotency_key:
                IdempotencyRecord.objects.create(
                    account=account,
                    test_mode=test_key,
                    key=idempotency_key,
                    request_hash=fingerprint,
                    session=outcome.session,
                    response=respond(outcome),
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
        replay = _idempotent_replay(account=account, test_key=test_key, key=idempotency_key, fingerprint=fingerprint)
        if replay is None:
            raise
        return SendOutcome(session=None, rows=[], token="", replay=replay)
    return outcome


def _session_create(
    *,
    account: Account,
    recipients: dict[str, str],
    config: dict[str, Any],
    metadata: dict[str, Any],
    add_contact: bool,
    sandbox: bool,
    now: datetime,
) -> SendOutcome:
    expires_at = now + timedelta(minutes=config["expiry_minutes"])
    session = OTPSession.objects.create(
        account=account,
        verification_strategy=config["verification_strategy"],
        required_channels=config.get("required_channels") or [],
        otp_length=config["otp_length"],
        expiry_minutes=config["expiry_minutes"],
        max_attempts=config["max_attempts"],
        metadata=metadata,
        locale=config.get("locale", ""),
        android_app_hash=config.get("android_app_hash", ""),
        delivery=config.get("delivery", Delivery.ALL),
        fallback_after_seconds=config.get("fallback_after_seconds"),
        # The chain starts at the first channel listed (sandbox: every code at once, no chain).
        fallback_channel=next(iter(recipients)) if config.get("delivery") == Delivery.FALLBACK and not sandbox else "",
        sandbox=sandbox,
        add_contact=add_contact,
        created_at=now,
        last_sent_at=now,
        expires_at=expires_at,
    )
    # First: a test recipient's row is "sent" while its codes are issued (channel.sent follows).
    session_events(session=session, events=[(EventType.SESSION_CREATED, {})], now=now)
    rows = channels_new(session=session, recipients=recipients)
    rows, codes = codes_issue(account=account, session=session, rows=rows, save=ChannelVerification.objects.bulk_create)
    token = token_issue(
        secret=settings.OTP_TOKEN_SECRET,
        session_id=str(session.id),
        account_id=str(account.id),
        now=now,
        ttl_seconds=otp_setting("TOKEN_TTL_SECONDS"),
    )
    return SendOutcome(session=session, rows=rows, token=token, sandbox_codes=codes)
