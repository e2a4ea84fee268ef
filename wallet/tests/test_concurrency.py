"""Real parallel requests against PostgreSQL: no interleaving overdraws a wallet or pays twice."""
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from django.db import connection
from django.utils import timezone

from accounts.models import AbusePolicy
from otp.delivery.state import channel_delivery_failed
from otp.models import ChannelVerification, OTPSession
from wallet.models import LedgerEntry, Wallet
from wallet.services import wallet_charge, wallet_topup

from .helpers import account_with, assert_balance_matches_ledger, balance_of, send_body

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("transactional_db")]

N = 5
SMS_PRICE = 150


def in_parallel(count: int, call) -> list:
    """Run call(i) in `count` threads released together by a barrier."""
    barrier = threading.Barrier(count)

    def run(index):
        barrier.wait(timeout=30)
        try:
            return call(index)
        finally:
            connection.close()  # threads other than the test's own open their own connections

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def post_send(base_url: str, key: str, body: dict, headers: dict | None = None) -> requests.Response:
    return requests.post(
        f"{base_url}/api/v1/otp/send", json=body, headers={"X-API-Key": key, **(headers or {})}, timeout=60
    )


def test_parallel_sends_succeed_exactly_as_often_as_the_balance_covers(live_server):
    created = account_with(str(Decimal(N * SMS_PRICE) / 10_000))
    # A different recipient each, so only the money can stop a send.
    bodies = [send_body(["sms"], recipients={"sms": f"+1415555{2600 + i:04d}"}) for i in range(3 * N)]
    responses = in_parallel(3 * N, lambda i: post_send(live_server.url, created.live_key, bodies[i]))
    outcomes = Counter((r.status_code, r.json().get("code")) for r in responses)
    assert outcomes == Counter({(200, None): N, (402, "insufficient_balance"): 2 * N})
    assert balance_of(created.account) == 0
    assert_balance_matches_ledger(created.account)
    assert not LedgerEntry.objects.filter(balance_after__lt=0).exists()
    charges = LedgerEntry.objects.filter(kind="charge")
    assert charges.count() == N
    # Every charge saw a distinct balance: they were serialized on the wallet row.
    assert sorted(charges.values_list("balance_after", flat=True)) == [SMS_PRICE * k for k in range(N)]
    # Refused sends left nothing behind.
    assert OTPSession.objects.filter(account=created.account).count() == N


def test_parallel_sends_with_one_idempotency_key_are_charged_once(live_server):
    created = account_with("1")
    body = send_body(["email", "sms"])
    responses = in_parallel(
        8, lambda i: post_send(live_server.url, created.live_key, body, headers={"Idempotency-Key": "same-key"})
    )
    assert {r.status_code for r in responses} == {200}
    assert len({r.json()["session_id"] for r in responses}) == 1
    assert OTPSession.objects.filter(account=created.account).count() == 1
    assert LedgerEntry.objects.filter(kind="charge").count() == 2
    assert balance_of(created.account) == 10_000 - 165
    assert_balance_matches_ledger(created.account)


def test_a_failure_reported_in_parallel_is_refunded_once():
    created = account_with("1")
    now = timezone.now()
    session = OTPSession.objects.create(
        account=created.account, created_at=now, last_sent_at=now, expires_at=now + timedelta(minutes=10)
    )
    row = ChannelVerification.objects.create(session=session, channel="sms", recipient="+14155552671")
    wallet_charge(account=created.account, session_id=session.pk, generations={"sms": 1}, actor="api")
    in_parallel(8, lambda i: channel_delivery_failed(row=row, generation=1))
    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    assert balance_of(created.account) == 10_000
    assert_balance_matches_ledger(created.account)


def test_parallel_first_top_ups_share_one_wallet_and_all_count():
    created = account_with(None)
    in_parallel(8, lambda i: wallet_topup(account=created.account, amount=Decimal("0.5"), actor="ops"))
    assert Wallet.objects.filter(account=created.account).count() == 1
    assert balance_of(created.account) == 8 * 5_000
    assert_balance_matches_ledger(created.account)
    assert sorted(LedgerEntry.objects.values_list("balance_after", flat=True)) == [5_000 * k for k in range(1, 9)]


def test_parallel_top_ups_with_one_key_credit_once():
    created = account_with("1")
    in_parallel(
        8, lambda i: wallet_topup(account=created.account, amount=Decimal("2"), actor="ops", idempotency_key="inv-9")
    )
    assert LedgerEntry.objects.filter(idempotency_key="inv-9").count() == 1
    assert balance_of(created.account) == 30_000
    assert_balance_matches_ledger(created.account)


def test_parallel_sends_never_pass_the_daily_spend_cap(live_server):
    created = account_with("10")  # money enough: only the cap can stop a send
    AbusePolicy.objects.create(account=created.account, daily_spend_cap=Decimal(N * SMS_PRICE) / 10_000)
    bodies = [send_body(["sms"], recipients={"sms": f"+1415555{2700 + i:04d}"}) for i in range(3 * N)]
    responses = in_parallel(3 * N, lambda i: post_send(live_server.url, created.live_key, bodies[i]))
    outcomes = Counter((r.status_code, r.json().get("code")) for r in responses)
    assert outcomes == Counter({(200, None): N, (429, "daily_spend_cap_reached"): 2 * N})
    assert LedgerEntry.objects.filter(kind="charge").count() == N
    assert Wallet.objects.values_list("spent_that_day", flat=True).get(account=created.account) == N * SMS_PRICE
    assert_balance_matches_ledger(created.account)
