"""The daily rollup: closed UTC days' aggregates written to DailyChannelStat and DailyFailureStat."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction

from .aggregates import span_aggregates
from .models import DailyChannelStat, DailyFailureStat, RollupDay

# The dashboard's window, and how far back the rollup looks: sessions older than the retention
# (OTP_RETENTION_DAYS, 30 by default) are purged, so older days cannot be recomputed.
WINDOW_DAYS = 30
# Closed days written again on every run: a verification, a provider's failure report or
# housekeeping's never-sent refund can land after midnight for a session of the day before.
REFRESH_DAYS = 2


@dataclass(frozen=True)
class RollupResult:
    first_day: date | None
    days: int
    rows: int


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def rollup_days_due(*, today: date) -> list[date]:
    """Closed days of the window with no rollup, and the last REFRESH_DAYS closed days."""
    window = [today - timedelta(days=n) for n in range(WINDOW_DAYS - 1, 0, -1)]
    done = set(RollupDay.objects.filter(day__gte=window[0]).values_list("day", flat=True))
    return [day for day in window if day not in done or day >= today - timedelta(days=REFRESH_DAYS)]


def dashboard_rollup(*, now: datetime) -> RollupResult:
    """Roll up every due day in one span: three aggregate queries, one replace of its rows.

    Idempotent: a run replaces the rows of its span, in one transaction.
    """
    today = now.astimezone(UTC).date()
    due = rollup_days_due(today=today)
    if not due:
        return RollupResult(first_day=None, days=0, rows=0)
    first = due[0]
    span = [first + timedelta(days=n) for n in range((today - first).days)]
    found = span_aggregates(start=day_start(first), end=day_start(today))
    stats = [
        DailyChannelStat(day=day, account_id=account_id, channel=channel, **vars(stat))
        for (day, account_id, channel), stat in found.stats.items()
    ]
    failures = [
        DailyFailureStat(day=day, account_id=account_id, channel=channel, reason=reason, count=count)
        for (day, account_id, channel, reason), count in found.failures.items()
    ]
    with transaction.atomic():
        for day in span:
            RollupDay.objects.update_or_create(day=day, defaults={"computed_at": now})
        DailyChannelStat.objects.filter(day__in=span).delete()
        DailyFailureStat.objects.filter(day__in=span).delete()
        DailyChannelStat.objects.bulk_create(stats, batch_size=1000)
        DailyFailureStat.objects.bulk_create(failures, batch_size=1000)
    return RollupResult(first_day=first, days=len(span), rows=len(stats) + len(failures))
