"""What the dashboard shows, read in a fixed number of queries whatever the traffic.

Closed days come from the rollup tables; the days not rolled up yet (today, as a rule) are
aggregated live over the base tables (otp.dashboard.aggregates); the sessions per status are
counted over the last day's sessions only (every live session is among them).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db.models import Count, Sum

from accounts.models import Account

from ..channels import CHANNEL_NAMES
from ..fraud.models import FraudDecision
from ..lifecycle import status_q
from ..models import OTPSession, SessionStatus
from .aggregates import ChannelDay, span_aggregates
from .models import DailyChannelStat, DailyFailureStat, RollupDay
from .services import WINDOW_DAYS, day_start

# The sessions per status are those created this long ago at most: bounded by a day's traffic,
# and longer than any code lives, so every session that is still live is counted.
STATUS_WINDOW = timedelta(hours=24)
TOP_REASONS = 10
ACCOUNT_CHOICES_LIMIT = 500


@dataclass(frozen=True)
class Conversion:
    channel: str
    channels: int
    verified: int

    @property
    def rate(self) -> float | None:
        return self.verified / self.channels if self.channels else None


@dataclass(frozen=True)
class Dashboard:
    days: list[date]
    sends: dict[str, list[int]]  # channel -> codes sent per day
    conversion: list[Conversion]
    failures: list[tuple[str, int]]  # (reason, count), most first
    spend: list[int]  # charges minus refunds per day, 1/10,000 units
    statuses: dict[str, int]
    live_from: date  # days from here on were aggregated live
    fraud: dict[str, dict[str, int]]  # rule -> mode (block, record) -> decisions in the window


def _window(now: datetime) -> tuple[date, list[date]]:
    today = now.astimezone(UTC).date()
    return today, [today - timedelta(days=n) for n in range(WINDOW_DAYS - 1, -1, -1)]


def _live_from(days: list[date], today: date) -> date:
    """The first day without a rollup: it and every day after it are aggregated live."""
    rolled = set(RollupDay.objects.filter(day__gte=days[0], day__lt=today).values_list("day", flat=True))
    return next((day for day in days if day not in rolled), today)


def _rolled_up(*, first: date, end: date, account_id) -> tuple[dict, Counter]:
    stats = DailyChannelStat.objects.filter(day__gte=first, day__lt=end)
    failures = DailyFailureStat.objects.filter(day__gte=first, day__lt=end)
    if account_id is not None:
        stats, failures = stats.filter(account_id=account_id), failures.filter(account_id=account_id)
    by_day: dict[tuple[date, str], ChannelDay] = defaultdict(ChannelDay)
    summed = stats.order_by().values("day", "channel").annotate(
        s_channels=Sum("channels"), s_sends=Sum("sends"), s_verified=Sum("verified"),
        s_failed=Sum("failed"), s_charged=Sum("charged"), s_refunded=Sum("refunded"),
    )
    for row in summed:
        by_day[(row["day"], row["channel"])] = ChannelDay(
            channels=row["s_channels"], sends=row["s_sends"], verified=row["s_verified"],
            failed=row["s_failed"], charged=row["s_charged"], refunded=row["s_refunded"],
        )
    reasons = Counter(
        {row["reason"]: row["n"] for row in failures.order_by().values("reason").annotate(n=Sum("count"))}
    )
    return by_day, reasons


def _live(*, first: date, now: datetime, account_id) -> tuple[dict, Counter]:
    found = span_aggregates(start=day_start(first), end=now + timedelta(microseconds=1), account_id=account_id)
    by_day: dict[tuple[date, str], ChannelDay] = defaultdict(ChannelDay)
    for (day, _account, channel), stat in found.stats.items():
        total = by_day[(day, channel)]
        for name, value in vars(stat).items():
            setattr(total, name, getattr(total, name) + value)
    reasons: Counter = Counter()
    for (_day, _account, _channel, reason), count in found.failures.items():
        reasons[reason] += count
    return by_day, reasons


def session_statuses(*, now: datetime, account_id=None) -> dict[str, int]:
    """Live sessions created in the last STATUS_WINDOW, by the status a reader sees now
    (otp.lifecycle): one query over the created_at index."""
    recent = OTPSession.objects.filter(created_at__gte=now - STATUS_WINDOW, sandbox=False)
    if account_id is not None:
        recent = recent.filter(account_id=account_id)
    counted = recent.aggregate(
        **{status: Count("pk", filter=status_q(status, now)) for status in SessionStatus.values}
    )
    return {status: counted[status] for status in SessionStatus.values}


def fraud_decisions(*, since: datetime, account_id=None) -> dict[str, dict[str, int]]:
    """The fraud guard's decisions since `since`, per rule and mode: one GROUP BY over the
    created_at index (decisions are written only when a rule blocks or would have)."""
    decisions = FraudDecision.objects.filter(created_at__gte=since)
    if account_id is not None:
        decisions = decisions.filter(account_id=account_id)
    counted: dict[str, dict[str, int]] = {}
    for row in decisions.order_by().values("rule", "mode").annotate(n=Count("pk")):
        counted.setdefault(row["rule"], {})[row["mode"]] = row["n"]
    return dict(sorted(counted.items(), key=lambda item: -sum(item[1].values())))


def dashboard_read(*, now: datetime, account_id=None) -> Dashboard:
    today, days = _window(now)
    live_from = _live_from(days, today)
    rolled, rolled_reasons = _rolled_up(first=days[0], end=live_from, account_id=account_id)
    live, live_reasons = _live(first=live_from, now=now, account_id=account_id)
    by_day = {**rolled, **live}
    totals = {channel: ChannelDay() for channel in CHANNEL_NAMES}
    for (_day, channel), stat in by_day.items():
        if channel in totals:
            totals[channel].channels += stat.channels
            totals[channel].verified += stat.verified
    return Dashboard(
        days=days,
        sends={ch: [by_day[(day, ch)].sends if (day, ch) in by_day else 0 for day in days] for ch in CHANNEL_NAMES},
        conversion=[Conversion(ch, totals[ch].channels, totals[ch].verified) for ch in CHANNEL_NAMES],
        failures=(rolled_reasons + live_reasons).most_common(TOP_REASONS),
        spend=[
            sum(stat.charged - stat.refunded for (day_, _ch), stat in by_day.items() if day_ == day) for day in days
        ],
        statuses=session_statuses(now=now, account_id=account_id),
        live_from=live_from,
        fraud=fraud_decisions(since=day_start(days[0]), account_id=account_id),
    )


def account_choices() -> list[tuple[str, str]]:
    """Accounts for the filter, by name (the first ACCOUNT_CHOICES_LIMIT; any id works in the URL)."""
    accounts = Account.objects.order_by("name", "id").values_list("id", "name")[:ACCOUNT_CHOICES_LIMIT]
    return [(str(pk), name) for pk, name in accounts]
