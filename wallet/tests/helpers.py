"""Helpers for the wallet tests: accounts with an exact balance, ledger sums, a failing provider."""
from decimal import Decimal

from django.db.models import Sum
from rest_framework.test import APIClient

from accounts.services import account_create
from otp.delivery.base import PermanentDeliveryError
from wallet.models import LedgerEntry, Wallet
from wallet.services import wallet_topup

RECIPIENTS = {"email": "a@example.com", "sms": "+14155552671", "whatsapp": "+14155552672"}


def client_for(key: str) -> APIClient:
    client = APIClient(HTTP_X_API_KEY=key)
    client.default_format = "json"
    return client


def account_with(balance: str | None, name: str = "Billing"):
    """A fresh account (no wallet at all when balance is None); .account, .live_key, .test_key."""
    created = account_create(name=name)
    if balance is not None:
        wallet_topup(account=created.account, amount=Decimal(balance), actor="test")
    return created


def balance_of(account) -> int:
    return Wallet.objects.filter(account=account).values_list("balance", flat=True).first() or 0


def ledger_sum(account) -> int:
    return LedgerEntry.objects.filter(wallet__account=account).aggregate(total=Sum("amount"))["total"] or 0


def assert_balance_matches_ledger(account) -> None:
    assert balance_of(account) == ledger_sum(account)


def send_body(channels=("email",), recipients=None, **extra) -> dict:
    recipients = recipients or RECIPIENTS
    return {"channels": list(channels), "recipients": {ch: recipients[ch] for ch in channels}, **extra}


class FailingProvider:
    """A provider that refuses every message for good (an invalid number, say)."""

    name = "outbox"

    def send(self, message):
        raise PermanentDeliveryError("Invalid recipient (test)", status=400)
