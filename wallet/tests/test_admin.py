"""Admin: balances shown read-only, the top-up action writes the ledger, the ledger cannot be edited."""
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from wallet.models import LedgerEntry, Price, Wallet

from .helpers import account_with, assert_balance_matches_ledger, balance_of

pytestmark = pytest.mark.django_db


def test_wallet_list_shows_balances_with_four_places(admin_client):
    account_with("12.5")
    response = admin_client.get(reverse("admin:wallet_wallet_changelist"))
    assert response.status_code == 200
    assert "12.5000" in response.content.decode()


CHANGELIST = "admin:wallet_wallet_changelist"


def ask_for_top_up(admin_client, *wallets) -> str:
    """Open the top-up form for these wallets; the one-time token it carries."""
    asked = admin_client.post(reverse(CHANGELIST), {"action": "top_up", "_selected_action": [w.pk for w in wallets]})
    assert asked.status_code == 200
    assert 'name="amount"' in asked.content.decode()
    return re.search(r'name="token" value="([0-9a-f-]{36})"', asked.content.decode()).group(1)


def submit_top_up(admin_client, token, *wallets, amount="2.5", note=""):
    data = {"action": "top_up", "_selected_action": [w.pk for w in wallets], "apply": "1", "amount": amount}
    if token is not None:
        data["token"] = token
    # Followed: the change list shows (and so consumes) the messages of this submission.
    return admin_client.post(reverse(CHANGELIST), {**data, "note": note}, follow=True)


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


def redirected(response) -> bool:
    return [status for _, status in response.redirect_chain] == [302]


def test_top_up_action_asks_for_the_amount_then_writes_a_ledger_entry_as_the_admin(admin_client):
    created = account_with("1")
    wallet = Wallet.objects.get(account=created.account)
    token = ask_for_top_up(admin_client, wallet)
    assert balance_of(created.account) == 10_000  # nothing happens before the form is submitted
    done = submit_top_up(admin_client, token, wallet, note="invoice 7")
    assert redirected(done)
    entry = LedgerEntry.objects.filter(kind="topup").latest("id")
    assert (entry.amount, entry.actor, entry.note) == (25_000, "admin:admin", "invoice 7")
    assert balance_of(created.account) == 35_000
    assert_balance_matches_ledger(created.account)
    assert entry.idempotency_key == f"admin-topup:{token}:{wallet.pk}"


def test_a_resubmitted_top_up_form_credits_once_and_says_so(admin_client):
    first, second = account_with("1", name="First"), account_with("1", name="Second")
    wallets = Wallet.objects.filter(account__in=[first.account, second.account]).order_by("pk")
    token = ask_for_top_up(admin_client, *wallets)
    done = submit_top_up(admin_client, token, *wallets)
    assert messages_of(done) == [("success", "Topped up 2 wallet(s) by 2.5000.")]
    again = submit_top_up(admin_client, token, *wallets)
    assert redirected(again)
    assert messages_of(again) == [("warning", "This top-up was already applied: nothing was credited again.")]
    assert (balance_of(first.account), balance_of(second.account)) == (35_000, 35_000)
    assert LedgerEntry.objects.filter(kind="topup", actor="admin:admin").count() == 2
    assert_balance_matches_ledger(first.account)


def test_each_opening_of_the_top_up_form_is_a_new_top_up(admin_client):
    created = account_with("1")
    wallet = Wallet.objects.get(account=created.account)
    first, second = ask_for_top_up(admin_client, wallet), ask_for_top_up(admin_client, wallet)
    assert first != second
    submit_top_up(admin_client, first, wallet)
    submit_top_up(admin_client, second, wallet)
    assert balance_of(created.account) == 60_000


def test_a_resubmitted_top_up_form_with_another_amount_credits_nothing(admin_client):
    created = account_with("1")
    wallet = Wallet.objects.get(account=created.account)
    token = ask_for_top_up(admin_client, wallet)
    submit_top_up(admin_client, token, wallet)
    changed = submit_top_up(admin_client, token, wallet, amount="9")
    assert redirected(changed)
    [(level, message)] = messages_of(changed)
    assert level == "error" and message.startswith("This top-up form was already used")
    assert balance_of(created.account) == 35_000


def test_a_top_up_without_the_form_token_credits_nothing(admin_client):
    created = account_with("1")
    wallet = Wallet.objects.get(account=created.account)
    response = submit_top_up(admin_client, None, wallet)
    assert response.status_code == 200 and not redirected(response)
    assert "This form has expired" in response.content.decode()
    assert balance_of(created.account) == 10_000


def test_top_up_action_with_an_invalid_amount_shows_the_form_again_and_credits_nothing(admin_client):
    created = account_with("1")
    wallet = Wallet.objects.get(account=created.account)
    token = ask_for_top_up(admin_client, wallet)
    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "top_up", "_selected_action": [wallet.pk], "apply": "1", "amount": "0.00001", "token": token},
    )
    assert response.status_code == 200
    assert f'value="{token}"' in response.content.decode()  # the same top-up, corrected, stays one
    assert balance_of(created.account) == 10_000


def test_wallet_balance_cannot_be_edited_in_admin(admin_client):
    created = account_with("1")
    wallet = Wallet.objects.get(account=created.account)
    url = reverse("admin:wallet_wallet_change", args=[wallet.pk])
    admin_client.post(url, {"currency": "USD", "balance": "999"})
    assert balance_of(created.account) == 10_000
    assert 'name="balance"' not in admin_client.get(url).content.decode()


def test_wallet_currency_is_chosen_when_the_wallet_is_opened_and_fixed_afterwards(admin_client):
    created = account_with("1")
    wallet = Wallet.objects.get(account=created.account)
    url = reverse("admin:wallet_wallet_change", args=[wallet.pk])
    assert 'name="currency"' not in admin_client.get(url).content.decode()
    admin_client.post(url, {"currency": "EUR"})
    assert Wallet.objects.get(pk=wallet.pk).currency == "USD"
    assert 'name="currency"' in admin_client.get(reverse("admin:wallet_wallet_add")).content.decode()


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


@pytest.mark.django_db
def test_saving_an_existing_wallet_in_admin_writes_nothing_over_charges_made_meanwhile(admin_client):
    # A full save() would write back the balance (and the day's spend) as the request read them,
    # undoing a charge committed between that read and the write.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    account = account_with("1").account
    wallet = Wallet.objects.get(account=account)
    url = f"/admin/wallet/wallet/{wallet.pk}/change/"
    with CaptureQueriesContext(connection) as captured:
        assert admin_client.post(url, {}).status_code == 302
    assert not [q["sql"] for q in captured.captured_queries if q["sql"].startswith('UPDATE "wallet_wallet"')]
    assert balance_of(account) == 10_000
