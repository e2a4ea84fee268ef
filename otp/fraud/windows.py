"""Sliding 24-hour windows in the database, exact under parallel requests and across processes.

Each counted event is a FraudHit row; a rule counts the rows of its subject (an HMAC of a
recipient or an IP) younger than the window. Count-then-insert runs under a transaction-level
advisory lock per subject on PostgreSQL, so parallel requests in any number of processes take
turns; SQLite runs write transactions IMMEDIATE, which serializes them already. The hits are part
of the caller's transaction: a send refused later rolls its hits back with it.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from django.db import connection
from django.db.models import Count

from accounts.models import Account

from .models import FraudHit
from .rules import WINDOW


def _lock_id(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


def subjects_lock(*, account: Account, keys: Iterable[tuple[str, str]]) -> None:
    """Take the advisory locks of (rule, subject) pairs until the transaction ends, in one order
    (sorted) so two requests needing the same locks never wait for each other in a cycle."""
    if not connection.in_atomic_block:
        raise RuntimeError("fraud counters must run inside the caller's transaction")
    if connection.vendor != "postgresql":
        return
    ids = sorted({_lock_id(f"{account.pk}|{rule}|{subject}") for rule, subject in keys})
    with connection.cursor() as cursor:
        for lock_id in ids:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])


def hits(*, account: Account, rule: str, subject: str, now: datetime):
    return FraudHit.objects.filter(account=account, rule=rule, subject=subject, created_at__gt=now - WINDOW)


def hit_counts(*, account: Account, rule: str, subjects: Iterable[str], now: datetime) -> dict[str, int]:
    """Hits per subject in the window (subjects with none are absent)."""
    rows = (
        FraudHit.objects.filter(account=account, rule=rule, subject__in=set(subjects), created_at__gt=now - WINDOW)
        .values("subject")
        .annotate(count=Count("id"))
    )
    return {row["subject"]: row["count"] for row in rows}


def hit_add(*, account: Account, rule: str, subject: str, now: datetime, count: int = 1) -> None:
    """Count `count` events; the subject's rows older than the window go at the same time."""
    FraudHit.objects.filter(account=account, rule=rule, subject=subject, created_at__lte=now - WINDOW).delete()
    FraudHit.objects.bulk_create(
        [FraudHit(account=account, rule=rule, subject=subject, created_at=now) for _ in range(count)]
    )


def window_frees_at(*, account: Account, rule: str, subject: str, now: datetime, cap: int) -> datetime:
    """When the subject's count falls below `cap` again: the hit that has to leave the window does."""
    times = list(hits(account=account, rule=rule, subject=subject, now=now).order_by("created_at").values_list(
        "created_at", flat=True
    ))
    if len(times) < cap:
        return now
    return times[len(times) - cap] + WINDOW


def hits_purge(*, now: datetime) -> int:
    """Delete every hit older than the window (subjects never seen again keep theirs otherwise)."""
    return FraudHit.objects.filter(created_at__lte=now - WINDOW).delete()[0]
