"""Admin: balances shown read-only, the top-up action writes the ledger, the ledger cannot be edited."""
import pytest
from django.urls import reverse

from wallet.models import LedgerEntry, Price, Wallet

from .helpers import account_with, assert_balance_matches_ledger, balance_of

pytestmark = pytest.mark.django_db


def test_wallet_list_shows_balances_with_four_places(admin_client):
    account_with("12.5")
    response = admin_client.get(reverse("admin:wallet_wallet_changelist"))
    assert response.status_code == 200
    assert "12.5000" in response.content.decode()


def test_top_up_action_asks_for_the_amount_then_writes_a_ledger_entry_as_the_admin(admin_client):
    created = account_with("1")
    wallet = Wallet.objects.get(account=created.account)
    url = reverse("admin:wallet_wallet_changelist")
    asked = admin_client.post(url, {"action": "top_up", "_selected_action": [wallet.pk]})
    assert asked.status_code == 200
    assert 'name="amount"' in asked.content.decode()
    assert balance_of(created.account) == 10_000  # nothing happens before the form is submitted
    done = admin_client.post(
        url, {"action": "top_up", "_selected_action": [wallet.pk], "apply": "1", "amount": "2.5", "note": "invoice 7"}
    )
    assert done.status_code == 302
    entry = LedgerEntry.objects.filter(kind="topup").latest("id")
    assert (entry.amount, entry.actor, entry.note) == (25_000, "admin:admin", "invoice 7")
    assert balance_of(created.account) == 35_000
    assert_balance_matches_ledger(created.account)


def test_top_up_action_with_an_invalid_amount_shows_the_form_again_and_credits_nothing(admin_client):
    created = account_with("1")
    wallet = Wallet.objects.get(account=created.account)
    response = admin_client.post(
        reverse("admin:wallet_wallet_changelist"),
        {"action": "top_up", "_selected_action": [wallet.pk], "apply": "1", "amount": "0.00001"},
    )
    assert response.status_code == 200
    assert balance_of(created.account) == 10_000


def test_wallet_balance_cannot_be_edited_in_admin(admin_client):
    created = account_with("1")
    wallet = Wallet.objects.get(account=created.account)
    url = reverse("admin:wallet_wallet_change", args=[wallet.pk])
    admin_client.post(url, {"currency": "USD", "balance": "999"})
    assert balance_of(created.account) == 10_000
    assert 'name="balance"' not in admin_client.get(url).content.decode()


def test_ledger_admin_is_read_only(admin_client):
    account_with("1")
    entry = LedgerEntry.objects.get()
    assert admin_client.get(reverse("admin:wallet_ledgerentry_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:wallet_ledgerentry_add")).status_code == 403
    assert admin_client.post(reverse("admin:wallet_ledgerentry_change", args=[entry.pk]), {"amount": "1"}).status_code == 403
    assert admin_client.post(reverse("admin:wallet_ledgerentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    assert LedgerEntry.objects.get().amount == 10_000


def test_price_admin_takes_decimal_prices_per_account(admin_client):
    created = account_with(None)
    response = admin_client.post(
        reverse("admin:wallet_price_add"), {"account": created.account.pk, "channel": "sms", "amount": "0.0123"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Price.objects.get(account=created.account).amount == 123
    changelist = admin_client.get(reverse("admin:wallet_price_changelist")).content.decode()
    assert "0.0123" in changelist and "Global default" in changelist
    global_sms = Price.objects.get(account__isnull=True, channel="sms")
    change_page = admin_client.get(reverse("admin:wallet_price_change", args=[global_sms.pk])).content.decode()
    assert 'value="0.0150"' in change_page


def test_price_admin_refuses_a_second_global_price_for_a_channel(admin_client):
    response = admin_client.post(reverse("admin:wallet_price_add"), {"account": "", "channel": "sms", "amount": "0.02"})
    assert response.status_code == 200
    assert Price.objects.filter(account__isnull=True, channel="sms").get().amount == 150
