"""Billing through the HTTP API: 402 on send and resend, sandbox is free, replays, refunds, /wallet."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from otp.housekeeping import housekeeping_run
from otp.models import ChannelVerification, IdempotencyRecord, OTPSession, OutboxMessage
from wallet.models import LedgerEntry, Price, Wallet
from wallet.services import wallet_topup

from .helpers import (
    account_with,
    assert_balance_matches_ledger,
    balance_of,
    client_for,
    send_body,
)

pytestmark = pytest.mark.django_db

SEND, RESEND = "/api/v1/otp/send", "/api/v1/otp/resend"
WALLET, TRANSACTIONS = "/api/v1/wallet", "/api/v1/wallet/transactions"


def assert_insufficient(response, required: str, available: str) -> None:
    assert response.status_code == 402, response.json()
    body = response.json()
    assert body["success"] is False
    assert (body["error"]["type"], body["error"]["code"], body["code"]) == (
        "payment_required", "insufficient_balance", "insufficient_balance",
    )
    assert body["message"].startswith("Insufficient balance")
    assert body["details"] == body["error"]["details"]
    assert (body["details"]["required"], body["details"]["available"]) == (required, available)


# --- charging sends and resends -----------------------------------------------------------------


def test_send_the_balance_does_not_cover_is_402_and_leaves_no_session_ledger_or_outbox_row(
    django_capture_on_commit_callbacks,
):
    created = account_with("0.0160")
    api = client_for(created.live_key)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api.post(SEND, send_body(["email", "sms"]))
    assert_insufficient(response, required="0.0165", available="0.0160")
    assert callbacks == []  # nothing queued
    assert not OTPSession.objects.exists()
    assert not ChannelVerification.objects.exists()
    assert not OutboxMessage.objects.exists()
    assert list(LedgerEntry.objects.values_list("kind", flat=True)) == ["topup"]
    assert balance_of(created.account) == 160


def test_send_with_an_idempotency_key_refused_for_balance_stores_no_record():
    created = account_with(None)
    response = client_for(created.live_key).post(SEND, send_body(["sms"]), headers={"Idempotency-Key": "k-402"})
    assert_insufficient(response, required="0.0150", available="0.0000")
    assert not IdempotencyRecord.objects.exists()
    assert not Wallet.objects.exists()  # the refused charge created nothing, not even a wallet


def test_live_send_charges_each_channel_and_delivers(django_capture_on_commit_callbacks):
    created = account_with("1")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(created.live_key).post(SEND, send_body(["email", "sms", "whatsapp"]))
    assert response.status_code == 200, response.json()
    session_id = response.json()["session_id"]
    charges = LedgerEntry.objects.filter(kind="charge").order_by("id")
    assert [(e.channel, e.amount, str(e.session_id), e.actor) for e in charges] == [
        ("email", -15, session_id, "api"), ("sms", -150, session_id, "api"), ("whatsapp", -100, session_id, "api"),
    ]
    assert balance_of(created.account) == 10_000 - 265
    assert OutboxMessage.objects.count() == 3
    assert_balance_matches_ledger(created.account)


def test_send_is_charged_at_the_accounts_override_price():
    created = account_with("1")
    Price.objects.create(account=created.account, channel="sms", amount=42)
    other = account_with("1", name="Other")
    assert client_for(created.live_key).post(SEND, send_body(["sms"])).status_code == 200
    assert client_for(other.live_key).post(SEND, send_body(["sms"])).status_code == 200
    assert balance_of(created.account) == 10_000 - 42
    assert balance_of(other.account) == 10_000 - 150


def test_sandbox_mode_on_a_live_key_is_never_charged():
    created = account_with(None)
    response = client_for(created.live_key).post(SEND, send_body(["email", "sms"], sandbox_mode=True))
    assert response.status_code == 200, response.json()
    assert response.json()["sandbox"] is True
    assert not LedgerEntry.objects.exists()


def test_test_key_traffic_is_never_charged_even_with_an_empty_wallet(settings):
    settings.OTP = {**settings.OTP, "RESEND_COOLDOWN_SECONDS": 0}
    created = account_with(None)
    sandbox = client_for(created.test_key)
    sent = sandbox.post(SEND, send_body(["email", "sms", "whatsapp"]))
    assert sent.status_code == 200, sent.json()
    assert sandbox.post(RESEND, {"session_token": sent.json()["session_token"]}).status_code == 200
    assert not LedgerEntry.objects.exists()
    assert balance_of(created.account) == 0


def test_resend_is_charged_again_under_the_new_generation(settings, django_capture_on_commit_callbacks):
    settings.OTP = {**settings.OTP, "RESEND_COOLDOWN_SECONDS": 0}
    created = account_with("1")
    api = client_for(created.live_key)
    with django_capture_on_commit_callbacks(execute=True):  # sent: the first code is not refunded
        sent = api.post(SEND, send_body(["email", "sms"])).json()
    response = api.post(RESEND, {"session_token": sent["session_token"], "channels": ["sms"]})
    assert response.status_code == 200, response.json()
    keys = list(LedgerEntry.objects.filter(kind="charge").order_by("id").values_list("idempotency_key", flat=True))
    sid = sent["session_id"]
    assert keys == [f"charge:{sid}:email:1", f"charge:{sid}:sms:1", f"charge:{sid}:sms:2"]
    assert balance_of(created.account) == 10_000 - 15 - 150 - 150
    assert_balance_matches_ledger(created.account)


def test_resend_the_balance_does_not_cover_is_402_and_changes_nothing(settings, django_capture_on_commit_callbacks):
    settings.OTP = {**settings.OTP, "RESEND_COOLDOWN_SECONDS": 0}
    created = account_with("0.0150")
    api = client_for(created.live_key)
    with django_capture_on_commit_callbacks(execute=True):  # sent: the first code is not refunded
        sent = api.post(SEND, send_body(["sms"])).json()
    before = OTPSession.objects.get(pk=sent["session_id"])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api.post(RESEND, {"session_token": sent["session_token"]})
    assert_insufficient(response, required="0.0150", available="0.0000")
    assert callbacks == []
    after = OTPSession.objects.get(pk=sent["session_id"])
    assert (after.resend_count, after.last_sent_at, after.expires_at) == (
        before.resend_count, before.last_sent_at, before.expires_at,
    )
    assert ChannelVerification.objects.get(session_id=sent["session_id"]).generation == 1
    assert LedgerEntry.objects.filter(kind="charge").count() == 1


def test_idempotency_key_repeat_returns_the_first_response_and_charges_once(django_capture_on_commit_callbacks):
    created = account_with("1")
    api = client_for(created.live_key)
    headers = {"Idempotency-Key": "order-7"}
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post(SEND, send_body(["email", "sms"]), headers=headers)
        again = api.post(SEND, send_body(["email", "sms"]), headers=headers)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["session_id"] == first.json()["session_id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert LedgerEntry.objects.filter(kind="charge").count() == 2
    assert balance_of(created.account) == 10_000 - 165
    assert OutboxMessage.objects.count() == 2


def test_a_channel_that_fails_for_good_is_refunded_once(failing_delivery, django_capture_on_commit_callbacks):
    from otp.delivery.state import channel_delivery_failed

    created = account_with("1")
    with django_capture_on_commit_callbacks(execute=True):
        sent = client_for(created.live_key).post(SEND, send_body(["email", "sms"])).json()
    rows = {row.channel: row for row in ChannelVerification.objects.filter(session_id=sent["session_id"])}
    assert {ch: row.delivery_status for ch, row in rows.items()} == {"email": "FAILED", "sms": "FAILED"}
    assert balance_of(created.account) == 10_000
    channel_delivery_failed(row=rows["sms"], generation=1)  # the failure reported a second time
    refunds = LedgerEntry.objects.filter(kind="refund")
    assert sorted(refunds.values_list("channel", "amount")) == [("email", 15), ("sms", 150)]
    assert balance_of(created.account) == 10_000
    assert_balance_matches_ledger(created.account)


def test_balance_equals_the_ledger_sum_after_a_mix_of_sends_refunds_and_top_ups(
    settings, failing_delivery, django_capture_on_commit_callbacks
):
    settings.OTP = {**settings.OTP, "RESEND_COOLDOWN_SECONDS": 0}
    created = account_with("0.05")
    api = client_for(created.live_key)
    with django_capture_on_commit_callbacks(execute=True):
        failed = api.post(SEND, send_body(["sms"])).json()
    api.post(SEND, send_body(["email", "whatsapp"]))
    api.post(RESEND, {"session_token": failed["session_token"]})
    wallet_topup(account=created.account, amount=Decimal("0.0001"), actor="ops")
    for _ in range(3):
        api.post(SEND, send_body(["sms"]))  # the last ones are refused once the money runs out
    assert_balance_matches_ledger(created.account)
    assert LedgerEntry.objects.filter(balance_after__lt=0).count() == 0


# --- GET /wallet ---------------------------------------------------------------------------------


def test_wallet_shows_balance_currency_and_effective_prices_as_four_place_strings(api, account):
    Price.objects.create(account=account, channel="whatsapp", amount=55)
    response = api.get(WALLET)
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "data": {
            "balance": "100.0000",
            "currency": "USD",
            "prices": {"email": "0.0015", "sms": "0.0150", "whatsapp": "0.0055"},
        },
    }


def test_wallet_of_an_account_never_funded_reads_zero_without_creating_a_row():
    created = account_with(None)
    response = client_for(created.live_key).get(WALLET)
    assert response.json()["data"]["balance"] == "0.0000"
    assert not Wallet.objects.exists()


def test_wallet_needs_an_api_key(client):
    assert client.get(WALLET).status_code == 401


# --- GET /wallet/transactions -------------------------------------------------------------------


def test_transactions_list_newest_first_with_the_documented_fields(api, account):
    sent = api.post(SEND, send_body(["email", "sms"])).json()
    body = api.get(TRANSACTIONS).json()
    assert body["success"] is True
    assert body["pagination"] == {"page": 1, "limit": 20, "total": 3, "totalPages": 1}
    assert [set(item) for item in body["data"]] == [
        {"id", "kind", "amount", "balance_after", "session_id", "channel", "created_at"}
    ] * 3
    assert [(t["kind"], t["amount"], t["balance_after"], t["channel"]) for t in body["data"]] == [
        ("charge", "-0.0150", "99.9835", "sms"),
        ("charge", "-0.0015", "99.9985", "email"),
        ("topup", "100.0000", "100.0000", None),
    ]
    assert body["data"][0]["session_id"] == sent["session_id"]
    assert body["data"][2]["session_id"] is None
    assert body["data"][0]["created_at"].endswith("Z")


def test_purging_old_sessions_leaves_the_ledger_untouched_and_listed_with_session_ids(
    api, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # delivered: nothing left to refund
        sent = api.post(SEND, send_body(["email", "sms"])).json()
    before = api.get(TRANSACTIONS).json()["data"]
    rows_before = list(LedgerEntry.objects.order_by("id").values())
    settings.OTP_RETENTION_DAYS = 30
    later = timezone.now() + timedelta(days=31)
    assert housekeeping_run(now=later).purged_sessions == 1
    assert not OTPSession.objects.filter(pk=sent["session_id"]).exists()
    assert list(LedgerEntry.objects.order_by("id").values()) == rows_before
    after = api.get(TRANSACTIONS).json()["data"]
    assert after == before
    assert [t["session_id"] for t in after] == [sent["session_id"], sent["session_id"], None]


def test_transactions_filter_by_kind_and_paginate(api):
    for _ in range(3):
        api.post(SEND, send_body(["sms"]))
    body = api.get(f"{TRANSACTIONS}?kind=charge&limit=2&page=2").json()
    assert body["pagination"] == {"page": 2, "limit": 2, "total": 3, "totalPages": 2}
    assert [t["kind"] for t in body["data"]] == ["charge"]
    assert api.get(f"{TRANSACTIONS}?kind=topup").json()["pagination"]["total"] == 1


def test_transactions_filter_by_creation_time(api, account):
    old = LedgerEntry.objects.get(wallet__account=account)
    LedgerEntry.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    api.post(SEND, send_body(["sms"]))
    cutoff = (timezone.now() - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    after = api.get(TRANSACTIONS, {"created_after": cutoff}).json()["data"]
    before = api.get(TRANSACTIONS, {"created_before": cutoff}).json()["data"]
    assert [t["kind"] for t in after] == ["charge"]
    assert [t["id"] for t in before] == [old.pk]


@pytest.mark.parametrize(
    "query", ["limit=101", "limit=0", "page=0", "kind=bonus", "created_after=yesterday", "colour=blue"]
)
def test_transactions_refuse_bad_or_unknown_filters_with_400(api, query):
    response = api.get(f"{TRANSACTIONS}?{query}")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid_request"


def test_each_account_sees_only_its_own_wallet_and_transactions(api, other_api):
    api.post(SEND, send_body(["sms"]))
    mine = api.get(TRANSACTIONS).json()["data"]
    theirs = other_api.get(TRANSACTIONS).json()["data"]
    assert [t["kind"] for t in mine] == ["charge", "topup"]
    assert [t["kind"] for t in theirs] == ["topup"]
    assert not {t["id"] for t in mine} & {t["id"] for t in theirs}
    assert other_api.get(WALLET).json()["data"]["balance"] == "100.0000"
    assert api.get(WALLET).json()["data"]["balance"] == "99.9850"


def test_the_openapi_schema_documents_both_wallet_endpoints(api):
    response = api.get("/api/schema/")
    assert response.status_code == 200
    schema = response.content.decode()
    assert "operationId: wallet_retrieve" in schema
    assert "operationId: wallet_transactions_list" in schema
