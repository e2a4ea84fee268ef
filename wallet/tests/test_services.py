"""Wallet services: prices, top-ups, charges, refunds and the commands that fund."""
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Account
from otp.delivery.state import channel_delivery_failed, channel_delivery_report
from otp.models import ChannelVerification, OTPSession
from otp.tasks import deliver_code
from otpservice.errors import IdempotencyKeyReused
from wallet.exceptions import InsufficientBalance, InvalidAmount
from wallet.models import LedgerEntry, LedgerKind, Price, Wallet
from wallet.services import (
    wallet_charge,
    wallet_refund_channel,
    wallet_topup,
)

from .helpers import account_with, assert_balance_matches_ledger, balance_of

# --- prices -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_migration_seeds_global_default_prices():
    prices = dict(Price.objects.filter(account__isnull=True).values_list("channel", "amount"))
    assert prices == {"email": 15, "sms": 150, "whatsapp": 100}


@pytest.mark.django_db
def test_a_second_global_price_for_a_channel_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        Price.objects.create(account=None, channel="sms", amount=1)


@pytest.mark.django_db
def test_a_second_override_for_the_same_account_and_channel_is_refused():
    account = Account.objects.create(name="A")
    Price.objects.create(account=account, channel="sms", amount=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Price.objects.create(account=account, channel="sms", amount=2)


# --- top-ups and adjustments --------------------------------------------------------------------


@pytest.mark.django_db
def test_first_topup_creates_the_wallet_and_one_ledger_entry():
    created = account_with(None)
    assert not Wallet.objects.filter(account=created.account).exists()
    entry = wallet_topup(account=created.account, amount=Decimal("2.5"), actor="ops")
    assert (entry.kind, entry.amount, entry.balance_after, entry.actor) == ("topup", 25_000, 25_000, "ops")
    assert balance_of(created.account) == 25_000
    wallet_topup(account=created.account, amount=Decimal("0.0001"), actor="ops")
    assert Wallet.objects.filter(account=created.account).count() == 1
    assert balance_of(created.account) == 25_001
    assert_balance_matches_ledger(created.account)


@pytest.mark.django_db
def test_topup_repeated_with_the_same_idempotency_key_credits_once():
    account = account_with(None).account
    first = wallet_topup(account=account, amount=Decimal("1"), actor="ops", idempotency_key="invoice-42")
    again = wallet_topup(account=account, amount=Decimal("1"), actor="ops", idempotency_key="invoice-42")
    assert again.pk == first.pk
    assert balance_of(account) == 10_000
    assert LedgerEntry.objects.count() == 1


@pytest.mark.django_db
def test_topup_key_reused_for_another_amount_or_account_is_refused():
    account, other = account_with(None).account, account_with(None, name="Other").account
    wallet_topup(account=account, amount=Decimal("1"), actor="ops", idempotency_key="invoice-43")
    with pytest.raises(IdempotencyKeyReused):
        wallet_topup(account=account, amount=Decimal("2"), actor="ops", idempotency_key="invoice-43")
    with pytest.raises(IdempotencyKeyReused):
        wallet_topup(account=other, amount=Decimal("1"), actor="ops", idempotency_key="invoice-43")
    assert balance_of(other) == 0


@pytest.mark.django_db
@pytest.mark.parametrize("amount", ["0", "-1", "0.00001"])
def test_topup_of_zero_negative_or_sub_unit_amount_is_refused(amount):
    account = account_with(None).account
    with pytest.raises(InvalidAmount):
        wallet_topup(account=account, amount=Decimal(amount), actor="ops")
    assert not LedgerEntry.objects.exists()


@pytest.mark.django_db
def test_charges_can_debit_down_to_zero_but_never_below():
    account = account_with("0.0180").account
    wallet_charge(account=account, session_id=_session(account, ["email", "sms"]).pk, generations={"email": 1, "sms": 1})
    wallet_charge(account=account, session_id=_session(account, ["email"]).pk, generations={"email": 1})
    with pytest.raises(InsufficientBalance) as caught:
        wallet_charge(account=account, session_id=_session(account, ["email"]).pk, generations={"email": 1})
    assert caught.value.details == {"required": "0.0015", "available": "0.0000", "currency": "USD"}
    assert balance_of(account) == 0
    assert list(LedgerEntry.objects.filter(kind="charge").order_by("pk").values_list("amount", "balance_after")) == [
        (-15, 165), (-150, 15), (-15, 0),
    ]
    assert_balance_matches_ledger(account)


@pytest.mark.django_db
def test_the_database_refuses_a_negative_balance_even_past_the_services():
    account = account_with("1").account
    with pytest.raises(IntegrityError), transaction.atomic():
        Wallet.objects.filter(account=account).update(balance=-1)


@pytest.mark.django_db
def test_a_saved_ledger_entry_cannot_be_rewritten():
    entry = wallet_topup(account=account_with(None).account, amount=Decimal("1"), actor="ops")
    entry.amount = 1
    with pytest.raises(ValueError, match="append-only"):
        entry.save()


# --- charges ------------------------------------------------------------------------------------


def _session(account, channels, generation=1) -> OTPSession:
    now = timezone.now()
    session = OTPSession.objects.create(
        account=account, created_at=now, last_sent_at=now, expires_at=now + timedelta(minutes=10)
    )
    for channel in channels:
        session.channel_rows.create(channel=channel, recipient="x", generation=generation)
    return session


@pytest.mark.django_db
def test_charge_writes_one_entry_per_channel_at_the_global_prices():
    account = account_with("1").account
    session = _session(account, ["email", "sms", "whatsapp"])
    with transaction.atomic():
        entries = wallet_charge(
            account=account, session_id=session.pk, generations={"email": 1, "sms": 1, "whatsapp": 1}, actor="api"
        )
    assert [(e.channel, e.amount, e.balance_after) for e in entries] == [
        ("email", -15, 9_985), ("sms", -150, 9_835), ("whatsapp", -100, 9_735),
    ]
    assert {e.idempotency_key for e in entries} == {f"charge:{session.pk}:{ch}:1" for ch in ("email", "sms", "whatsapp")}
    assert balance_of(account) == 9_735
    assert_balance_matches_ledger(account)


@pytest.mark.django_db
def test_an_account_override_replaces_the_global_price_and_a_free_channel_writes_nothing():
    account = account_with("1").account
    Price.objects.create(account=account, channel="sms", amount=90)
    Price.objects.create(account=account, channel="email", amount=0)
    session = _session(account, ["email", "sms"])
    entries = wallet_charge(account=account, session_id=session.pk, generations={"email": 1, "sms": 1}, actor="api")
    assert [(e.channel, e.amount) for e in entries] == [("sms", -90)]
    assert balance_of(account) == 9_910


@pytest.mark.django_db
def test_charge_that_the_balance_does_not_cover_changes_nothing():
    account = account_with("0.0160").account
    session = _session(account, ["email", "sms"])
    with pytest.raises(InsufficientBalance) as caught:
        wallet_charge(account=account, session_id=session.pk, generations={"email": 1, "sms": 1}, actor="api")
    error = caught.value
    assert (error.status_code, error.code, error.type) == (402, "insufficient_balance", "payment_required")
    assert error.message.startswith("Insufficient balance")
    assert error.details == {"required": "0.0165", "available": "0.0160", "currency": "USD"}
    assert balance_of(account) == 160
    assert not LedgerEntry.objects.filter(kind="charge").exists()


@pytest.mark.django_db
def test_charge_without_any_wallet_is_insufficient_with_zero_available():
    account = account_with(None).account
    with pytest.raises(InsufficientBalance) as caught:
        wallet_charge(account=account, session_id=_session(account, ["sms"]).pk, generations={"sms": 1}, actor="api")
    assert caught.value.details["available"] == "0.0000"


@pytest.mark.django_db
def test_the_same_channel_generation_cannot_be_charged_twice():
    account = account_with("1").account
    session = _session(account, ["sms"])
    wallet_charge(account=account, session_id=session.pk, generations={"sms": 1}, actor="api")
    with pytest.raises(IntegrityError), transaction.atomic():
        wallet_charge(account=account, session_id=session.pk, generations={"sms": 1}, actor="api")
    assert balance_of(account) == 9_850
    assert_balance_matches_ledger(account)


# --- refunds ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_refund_called_twice_credits_the_channel_once():
    account = account_with("1").account
    session = _session(account, ["email", "sms"])
    wallet_charge(account=account, session_id=session.pk, generations={"email": 1, "sms": 1}, actor="api")
    row = session.channel_rows.get(channel="sms")
    first = wallet_refund_channel(session_id=row.session_id, channel=row.channel, generation=1)
    second = wallet_refund_channel(session_id=row.session_id, channel=row.channel, generation=1)
    assert (first.kind, first.amount, first.channel, first.session_id) == ("refund", 150, "sms", session.pk)
    assert first.idempotency_key == f"refund:{session.pk}:sms:1"
    assert second is None
    assert balance_of(account) == 10_000 - 15
    assert_balance_matches_ledger(account)


@pytest.mark.django_db
def test_refund_gives_back_what_was_charged_even_after_the_price_changed():
    account = account_with("1").account
    session = _session(account, ["sms"])
    wallet_charge(account=account, session_id=session.pk, generations={"sms": 1}, actor="api")
    Price.objects.filter(account=None, channel="sms").update(amount=999)
    refund = wallet_refund_channel(session_id=session.pk, channel=session.channel_rows.get().channel, generation=1)
    assert refund.amount == 150
    assert balance_of(account) == 10_000


@pytest.mark.django_db
def test_refund_of_a_channel_that_was_never_charged_does_nothing():
    account = account_with("1").account
    session = _session(account, ["sms"])
    assert wallet_refund_channel(session_id=session.pk, channel=session.channel_rows.get().channel, generation=1) is None
    assert LedgerEntry.objects.filter(kind="refund").count() == 0


@pytest.mark.django_db
def test_refund_is_per_generation_so_a_resent_code_that_fails_is_refunded_too():
    account = account_with("1").account
    session = _session(account, ["sms"])
    wallet_charge(account=account, session_id=session.pk, generations={"sms": 1}, actor="api")
    wallet_charge(account=account, session_id=session.pk, generations={"sms": 2}, actor="api")
    row = session.channel_rows.get()
    assert wallet_refund_channel(session_id=row.session_id, channel=row.channel, generation=1).amount == 150
    assert wallet_refund_channel(session_id=row.session_id, channel=row.channel, generation=2).amount == 150
    assert wallet_refund_channel(session_id=row.session_id, channel=row.channel, generation=2) is None
    assert balance_of(account) == 10_000


@pytest.mark.django_db
def test_a_final_delivery_failure_refunds_once_even_when_reported_again(failing_delivery):
    account = account_with("1").account
    session = _session(account, ["sms"])
    wallet_charge(account=account, session_id=session.pk, generations={"sms": 1}, actor="api")
    row = session.channel_rows.get()
    deliver_code.apply(kwargs={"channel_row_id": row.pk, "generation": 1})
    row.refresh_from_db()
    assert row.delivery_status == "FAILED"
    assert balance_of(account) == 10_000
    # The same failure reported again: by the seam directly, and by a redelivered task.
    channel_delivery_failed(row=row, generation=1)
    deliver_code.apply(kwargs={"channel_row_id": row.pk, "generation": 1})
    refunds = LedgerEntry.objects.filter(kind=LedgerKind.REFUND)
    assert list(refunds.values_list("amount", "actor", "channel")) == [(150, "delivery", "sms")]
    assert balance_of(account) == 10_000
    assert_balance_matches_ledger(account)


@pytest.mark.django_db
def test_a_provider_callback_reporting_failure_twice_refunds_once():
    account = account_with("1").account
    session = _session(account, ["sms"])
    wallet_charge(account=account, session_id=session.pk, generations={"sms": 1}, actor="api")
    ChannelVerification.objects.filter(session=session).update(delivery_status="SENT", provider_message_id="SM123")
    assert channel_delivery_report(provider_message_id="SM123", state="FAILED", error="undelivered") is True
    assert channel_delivery_report(provider_message_id="SM123", state="FAILED", error="undelivered") is False
    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    assert balance_of(account) == 10_000


# --- commands -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_account_with_balance_seeds_a_topup_entry(capsys):
    call_command("create_account", "Globex", "--balance", "25.5")
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    account = Account.objects.get(pk=printed["account_id"])
    entry = LedgerEntry.objects.get(wallet__account=account)
    assert (entry.kind, entry.amount, entry.balance_after, entry.actor) == ("topup", 255_000, 255_000, "create_account")
    assert balance_of(account) == 255_000


@pytest.mark.django_db
def test_create_account_without_balance_writes_no_ledger_entry(capsys):
    call_command("create_account", "Initech")
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert not LedgerEntry.objects.filter(wallet__account_id=printed["account_id"]).exists()


@pytest.mark.django_db
def test_ensure_demo_tops_up_ten_once(capsys):
    call_command("ensure_demo")
    call_command("ensure_demo")
    account = Account.objects.get(name="Demo")
    assert list(LedgerEntry.objects.filter(wallet__account=account).values_list("kind", "amount")) == [("topup", 100_000)]
    assert balance_of(account) == 100_000
