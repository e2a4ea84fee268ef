"""The service's Prometheus metrics and the one-line hooks that services and delivery call.

prometheus_client runs in multiprocess mode wherever PROMETHEUS_MULTIPROC_DIR is set (gunicorn
workers and Celery workers each write their own files there; /metrics adds them up at scrape
time, otp.metrics.views): counters live in the processes that count, not in the database, so a
scrape costs no query and purging old sessions never makes a counter go down. Without it (make
run, tests) they live in this process. Counts made inside a transaction are added on commit, so a
rolled-back send or refund is never counted.
"""
from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from prometheus_client import Counter, Histogram

from ..channels import CHANNEL_NAMES

SENDS = Counter(
    "otp_sends", "Codes issued by send and resend, per channel: queued for delivery or sandbox.", ["channel", "outcome"]
)
DELIVERY_ATTEMPTS = Counter(
    "otp_delivery_attempts",
    "Provider calls and their outcome (sent, retry, failed), and codes that never went out (undelivered).",
    ["channel", "outcome"],
)
DELIVERY_REPORTS = Counter(
    "otp_delivery_reports", "Provider status reports that moved a channel (delivered, failed).", ["channel", "status"]
)
DELIVERY_LATENCY = Histogram(
    "otp_delivery_latency_seconds",
    "From the send (or resend) the API accepted to the provider accepting the message, retries included.",
    ["channel"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800),
)
VERIFICATIONS = Counter(
    "otp_verifications",
    "Codes submitted to verify, per channel: correct, wrong, not_checked (no attempts left), or the "
    "error code that refused the whole request (otp_expired, max_attempts_exceeded, …).",
    ["channel", "outcome"],
)
REFUNDS = Counter("otp_refunds", "Charges refunded for a code that failed or never went out.", ["channel"])
FRAUD_DECISIONS = Counter(
    "otp_fraud_decisions",
    "Decisions of the fraud guard that blocked (mode block) or would have (mode record), per rule.",
    ["mode", "rule"],
)


def _channel(name: str) -> str:
    # Labels stay a small fixed set whatever a caller submits.
    return name if name in CHANNEL_NAMES else "other"


def _on_commit(count) -> None:
    """Now outside a transaction; after commit inside one (never, if it rolls back)."""
    transaction.on_commit(count)


def codes_issued(*, rows, sandbox: bool) -> None:
    """Called once the codes are saved and (live) charged: a send refused for its balance or its
    spend cap never gets here. Counted at once, adding no commit callback beside the deliveries'."""
    outcome = "sandbox" if sandbox else "queued"
    for row in rows:
        SENDS.labels(_channel(row.channel), outcome).inc()


def delivery_accepted(*, channel: str, sent_at: datetime | None) -> None:
    """The provider took the message: outside any transaction, so counted at once."""
    DELIVERY_ATTEMPTS.labels(_channel(channel), "sent").inc()
    if sent_at is not None:
        DELIVERY_LATENCY.labels(_channel(channel)).observe(max(0.0, (timezone.now() - sent_at).total_seconds()))


def delivery_attempted(*, channel: str, outcome: str) -> None:
    """retry, failed (for good) or undelivered."""
    _on_commit(lambda: DELIVERY_ATTEMPTS.labels(_channel(channel), outcome).inc())


def delivery_reported(*, channel: str, status: str) -> None:
    _on_commit(lambda: DELIVERY_REPORTS.labels(_channel(channel), str(status).lower()).inc())


def refund_posted(*, channel: str, entry) -> None:
    """`entry`: what the wallet posted, None when nothing was owed (refunded before, free, sandbox)."""
    if entry is not None:
        _on_commit(lambda: REFUNDS.labels(_channel(channel)).inc())


def verification_counted(*, codes: dict[str, str], outcome, error) -> None:
    """One count per submitted code: its result, or the refusal's error code for all of them."""
    if outcome is None:
        labels = [(channel, getattr(error, "code", "error")) for channel in codes]
    else:
        labels = [(channel, _result(outcome.results.get(channel, {}))) for channel in codes]
    for channel, result in labels:
        VERIFICATIONS.labels(_channel(channel), result).inc()


def _result(result: dict) -> str:
    if result.get("success"):
        return "correct"
    return "not_checked" if result.get("message", "").startswith("Not checked") else "wrong"


def fraud_decision(*, mode: str, rule: str) -> None:
    """Counted at once: a decision is kept even when the request it refused rolls back."""
    FRAUD_DECISIONS.labels(mode, rule).inc()
