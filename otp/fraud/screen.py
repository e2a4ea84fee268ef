"""The fraud guard of a live send or resend, inside its transaction, before anything is charged.

Rules in order: the recipient locked by failed verifications (429 recipient_locked), sends per
recipient (429 fraud_blocked), one IP over many phone countries, the conversion-aware country
budget. Each acts by the account's mode: block refuses and records, record records only, off
skips. Test recipients are never delivered, so only the lock applies to them; allow-listed
recipients skip the adaptive rules (otp.fraud.rules.ADAPTIVE), never the caps.
"""
from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Mapping

from django.utils import timezone

from accounts.models import Account

from ..channels import PHONE_CHANNELS
from .budget import country_budget_check, country_sent_count
from .decisions import decision_record
from .exceptions import FraudBlocked, RecipientLocked
from .lists import Kind, lists_verdicts
from .models import FraudHit
from .policy import FraudPolicy, fraud_policy_for
from .rules import WINDOW, Mode, Rule, phone_country, seconds_until
from .subjects import ip_subject, recipient_subject
from .testrecipients import test_recipients_for
from .windows import hit_add, hit_counts, subjects_lock, window_frees_at


def _ip_or_none(ip: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(ip)) if ip else None
    except ValueError:
        return None


def fraud_send_screen(
    *, account: Account, recipients: Mapping[str, str], ip: str | None, ip_bucket: str | None
) -> None:
    """Screen a live send (`ip`: the end user's address and its limit bucket) or resend (no ip)."""
    now = timezone.now()
    policy = fraud_policy_for(account)
    tests = test_recipients_for(account=account, recipients=recipients)
    allowed = {ch for ch, verdict in lists_verdicts(account=account, recipients=recipients).items() if verdict.kind == Kind.ALLOW}
    subjects = {channel: recipient_subject(channel=channel, recipient=r) for channel, r in recipients.items()}
    delivered = [channel for channel in recipients if channel not in tests]
    countries = {ch: phone_country(recipients[ch]) for ch in delivered if ch in PHONE_CHANNELS}
    ip_key = ip_subject(ip_bucket) if ip_bucket and policy.on(Rule.IP_COUNTRIES) else None
    keys = [(Rule.RECIPIENT_SENDS, subjects[ch]) for ch in delivered]
    keys += [(Rule.IP_COUNTRIES, ip_key)] if ip_key else []
    keys += [(Rule.COUNTRY_BUDGET, country) for country in countries.values()]
    subjects_lock(account=account, keys=keys)
    context = {"account": account, "ip": _ip_or_none(ip), "now": now, "policy": policy}
    _locked_recipients(**context, subjects=subjects, recipients=recipients)
    _recipient_sends(**context, subjects={ch: subjects[ch] for ch in delivered})
    adaptive = {ch: country for ch, country in countries.items() if ch not in allowed}
    if ip_key and adaptive:
        _ip_countries(**context, subject=ip_key, countries=adaptive, subjects=subjects)
    for channel, country in sorted(countries.items(), key=lambda item: item[1]):
        if channel in adaptive and policy.on(Rule.COUNTRY_BUDGET):
            refusal = country_budget_check(
                account=account, country=country, now=now, extra=1,
                mode=policy.mode(Rule.COUNTRY_BUDGET),
                record=lambda detail, ch=channel, c=country: decision_record(
                    account=account, rule=Rule.COUNTRY_BUDGET, mode=policy.mode(Rule.COUNTRY_BUDGET), channel=ch,
                    country=c, recipient_hash=subjects[ch], ip=context["ip"], detail=detail,
                ),
            )
            if refusal is not None:
                raise refusal
        country_sent_count(account=account, country=country, now=now)


def _locked_recipients(*, account, ip, now, policy: FraudPolicy, subjects, recipients) -> None:
    rule = Rule.RECIPIENT_FAILED_VERIFICATIONS
    if not policy.on(rule):
        return
    cap = policy.thresholds[rule]
    counts = hit_counts(account=account, rule=rule, subjects=subjects.values(), now=now)
    for channel, subject in subjects.items():
        if counts.get(subject, 0) < cap:
            continue
        decision_record(
            account=account, rule=rule, mode=policy.mode(rule), channel=channel,
            country=phone_country(recipients[channel]) if channel in PHONE_CHANNELS else "",
            recipient_hash=subject, ip=ip, detail=f"{counts[subject]} failed verifications >= {cap} in 24 h",
        )
        if policy.mode(rule) == Mode.BLOCK:
            wait = seconds_until(window_frees_at(account=account, rule=rule, subject=subject, now=now, cap=cap), now)
            raise RecipientLocked(
                f"Recipient locked: recipients.{channel} had {cap} failed verifications in 24 h; retry in {wait} s",
                details={"reason": rule, "field": f"recipients.{channel}", "retry_after_seconds": wait},
                retry_after=wait,
            )


def _recipient_sends(*, account, ip, now, policy: FraudPolicy, subjects) -> None:
    rule = Rule.RECIPIENT_SENDS
    if not policy.on(rule) or not subjects:
        return
    cap = policy.thresholds[rule]
    needed = Counter(subjects.values())
    counts = hit_counts(account=account, rule=rule, subjects=needed, now=now)
    for channel, subject in subjects.items():
        count = counts.get(subject, 0)
        if count + needed[subject] <= cap:
            continue
        decision_record(
            account=account, rule=rule, mode=policy.mode(rule), channel=channel, recipient_hash=subject, ip=ip,
            detail=f"{count + needed[subject]} sends > {cap} in 24 h",
        )
        if policy.mode(rule) == Mode.BLOCK:
            frees = window_frees_at(account=account, rule=rule, subject=subject, now=now, cap=cap - needed[subject] + 1)
            wait = seconds_until(frees, now)
            raise FraudBlocked(
                f"Fraud guard: recipients.{channel} reached {cap} sends in 24 h; retry in {wait} s",
                details={"reason": rule, "field": f"recipients.{channel}", "limit": cap, "retry_after_seconds": wait},
                retry_after=wait,
            )
    for subject, count in needed.items():
        # In record mode the count stops at the cap: enough to know "over", and bounded.
        add = min(count, cap - counts.get(subject, 0))
        if add > 0:
            hit_add(account=account, rule=rule, subject=subject, now=now, count=add)


def _ip_countries(*, account, ip, now, policy: FraudPolicy, subject, countries, subjects) -> None:
    rule = Rule.IP_COUNTRIES
    cap = policy.thresholds[rule]
    window = FraudHit.objects.filter(account=account, rule=rule, subject=subject)
    seen = set(window.filter(created_at__gt=now - WINDOW).values_list("detail", flat=True))
    reached = seen | set(countries.values())
    if len(reached) > cap:
        channel, country = next((ch, c) for ch, c in countries.items() if c not in seen)
        decision_record(
            account=account, rule=rule, mode=policy.mode(rule), channel=channel, country=country,
            recipient_hash=subjects[channel], ip=ip, detail=f"{len(reached)} phone countries > {cap} in 24 h",
        )
        if policy.mode(rule) == Mode.BLOCK:
            first = window.filter(created_at__gt=now - WINDOW).order_by("created_at").values_list("created_at", flat=True).first()
            wait = seconds_until((first or now) + WINDOW, now)
            raise FraudBlocked(
                f"Fraud guard: this end-user IP reached more than {cap} phone countries in 24 h",
                details={"reason": rule, "field": f"recipients.{channel}", "country": country, "limit": cap,
                         "retry_after_seconds": wait},
                retry_after=wait,
            )
    window.filter(created_at__lte=now - WINDOW).delete()
    for country in set(countries.values()):
        if not window.filter(detail=country).update(created_at=now):
            FraudHit.objects.create(account=account, rule=rule, subject=subject, detail=country, created_at=now)
