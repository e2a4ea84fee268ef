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
from django.db.models import Count, Q

from accounts.models import Account

from .models import FraudHit
from .rules import WINDOW


def _lock_id(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


def subjects_lock(*, account: Account, keys: Iterable[tuple[str, str]]) -> None:
    """Take the advisory locks of (rule, subject) pairs until the transaction ends, in one statement
    and in one order (sorted), so two requests needing the same locks never wait in a cycle."""
    if not connection.in_atomic_block:
        raise RuntimeError("fraud counters must run inside the caller's transaction")
    ids = sorted({_lock_id(f"{account.pk}|{rule}|{subject}") for rule, subject in keys})
    if connection.vendor != "postgresql" or not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(id)) FROM (SELECT unnest(%s::bigint[]) AS id ORDER BY id) AS ids", [ids]
        )


def hits(*, account: Account, rule: str, subject: str, now: datetime):
    return FraudHit.objects.filter(account=account, rule=rule, subject=subject, created_at__gt=now - WINDOW)


def hit_counts(*, account: Account, wanted: Iterable[tuple[str, str]], now: datetime) -> dict[tuple[str, str, str], int]:
    """(rule, subject, detail) -> hits in the window, for every (rule, subject) wanted, in one query."""
    query = Q()
    for rule, subject in set(wanted):
        query |= Q(rule=rule, subject=subject)
    if not query:
        return {}
    rows = (
        FraudHit.objects.filter(query, account=account, created_at__gt=now - WINDOW)
        .values("rule", "subject", "detail")
        .annotate(count=Count("id"))
    )
    return {(row["rule"], row["subject"], row["detail"]): row["count"] for row in rows}


def hits_add(*, account: Account, rule: str, counts: dict[str, int], now: datetime) -> None:
    """Count events: `counts` maps each subject to how many (one insert for all)."""
    FraudHit.objects.bulk_create(
        [FraudHit(account=account, rule=rule, subject=subject, created_at=now)
         for subject, count in counts.items() for _ in range(count)]
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
    """Delete every hit older than the window: housekeeping runs it (otp.housekeeping)."""
    return FraudHit.objects.filter(created_at__lte=now - WINDOW).delete()[0]
