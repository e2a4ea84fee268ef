"""Checks the OTP services and views call: endpoint, IP and recipient limits, destinations.

The daily spend cap is a wallet rule (wallet.caps); the policy here only says what the cap is.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accounts.models import Account
from otpservice.recipients import canonical_recipient

from ..channels import PHONE_CHANNELS
from ..fraud.decisions import decision_record
from ..fraud.lists import blocklist_check
from ..fraud.rules import Mode, Rule, phone_country
from ..fraud.screen import fraud_send_screen
from ..fraud.subjects import recipient_subject
from .addresses import end_user_ip, ip_bucket
from .destinations import HIGH_RISK_REASON, destination_refusal
from .limiter import Usage, limit_hit, rate_limited
from .policy import ENDPOINTS, Limits, limits_for


def account_endpoint_hit(*, account: Account, endpoint: str) -> tuple[Usage | None, str]:
    """Count one request of `account` on `endpoint` (send, verify, resend): (usage, rate)."""
    if endpoint not in ENDPOINTS:
        raise ValueError(f"No account limit for endpoint {endpoint!r}")
    rate = limits_for(account).rates[endpoint]
    return limit_hit(group=f"otp.account.{endpoint}", value=str(account.pk), rate=rate), rate


def destinations_check(*, account: Account, recipients: Mapping[str, str]) -> None:
    """Refuse (400) a phone recipient the account may not send to, and (403) a blocked one; sandbox
    too, so it behaves like live."""
    blocklist_check(account=account, recipients=recipients)
    limits = limits_for(account)
    for channel, number in recipients.items():
        if channel not in PHONE_CHANNELS:
            continue
        refusal = destination_refusal(
            channel=channel,
            number=number,
            destinations=limits.destinations[channel],
            number_types=limits.number_types,
            high_risk=limits.high_risk,
            high_risk_allowed=limits.high_risk_allowed,
        )
        if refusal is not None and refusal.details.get("reason") == HIGH_RISK_REASON:
            decision_record(
                account=account, rule=Rule.HIGH_RISK_DESTINATION, mode=Mode.BLOCK, channel=channel,
                country=phone_country(number), recipient_hash=recipient_subject(channel=channel, recipient=number),
            )
        if refusal is not None:
            raise refusal


def _recipients_hit(*, account: Account, limits: Limits, recipients: Mapping[str, str]) -> None:
    rate = limits.rates["recipient"]
    for channel, recipient in recipients.items():
        # Scoped to the account: one tenant cannot use up another tenant's budget for a number.
        # Keyed by the canonical recipient: changing the case or, at Gmail, adding dots or a +tag
        # reaches the same inbox and must not get a fresh budget.
        identity = canonical_recipient(channel=channel, recipient=recipient)
        usage = limit_hit(group=f"otp.recipient.{channel}", value=f"{account.pk}:{identity}", rate=rate)
        if usage is not None and usage.exceeded:
            raise rate_limited(limit="recipient", scope=f"recipients.{channel}", rate=rate, usage=usage)


def send_limits_hit(
    *,
    account: Account,
    recipients: Mapping[str, str],
    metadata: Mapping[str, Any] | None,
    client_address: str | None,
    sandbox: bool,
) -> None:
    """Count a send against the end-user IP limit and each recipient's limit; 429 over either.

    Sandbox sends deliver nothing and skip both. `recipients` maps each channel of the send to
    its normalized recipient. `client_address` is None for callers without an HTTP client; the
    IP limit then applies only to metadata.ip_address.
    """
    if sandbox:
        return
    limits = limits_for(account)
    found = end_user_ip(metadata=metadata, client=client_address)
    if found is not None:
        ip, source = found
        rate = limits.rates["ip"]
        usage = limit_hit(group="otp.ip", value=f"{account.pk}:{ip_bucket(ip)}", rate=rate)
        if usage is not None and usage.exceeded:
            raise rate_limited(limit="ip", scope=source, rate=rate, usage=usage)
    _recipients_hit(account=account, limits=limits, recipients=recipients)


def send_fraud_screen(
    *, account: Account, recipients: Mapping[str, str], metadata: Mapping[str, Any] | None,
    client_address: str | None, sandbox: bool,
) -> None:
    """The fraud guard of a live send (otp.fraud.screen), first in its transaction; sandbox skips it."""
    if sandbox:
        return
    found = end_user_ip(metadata=metadata, client=client_address)
    ip = found[0] if found is not None else None
    fraud_send_screen(account=account, recipients=recipients, ip=ip, ip_bucket=ip_bucket(ip) if ip else None)


def resend_guard(*, account: Account, sandbox: bool, recipients: Mapping[str, str]) -> None:
    """Before a resend of `recipients` (channel -> recipient): the rules still hold, and a real
    resend sends real messages, so it counts against the recipient limits and the fraud guard
    like a send (not against the IP's: the session was rationed when it was sent)."""
    destinations_check(account=account, recipients=recipients)
    if not sandbox:
        fraud_send_screen(account=account, recipients=recipients, ip=None, ip_bucket=None)
        _recipients_hit(account=account, limits=limits_for(account), recipients=recipients)

