"""Failed verifications per recipient across all its sessions (DESIGN §4, Fraud guard).

Verify opens a guard under the session's row lock: it takes the advisory locks of the session's
recipients, so every verify of one recipient, in any session and process, takes its turn. A code
is checked only while its recipient has failed guesses left in the last 24 h; each wrong one is a
hit in the same transaction as the session's failed attempt. Once a recipient has used them all,
its sessions lock: this one at once, the others of the same spelling right after commit, and any
other spelling at its next verify. New sends to it get 429 recipient_locked (otp.fraud.screen).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Account

from ..channels import PHONE_CHANNELS
from ..delivery.state import TEST_RECIPIENT_PROVIDER
from ..exceptions import MaxAttemptsExceeded
from ..models import OTPSession, SessionStatus
from .budget import country_verified_count
from .decisions import decision_record
from .policy import fraud_policy_for
from .rules import Mode, Rule, phone_country, seconds_until
from .subjects import recipient_subject
from .windows import hit_counts, hits_add, subjects_lock, window_frees_at

RULE = Rule.RECIPIENT_FAILED_VERIFICATIONS
NOT_CHECKED = {"success": False, "message": "Not checked: recipient locked after too many failed verifications"}


@dataclass
class GuessGuard:
    account: Account
    session: OTPSession
    now: datetime
    given: list[str]  # the channels of the submitted codes, in order
    checkable: dict[str, str]  # the codes that may be compared
    mode: str = Mode.OFF
    cap: int = 0
    recipients: dict[str, str] = field(default_factory=dict)  # channel -> recipient
    subjects: dict[str, str] = field(default_factory=dict)  # channel -> recipient subject
    counts: dict[str, int] = field(default_factory=dict)  # subject -> failed guesses in the window
    refusal: MaxAttemptsExceeded | None = None

    def settle(self, *, session: OTPSession, results: dict[str, dict[str, Any]], wrong: int, verified: list) -> dict:
        """After the codes were compared: count each wrong guess against its recipient, lock the
        session when a recipient has none left, count verified codes per country; answer the
        results with the codes that were not compared, in the order they were given."""
        if session.sandbox:
            return results
        for row in verified:
            if row.channel in PHONE_CHANNELS and row.provider != TEST_RECIPIENT_PROVIDER:
                country_verified_count(
                    account=self.account, country=phone_country(row.recipient), sent_at=session.last_sent_at
                )
        if self.mode != Mode.OFF:
            self._count_wrong(session=session, results=results, wrong=wrong)
        return {channel: results.get(channel, NOT_CHECKED) for channel in dict.fromkeys([*self.given, *results])}

    def _count_wrong(self, *, session: OTPSession, results: dict, wrong: int) -> None:
        # The codes are compared in order until the session's attempts run out: the wrong ones are
        # the first `wrong` failures among those compared (the rest were not compared at all).
        failed = [channel for channel in self.checkable if channel in results and not results[channel]["success"]]
        exhausted, added = set(), {}
        for channel in failed[:wrong]:
            subject = self.subjects[channel]
            if self.counts.get(subject, 0) >= self.cap:  # record mode, already over: keep the count bounded
                decision_record(
                    account=self.account, rule=RULE, mode=self.mode, channel=channel, recipient_hash=subject,
                    detail=f"failed verification beyond {self.cap} in 24 h",
                )
                continue
            added[subject] = added.get(subject, 0) + 1
            self.counts[subject] = self.counts.get(subject, 0) + 1
            if self.counts[subject] >= self.cap and self.mode == Mode.BLOCK:
                exhausted.add(channel)
        if added:
            hits_add(account=self.account, rule=RULE, counts=added, now=self.now)
        if exhausted and session.status != SessionStatus.VERIFIED:
            _session_lock(session)
            _others_lock_on_commit(session=session, recipients={self.recipients[ch] for ch in exhausted})


def guesses_open(*, account: Account, session: OTPSession, rows: list, codes: dict[str, str], now: datetime) -> GuessGuard:
    """The guard of one verify, under the session's row lock (see the module docstring)."""
    guard = GuessGuard(account=account, session=session, now=now, given=list(codes), checkable=dict(codes))
    if session.sandbox:
        return guard
    policy = fraud_policy_for(account)
    if not policy.on(RULE):
        return guard
    guard.mode, guard.cap = policy.mode(RULE), policy.thresholds[RULE]
    guard.recipients = {row.channel: row.recipient for row in rows}
    guard.subjects = {row.channel: recipient_subject(channel=row.channel, recipient=row.recipient) for row in rows}
    subjects_lock(account=account, keys=[(RULE, subject) for subject in guard.subjects.values()])
    counts = hit_counts(account=account, wanted=[(RULE, subject) for subject in guard.subjects.values()], now=now)
    guard.counts = {subject: count for (_rule, subject, _detail), count in counts.items()}
    over = [ch for ch, subject in guard.subjects.items() if guard.counts.get(subject, 0) >= guard.cap]
    if over:
        channel = over[0]
        decision_record(
            account=account, rule=RULE, mode=guard.mode, channel=channel, recipient_hash=guard.subjects[channel],
            country=phone_country(guard.recipients[channel]) if channel in PHONE_CHANNELS else "",
            detail=f"verify of a recipient with {guard.counts[guard.subjects[channel]]} failed verifications in 24 h",
        )
    if guard.mode != Mode.BLOCK:
        return guard
    if over:
        subject = guard.subjects[over[0]]
        wait = seconds_until(window_frees_at(account=account, rule=RULE, subject=subject, now=now, cap=guard.cap), now)
        if session.status != SessionStatus.VERIFIED:
            _session_lock(session)
        guard.refusal = MaxAttemptsExceeded(
            "Max attempts exceeded: this recipient had too many failed verifications in 24 h",
            details={"attempts_remaining": 0, "reason": RULE, "retry_after_seconds": wait},
            retry_after=wait,
        )
        return guard
    # Each recipient's codes are compared only while it has failed guesses left to spend.
    left = {subject: guard.cap - guard.counts.get(subject, 0) for subject in guard.subjects.values()}
    guard.checkable = {}
    for channel, code in codes.items():
        subject = guard.subjects.get(channel)
        if subject is None or left[subject] > 0:
            guard.checkable[channel] = code
            if subject is not None:
                left[subject] -= 1
    return guard


def _session_lock(session: OTPSession) -> None:
    session.failed_attempts, session.status = session.max_attempts, SessionStatus.LOCKED
    OTPSession.objects.filter(pk=session.pk).update(failed_attempts=F("max_attempts"), status=SessionStatus.LOCKED)


def _others_lock_on_commit(*, session: OTPSession, recipients: set[str]) -> None:
    def lock() -> None:
        OTPSession.objects.live(timezone.now()).filter(
            account_id=session.account_id, sandbox=False, channel_rows__recipient__in=recipients
        ).exclude(pk=session.pk).update(failed_attempts=F("max_attempts"), status=SessionStatus.LOCKED)

    transaction.on_commit(lock, robust=True)
