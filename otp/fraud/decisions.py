"""Decision rows: every decision that blocks, or in record mode would have blocked, is kept.

A refused send or resend rolls its transaction back, and a decision written inside it would go
with it. So the API keeps decisions in a per-request collector (`decisions_kept`, entered by the
OTP viewsets around each request) and writes them once the service has returned or raised, outside
its transaction. Without a collector (services called directly) a decision is written at once.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from django.utils import timezone

from accounts.models import Account
from otpservice.errors import DATABASE_UNAVAILABLE

from .. import metrics
from .models import FraudDecision

logger = logging.getLogger("otp.fraud")
T = TypeVar("T")

_pending: ContextVar[list[FraudDecision] | None] = ContextVar("otp_fraud_decisions", default=None)
# Reads asked twice in one request (the lists, by the block list and by the screen; the test
# recipients, by the screen and by codes_issue) are answered once: a cache that lives as long as
# the request's collector, and does nothing without one.
_memo: ContextVar[dict | None] = ContextVar("otp_fraud_memo", default=None)


def memoized(key: tuple, compute: Callable[[], T]) -> T:
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def decision_record(
    *,
    account: Account,
    rule: str,
    mode: str,
    channel: str = "",
    country: str = "",
    recipient_hash: str = "",
    ip: str | None = None,
    detail: str = "",
) -> None:
    decision = FraudDecision(
        account=account, rule=rule, mode=mode, channel=channel, country=country,
        recipient_hash=recipient_hash, ip=ip or None, detail=detail[:200], created_at=timezone.now(),
    )
    logger.info("Fraud guard %s: %s (%s) %s %s", mode, rule, channel or "-", country or "-", detail)
    metrics.fraud_decision(mode=mode, rule=rule)
    pending = _pending.get()
    if pending is None:
        decision.save()
    else:
        pending.append(decision)


@contextmanager
def decisions_kept() -> Iterator[None]:
    """Collect the decisions made inside, and write them when the block ends, however it ends."""
    token, memo_token = _pending.set([]), _memo.set({})
    try:
        yield
    finally:
        pending = _pending.get() or []
        _pending.reset(token)
        _memo.reset(memo_token)
        if pending:
            try:
                FraudDecision.objects.bulk_create(pending)
            except DATABASE_UNAVAILABLE as exc:  # the answer stands; losing the log beats a 503 here
                logger.error("Could not write %d fraud decisions: %s", len(pending), exc)
