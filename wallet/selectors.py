"""Reads of wallets, prices and the ledger, always scoped to one account."""
from __future__ import annotations

from datetime import datetime
from types import MappingProxyType

from django.db.models import Q, QuerySet

from accounts.models import Account
from otpservice.process_cache import ProcessCache

from .models import CHANNELS, LedgerEntry, Price, Wallet

# Used only when an operator has deleted a global price row: a missing price must not mean free.
# The data migration seeds the same values as Price rows, which are what admins edit.
FALLBACK_PRICES = {"email": 15, "sms": 150, "whatsapp": 100}


# Every live send and resend charges, so the account's whole price map (all channels, a few ints)
# is cached per process (otpservice.process_cache; docs/security.md says how late a change is).
# Immutable values, so hits copy nothing. Any price saved or deleted empties it: a global row is
# in every account's map, and prices change rarely.
_prices = ProcessCache("prices", copies=False)
_prices.drop_on_change(Price)


def _prices_load(account_id) -> MappingProxyType:
    prices = dict(FALLBACK_PRICES)
    rows = Price.objects.filter(Q(account_id=account_id) | Q(account__isnull=True), channel__in=list(CHANNELS))
    # Global rows first, so an account's override replaces them.
    for row in sorted(rows, key=lambda price: price.account_id is not None):
        prices[row.channel] = row.amount
    return MappingProxyType(prices)


def price_map(*, account: Account, channels: list[str] | None = None) -> dict[str, int]:
    """The account's price in units per channel: its override, else the global default."""
    prices = _prices.get(account.pk, lambda: _prices_load(account.pk))
    return {channel: prices[channel] for channel in (channels if channels is not None else CHANNELS)}


def wallet_get(*, account: Account) -> Wallet:
    """The account's wallet; an unsaved empty one when nothing has created it yet (reads never write)."""
    return Wallet.objects.filter(account=account).first() or Wallet(account=account)


def ledger_list(
    *,
    account: Account,
    kind: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> QuerySet[LedgerEntry]:
    queryset = LedgerEntry.objects.filter(wallet__account=account)
    if kind:
        queryset = queryset.filter(kind=kind)
    if created_after:
        queryset = queryset.filter(created_at__gte=created_after)
    if created_before:
        queryset = queryset.filter(created_at__lt=created_before)
    return queryset.order_by("-created_at", "-id")
