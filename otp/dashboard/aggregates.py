"""The dashboard's aggregates over the base tables for a span of time, computed in the database.

Each is one GROUP BY over indexed columns: sessions by `created_at` (otp_sess_account_created, or
the created_at index across accounts) and ledger entries by `created_at` (wallet_ledger_created).
The rollup (otp.dashboard.services) stores their results per day; the dashboard runs them live only
for the days not rolled up yet (today, as a rule). Sandbox sessions are left out: nothing was sent.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import BigIntegerField, Case, Count, F, Q, Sum, TextField, Value, When
from django.db.models.functions import Left, StrIndex, TruncDate

from wallet.models import LedgerEntry, LedgerKind

from ..models import ChannelVerification, DeliveryStatus

REASON_LENGTH = 120
NO_REASON = "(no reason recorded)"

Key = tuple[date, object, str]  # (day, account id, channel)


@dataclass
class ChannelDay:
    channels: int = 0
    sends: int = 0
    verified: int = 0
    failed: int = 0
    charged: int = 0
    refunded: int = 0


@dataclass
class SpanAggregates:
    stats: dict[Key, ChannelDay] = field(default_factory=lambda: defaultdict(ChannelDay))
    failures: dict[tuple[date, object, str, str], int] = field(default_factory=dict)


def with_failure_reason(rows):
    """Annotate `reason`: a failed channel's error up to its first colon ("Twilio error 21211 (HTTP
    400)", "SendGrid bounce", "Not delivered before the session ended"), so the free text after it
    (an address, a provider's sentence) does not split one cause into many rows."""
    return rows.annotate(colon_at=StrIndex("last_error", Value(":"))).annotate(
        reason=Left(
            Case(
                When(last_error="", then=Value(NO_REASON)),
                When(colon_at__gt=1, then=Left("last_error", F("colon_at") - 1)),
                default=F("last_error"),
                output_field=TextField(),
            ),
            REASON_LENGTH,
        )
    )


def _channel_rows(start: datetime, end: datetime, account_id):
    rows = ChannelVerification.objects.filter(
        session__created_at__gte=start, session__created_at__lt=end, session__sandbox=False
    )
    if account_id is not None:
        rows = rows.filter(session__account_id=account_id)
    return rows.annotate(day=TruncDate("session__created_at")).order_by()


def span_aggregates(*, start: datetime, end: datetime, account_id=None) -> SpanAggregates:
    """Three queries, whatever the number of sessions: channels, failures by reason, money."""
    result = SpanAggregates()
    counted = (
        _channel_rows(start, end, account_id)
        .values("day", "session__account_id", "channel")
        .annotate(
            n_channels=Count("id"),
            n_sends=Sum("generation"),
            n_verified=Count("id", filter=Q(verified_at__isnull=False)),
            n_failed=Count("id", filter=Q(delivery_status=DeliveryStatus.FAILED)),
        )
    )
    for row in counted:
        stat = result.stats[(row["day"], row["session__account_id"], row["channel"])]
        stat.channels, stat.sends = row["n_channels"], row["n_sends"] or 0
        stat.verified, stat.failed = row["n_verified"], row["n_failed"]
    failed = (
        with_failure_reason(_channel_rows(start, end, account_id).filter(delivery_status=DeliveryStatus.FAILED))
        .values("day", "session__account_id", "channel", "reason")
        .annotate(n=Count("id"))
    )
    for row in failed:
        result.failures[(row["day"], row["session__account_id"], row["channel"], row["reason"])] = row["n"]
    entries = LedgerEntry.objects.filter(
        created_at__gte=start, created_at__lt=end, kind__in=[LedgerKind.CHARGE, LedgerKind.REFUND]
    ).exclude(channel="")
    if account_id is not None:
        entries = entries.filter(wallet__account_id=account_id)
    money = (
        entries.annotate(day=TruncDate("created_at"))
        .order_by()
        .values("day", "wallet__account_id", "channel")
        .annotate(
            # Charges are negative amounts, refunds positive; a refund's reversal is a charge.
            charged=Sum(Case(When(kind=LedgerKind.CHARGE, then=-F("amount")), default=0, output_field=BigIntegerField())),
            refunded=Sum(Case(When(kind=LedgerKind.REFUND, then=F("amount")), default=0, output_field=BigIntegerField())),
        )
    )
    for row in money:
        stat = result.stats[(row["day"], row["wallet__account_id"], row["channel"])]
        stat.charged, stat.refunded = row["charged"] or 0, row["refunded"] or 0
    return result
