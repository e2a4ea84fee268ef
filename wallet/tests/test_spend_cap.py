"""The daily spend cap, kept on the wallet row by the charge's own UPDATE (wallet.ledger).

What these pin: the cap costs no query of its own and never reads the day's ledger, whatever the
day's traffic; a refused charge leaves neither balance nor spend changed; the count starts again
each UTC day; refunds do not lower it and a reversed refund raises it.
"""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from otp.models import OTPSession
from wallet.exceptions import DailySpendCapReached
from wallet.models import LedgerEntry, Wallet
from wallet.services import wallet_charge, wallet_refund_channel, wallet_refund_reverse

from .helpers import account_with, assert_balance_matches_ledger, balance_of

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 1, 23, 0, tzinfo=UTC)  # an hour before midnight UTC


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return lambda seconds: time_machine.move_to(T0 + timedelta(seconds=seconds), tick=False)


def _charge(account, channels=("sms",), cap=None):
    now = timezone.now()
    session = OTPSession.objects.create(account=account, created_at=now, last_sent_at=now, expires_at=now)
    with transaction.atomic():
        wallet_charge(
            account=account, session_id=session.pk, generations=dict.fromkeys(channels, 1), actor="api",
            daily_spend_cap=None if cap is None else Decimal(cap),
        )
    return session


def _spent(account) -> tuple:
    return Wallet.objects.values_list("spent_on", "spent_that_day").get(account=account)


def test_each_charge_adds_to_the_days_spend(clock):
    account = account_with("1").account
    _charge(account, ["sms"])
    _charge(account, ["email", "whatsapp"])
    assert _spent(account) == (T0.date(), 150 + 15 + 100)


def test_the_cap_refuses_the_charge_that_passes_it_and_changes_nothing(clock):
    account = account_with("1").account
    _charge(account, cap="0.0300")
    _charge(account, cap="0.0300")  # exactly at the cap: allowed
    before = (balance_of(account), _spent(account), LedgerEntry.objects.count())
    with pytest.raises(DailySpendCapReached) as refused:
        _charge(account, cap="0.0300")
    assert refused.value.details["spent_today_with_this_request"] == "0.0450"
    assert refused.value.details["daily_spend_cap"] == "0.0300"
    assert (balance_of(account), _spent(account), LedgerEntry.objects.count()) == before
    assert_balance_matches_ledger(account)


def test_the_cap_runs_no_query_of_its_own_and_never_reads_the_ledger(clock):
    account = account_with("100").account
    for _ in range(30):  # a busy day so far: a sum over it would grow with it
        _charge(account)
    now = timezone.now()
    session = OTPSession.objects.create(account=account, created_at=now, last_sent_at=now, expires_at=now)
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        wallet_charge(account=account, session_id=session.pk, generations={"sms": 1}, daily_spend_cap=Decimal("1"))
    statements = [q["sql"] for q in captured.captured_queries if q["sql"].split()[0] in ("SELECT", "UPDATE", "INSERT")]
    # The prices, the balance UPDATE (which also counts the spend), the ledger INSERT: nothing more.
    assert [sql.split()[0] for sql in statements if "wallet_price" not in sql] == ["UPDATE", "INSERT"]
    assert not [sql for sql in statements if "wallet_ledgerentry" in sql and not sql.startswith("INSERT")]


def test_a_new_utc_day_starts_from_zero(clock):
    account = account_with("1").account
    _charge(account, cap="0.0150")
    with pytest.raises(DailySpendCapReached):
        _charge(account, cap="0.0150")
    clock(3600)  # midnight UTC has passed
    _charge(account, cap="0.0150")
    assert _spent(account) == ((T0 + timedelta(hours=1)).date(), 150)


def test_refunds_do_not_lower_the_days_spend_and_a_reversed_refund_adds_to_it(clock):
    account = account_with("1").account
    session = _charge(account)
    assert wallet_refund_channel(session_id=session.pk, channel="sms", generation=1) is not None
    assert _spent(account) == (T0.date(), 150)
    assert wallet_refund_reverse(session_id=session.pk, channel="sms", generation=1) is not None
    assert _spent(account) == (T0.date(), 300)
    assert_balance_matches_ledger(account)


def test_a_charge_stamped_with_yesterday_after_midnight_counts_in_today_and_resets_nothing(clock):
    # Two processes, one clock a little behind: the day must never go back and restart the count.
    account = account_with("1").account
    clock(3601)  # 00:00:01 on the next day
    _charge(account, cap="0.0300")
    _charge(account, cap="0.0300")
    clock(3599)  # 23:59:59 of the day before, by a slower clock
    with pytest.raises(DailySpendCapReached):
        _charge(account, cap="0.0300")
    clock(3602)
    with pytest.raises(DailySpendCapReached):
        _charge(account, cap="0.0300")
    assert _spent(account) == ((T0 + timedelta(hours=1)).date(), 300)
