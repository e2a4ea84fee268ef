"""The dashboard's numbers, live and from the rollup, against counts worked out by hand."""
from datetime import UTC, date, datetime

import pytest
import time_machine

from otp.dashboard.models import DailyChannelStat, RollupDay
from otp.dashboard.selectors import dashboard_read, session_statuses
from otp.dashboard.services import dashboard_rollup
from otp.models import DeliveryStatus, SessionStatus
from wallet.services import wallet_topup

from .support import charge_at, prices_set, refund_at, session_make

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
D10 = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
D11 = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
TODAY = datetime(2026, 3, 31, 11, 0, tzinfo=UTC)
INVALID_NUMBER = "Twilio error 21211 (HTTP 400): Invalid 'To' phone number"


@pytest.fixture
def traffic(db, account):
    """Two accounts' sessions over the window, one before it and one sandbox session."""
    from conftest import funded_account

    prices_set()
    other = funded_account("Beta").account
    wallet_topup(account=other, amount="10", actor="test")
    s1 = session_make(account, created=D10, channels={
        "email": {"verified": True},
        "sms": {"delivery_status": DeliveryStatus.FAILED, "generation": 2, "last_error": INVALID_NUMBER},
    }, status=SessionStatus.PARTIAL)
    charge_at(D10, account=account, session=s1, generations={"email": 1, "sms": 1})
    charge_at(D10.replace(hour=10, minute=5), account=account, session=s1, generations={"sms": 2})
    refund_at(D11, session=s1, channel="sms", generation=2)  # refunded the next day
    session_make(account, created=D10.replace(hour=23, minute=59), channels={"email": {}})
    s3 = session_make(other, created=D11, channels={
        "sms": {"delivery_status": DeliveryStatus.FAILED, "last_error": "Twilio error 21211 (HTTP 400): +1415…"},
        "whatsapp": {"delivery_status": DeliveryStatus.FAILED, "last_error": "Not delivered before the session ended"},
    }, status=SessionStatus.EXPIRED)
    charge_at(D11, account=other, session=s3, generations={"sms": 1, "whatsapp": 1})
    s4 = session_make(account, created=TODAY, channels={"email": {"verified": True}}, status=SessionStatus.VERIFIED)
    charge_at(TODAY, account=account, session=s4, generations={"email": 1})
    session_make(account, created=NOW.replace(hour=11, minute=55), channels={"sms": {"delivery_status": DeliveryStatus.QUEUED}})
    session_make(other, created=TODAY, channels={"email": {}})  # PENDING, expired at 11:10: EXPIRED now
    session_make(account, created=TODAY, channels={"email": {"delivery_status": DeliveryStatus.SANDBOX}}, sandbox=True)
    session_make(account, created=datetime(2026, 3, 1, 8, 0, tzinfo=UTC), channels={"email": {}})
    return account, other


def _day(dashboard, day: date) -> int:
    return dashboard.days.index(day)


def _expect_all(dashboard):
    assert len(dashboard.days) == 30 and dashboard.days[0] == date(2026, 3, 2) and dashboard.days[-1] == date(2026, 3, 31)
    i10, i11, i31 = (_day(dashboard, date(2026, 3, d)) for d in (10, 11, 31))
    # Sends count codes: s1's sms was sent twice (generation 2).
    assert dashboard.sends["email"][i10] == 2 and dashboard.sends["sms"][i10] == 2
    assert dashboard.sends["sms"][i11] == 1 and dashboard.sends["whatsapp"][i11] == 1
    assert dashboard.sends["email"][i31] == 2 and dashboard.sends["sms"][i31] == 1  # the sandbox one is left out
    assert sum(map(sum, dashboard.sends.values())) == 9
    rates = {item.channel: (item.verified, item.channels) for item in dashboard.conversion}
    assert rates == {"email": (2, 4), "sms": (0, 3), "whatsapp": (0, 1)}
    assert dashboard.failures == [("Twilio error 21211 (HTTP 400)", 2), ("Not delivered before the session ended", 1)]
    # 10th: 100 + 500 + 500 charged; 11th: 500 + 300 charged, 500 refunded; 31st: 100.
    assert dashboard.spend[i10] == 1100 and dashboard.spend[i11] == 300 and dashboard.spend[i31] == 100
    assert sum(dashboard.spend) == 1500
    # Of the last 24 hours: s4 verified, one pending (expires 12:05), one lapsed (expired 11:10).
    assert dashboard.statuses == {"PENDING": 1, "PARTIAL": 0, "VERIFIED": 1, "EXPIRED": 1, "LOCKED": 0, "CANCELLED": 0}


@time_machine.travel(NOW, tick=False)
def test_every_aggregate_matches_hand_counts_when_nothing_is_rolled_up(traffic):
    dashboard = dashboard_read(now=NOW)
    assert dashboard.live_from == date(2026, 3, 2)
    _expect_all(dashboard)


@time_machine.travel(NOW, tick=False)
def test_the_rollup_gives_the_same_numbers_and_only_today_is_read_live(traffic):
    result = dashboard_rollup(now=NOW)
    assert result.first_day == date(2026, 3, 2) and result.days == 29
    assert RollupDay.objects.count() == 29
    dashboard = dashboard_read(now=NOW)
    assert dashboard.live_from == date(2026, 3, 31)
    _expect_all(dashboard)


@time_machine.travel(NOW, tick=False)
def test_a_second_rollup_rewrites_only_the_last_days_and_counts_nothing_twice(traffic):
    dashboard_rollup(now=NOW)
    rows = DailyChannelStat.objects.count()
    again = dashboard_rollup(now=NOW)
    assert (again.first_day, again.days) == (date(2026, 3, 29), 2)
    assert DailyChannelStat.objects.count() == rows
    _expect_all(dashboard_read(now=NOW))


@time_machine.travel(NOW, tick=False)
def test_the_account_filter_counts_that_account_only(traffic):
    account, other = traffic
    dashboard_rollup(now=NOW)
    mine = dashboard_read(now=NOW, account_id=account.pk)
    theirs = dashboard_read(now=NOW, account_id=other.pk)
    i10, i11 = _day(mine, date(2026, 3, 10)), _day(mine, date(2026, 3, 11))
    assert mine.sends["sms"][i11] == 0 and theirs.sends["sms"][i11] == 1 and theirs.sends["email"][i10] == 0
    assert {c.channel: (c.verified, c.channels) for c in mine.conversion} == {
        "email": (2, 3), "sms": (0, 2), "whatsapp": (0, 0)
    }
    assert mine.failures == [("Twilio error 21211 (HTTP 400)", 1)]
    assert sorted(theirs.failures) == [("Not delivered before the session ended", 1), ("Twilio error 21211 (HTTP 400)", 1)]
    # The refund of the 11th is account one's: its spend that day is -500.
    assert mine.spend[i11] == -500 and theirs.spend[i11] == 800
    assert session_statuses(now=NOW, account_id=other.pk)["EXPIRED"] == 1
    assert session_statuses(now=NOW, account_id=account.pk) == {
        "PENDING": 1, "PARTIAL": 0, "VERIFIED": 1, "EXPIRED": 0, "LOCKED": 0, "CANCELLED": 0
    }
