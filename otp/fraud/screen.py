"""The fraud guard of a live send or resend, inside its transaction, before anything is charged.

Rules in order: the recipient locked by failed verifications (429 recipient_locked), sends per
recipient (429 fraud_blocked), one IP over many phone countries, the conversion-aware country
budget. Each acts by the account's mode: block refuses and records, record records only, off
skips. Test recipients are never delivered, so only the lock applies to them; allow-listed
recipients skip the adaptive rules (otp.fraud.rules.ADAPTIVE), never the caps. A send costs a
fixed handful of queries, whatever its number of channels: one lock statement, one read of every
counter, one insert of the new hits, and one query each for the IP's and the countries' counters.
"""
from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

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
from .windows import hit_counts, hits_add, subjects_lock, window_frees_at

FAILED, SENDS, IP_COUNTRIES = Rule.RECIPIENT_FAILED_VERIFICATIONS, Rule.RECIPIENT_SENDS, Rule.IP_COUNTRIES


def _ip_or_none(ip: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(ip)) if ip else None
    except ValueError:
        return None


@dataclass
class _Send:
    account: Account
    policy: FraudPolicy
    now: object
    ip: str | None
    recipients: Mapping[str, str]
    subjects: dict[str, str]
    counts: dict

    def count(self, rule: str, subject: str) -> int:
        return sum(n for (r, s, _d), n in self.counts.items() if r == rule and s == subject)

    def record(self, rule: str, channel: str, detail: str, country: str = "") -> None:
        if not country and channel in PHONE_CHANNELS:
            country = phone_country(self.recipients[channel])
        decision_record(
            account=self.account, rule=rule, mode=self.policy.mode(rule), channel=channel, country=country,
            recipient_hash=self.subjects[channel], ip=self.ip, detail=detail,
        )


def fraud_send_screen(
    *, account: Account, recipients: Mapping[str, str], ip: str | None, ip_bucket: str | None
) -> None:
    """Screen a live send (`ip`: the end user's address and its limit bucket) or resend (no ip)."""
    policy = fraud_policy_for(account)
    tests = test_recipients_for(account=account, recipients=recipients)
    allowed = {ch for ch, v in lists_verdicts(account=account, recipients=recipients).items() if v.kind == Kind.ALLOW}
    subjects = {channel: recipient_subject(channel=channel, recipient=r) for channel, r in recipients.items()}
    delivered = [channel for channel in recipients if channel not in tests]
    countries = {ch: phone_country(recipients[ch]) for ch in delivered if ch in PHONE_CHANNELS}
    adaptive = {ch: country for ch, country in countries.items() if ch not in allowed}
    ip_key = ip_subject(ip_bucket) if ip_bucket and adaptive and policy.on(IP_COUNTRIES) else None
    keys = [(SENDS, subjects[ch]) for ch in delivered] + [(IP_COUNTRIES, ip_key)] * bool(ip_key)
    keys += [(Rule.COUNTRY_BUDGET, country) for country in countries.values()]
    now = timezone.now()
    subjects_lock(account=account, keys=keys)
    wanted = [(FAILED, s) for s in subjects.values()] * policy.on(FAILED)
    wanted += [(SENDS, subjects[ch]) for ch in delivered] * policy.on(SENDS) + [(IP_COUNTRIES, ip_key)] * bool(ip_key)
    send = _Send(account=account, policy=policy, now=now, ip=_ip_or_none(ip), recipients=recipients,
                 subjects=subjects, counts=hit_counts(account=account, wanted=wanted, now=now))
    if policy.on(FAILED):
        _locked_recipients(send)
    if policy.on(SENDS):
        _recipient_sends(send, delivered)
    if ip_key:
        _ip_countries(send, ip_key, adaptive)
    if policy.on(Rule.COUNTRY_BUDGET):
        channel_of = {country: ch for ch, country in adaptive.items()}
        refusal = country_budget_check(
            account=account, wanted=Counter(adaptive.values()), now=now, mode=policy.mode(Rule.COUNTRY_BUDGET),
            record=lambda country, detail: send.record(Rule.COUNTRY_BUDGET, channel_of[country], detail, country),
        )
        if refusal is not None:
            raise refusal
    country_sent_count(account=account, counts=Counter(countries.values()), now=now)


def _locked_recipients(send: _Send) -> None:
    cap = send.policy.thresholds[FAILED]
    for channel, subject in send.subjects.items():
        count = send.count(FAILED, subject)
        if count < cap:
            continue
        send.record(FAILED, channel, f"{count} failed verifications >= {cap} in 24 h")
        if send.policy.mode(FAILED) == Mode.BLOCK:
            frees = window_frees_at(account=send.account, rule=FAILED, subject=subject, now=send.now, cap=cap)
            wait = seconds_until(frees, send.now)
            raise RecipientLocked(
                f"Recipient locked: recipients.{channel} had {cap} failed verifications in 24 h; retry in {wait} s",
                details={"reason": FAILED, "field": f"recipients.{channel}", "retry_after_seconds": wait},
                retry_after=wait,
            )


def _recipient_sends(send: _Send, delivered: list[str]) -> None:
    cap = send.policy.thresholds[SENDS]
    needed = Counter(send.subjects[ch] for ch in delivered)
    for channel in delivered:
        subject = send.subjects[channel]
        count = send.count(SENDS, subject)
        if count + needed[subject] <= cap:
            continue
        send.record(SENDS, channel, f"{count + needed[subject]} sends > {cap} in 24 h")
        if send.policy.mode(SENDS) == Mode.BLOCK:
            frees = window_frees_at(
                account=send.account, rule=SENDS, subject=subject, now=send.now, cap=cap - needed[subject] + 1
            )
            wait = seconds_until(frees, send.now)
            raise FraudBlocked(
                f"Fraud guard: recipients.{channel} reached {cap} sends in 24 h; retry in {wait} s",
                details={"reason": SENDS, "field": f"recipients.{channel}", "limit": cap, "retry_after_seconds": wait},
                retry_after=wait,
            )
    # In record mode the count stops at the cap: enough to know "over", and bounded.
    adds = {subject: min(n, cap - send.count(SENDS, subject)) for subject, n in needed.items()}
    hits_add(account=send.account, rule=SENDS, counts={s: n for s, n in adds.items() if n > 0}, now=send.now)


def _ip_countries(send: _Send, subject: str, countries: dict[str, str]) -> None:
    cap = send.policy.thresholds[IP_COUNTRIES]
    seen = {detail for (rule, s, detail) in send.counts if rule == IP_COUNTRIES and s == subject}
    reached = seen | set(countries.values())
    if len(reached) > cap:
        channel, country = next((ch, c) for ch, c in countries.items() if c not in seen)
        send.record(IP_COUNTRIES, channel, f"{len(reached)} phone countries > {cap} in 24 h", country)
        if send.policy.mode(IP_COUNTRIES) == Mode.BLOCK:
            first = (
                FraudHit.objects.filter(account=send.account, rule=IP_COUNTRIES, subject=subject,
                                        created_at__gt=send.now - WINDOW)
                .order_by("created_at").values_list("created_at", flat=True).first()
            )
            wait = seconds_until((first or send.now) + WINDOW, send.now)
            raise FraudBlocked(
                f"Fraud guard: this end-user IP reached more than {cap} phone countries in 24 h",
                details={"reason": IP_COUNTRIES, "field": f"recipients.{channel}", "country": country, "limit": cap,
                         "retry_after_seconds": wait},
                retry_after=wait,
            )
    # One row per (IP, country), touched at each send: "seen in the last 24 h" is its time.
    rows = FraudHit.objects.filter(account=send.account, rule=IP_COUNTRIES, subject=subject)
    rows.filter(detail__in=seen & set(countries.values())).update(created_at=send.now)
    new = set(countries.values()) - seen
    if new:
        rows.filter(detail__in=new).delete()  # an old visit, out of the window
        FraudHit.objects.bulk_create(
            [FraudHit(account=send.account, rule=IP_COUNTRIES, subject=subject, detail=c, created_at=send.now)
             for c in sorted(new)]
        )
