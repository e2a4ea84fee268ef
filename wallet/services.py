"""Writes of the wallet: top-ups, charges for sends and refunds of failed deliveries.

Every balance change is one conditional UPDATE (never read-modify-write in Python) plus one
ledger row in the same transaction, so the balance always equals the sum of the ledger and no
interleaving of requests can take it below zero.
"""
from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from accounts.models import Account

from .caps import spend_cap_check
from .exceptions import InvalidAmount
from .ledger import add_to_balance, insufficient, post_once
from .models import LedgerEntry, LedgerKind, Wallet
from .money import MoneyError, to_units
from .selectors import price_map, wallet_get

CHARGE_ACTOR = "api"
REFUND_ACTOR = "delivery"


def charge_key(*, session_id, channel: str, generation: int) -> str:
    return f"charge:{session_id}:{channel}:{generation}"


def refund_key(*, session_id, channel: str, generation: int) -> str:
    return f"refund:{session_id}:{channel}:{generation}"


def _units(amount: Decimal) -> int:
    try:
        return to_units(amount)
    except MoneyError as exc:
        raise InvalidAmount(
            f"Invalid amount: {exc}", details={"field": "amount", "errors": {"amount": [str(exc)]}}
        ) from exc


def _wallet_for(account: Account) -> Wallet:
    # get_or_create inserts in a savepoint and re-reads on IntegrityError, so two first top-ups
    # racing for the same account end up with the one wallet.
    wallet, _ = Wallet.objects.get_or_create(account=account)
    return wallet


def _topup_units(amount: Decimal) -> int:
    units = _units(amount)
    if units <= 0:
        raise InvalidAmount("Invalid amount: a top-up must be positive", details={"field": "amount"})
    return units


def wallet_topup(
    *, account: Account, amount: Decimal, actor: str, idempotency_key: str | None = None, note: str = ""
) -> LedgerEntry:
    """Credit a positive amount; a repeat with the same idempotency key credits nothing more."""
    units = _topup_units(amount)
    with transaction.atomic():
        entry, _ = post_once(
            wallet=_wallet_for(account),
            kind=LedgerKind.TOPUP,
            amount=units,
            actor=actor,
            idempotency_key=idempotency_key,
            note=note,
        )
    return entry


def wallet_topup_batch(
    *, wallets: list[Wallet], amount: Decimal, actor: str, batch_key: str, note: str = ""
) -> int:
    """Credit each wallet once per batch (key `{batch_key}:{wallet id}`); how many were credited now.

    A resubmitted batch (the admin form posted twice) credits nothing more and returns 0; the same
    batch with another amount is refused with IdempotencyKeyReused and credits nothing.
    """
    units = _topup_units(amount)
    credited = 0
    with transaction.atomic():
        for wallet in sorted(wallets, key=lambda wallet: wallet.pk):
            _, created = post_once(
                wallet=wallet,
                kind=LedgerKind.TOPUP,
                amount=units,
                actor=actor,
                idempotency_key=f"{batch_key}:{wallet.pk}",
                note=note,
            )
            credited += created
    return credited


def wallet_charge(
    *,
    account: Account,
    session_id,
    generations: dict[str, int],
    actor: str = CHARGE_ACTOR,
    daily_spend_cap: Decimal | None = None,
) -> list[LedgerEntry]:
    """Debit the price of every channel, in the caller's transaction, or raise InsufficientBalance.

    By opaque reference: `session_id` and `generations` (channel name -> code generation, in the
    order the channels are charged). One conditional UPDATE takes the whole amount only if the
    balance covers it; one ledger row per channel follows, keyed by session, channel and
    generation so it cannot repeat. `daily_spend_cap` (currency units, None for none): raise
    DailySpendCapReached when today's charges pass it with this one, the caller's transaction then
    rolling the charge back.
    """
    channels = list(generations)
    prices = price_map(account=account, channels=channels)
    charged = [(channel, prices[channel]) for channel in channels if prices[channel] > 0]
    if not charged:
        return []
    total = sum(price for _, price in charged)
    # No savepoint: this runs inside the send's transaction and its failure fails the send.
    with transaction.atomic(savepoint=False):
        debited = add_to_balance(column="account", value=account.pk, delta=-total, charge=True)
        if debited is not None:
            # Inside the block: the charge is made, so a refusal must roll back the caller's transaction.
            spend_cap_check(spent_today=debited.spent_today, cap=daily_spend_cap)
            entries = _charge_entries(
                wallet_id=debited.wallet_id,
                balance_before=debited.balance + total,
                session_id=session_id,
                charged=charged,
                actor=actor,
                generations=generations,
            )
            return LedgerEntry.objects.bulk_create(entries)
    # Raised outside the block: the refused UPDATE changed nothing, so the caller's transaction
    # stays usable (it may catch this and carry on).
    wallet = wallet_get(account=account)
    raise insufficient(required=total, available=wallet.balance, currency=wallet.currency)


def _charge_entries(*, wallet_id, balance_before, session_id, charged, actor, generations) -> list[LedgerEntry]:
    running = balance_before
    entries = []
    for channel, price in charged:
        running -= price
        entries.append(
            LedgerEntry(
                wallet_id=wallet_id,
                kind=LedgerKind.CHARGE,
                amount=-price,
                balance_after=running,
                session_id=session_id,
                channel=channel,
                actor=actor,
                idempotency_key=charge_key(session_id=session_id, channel=channel, generation=generations[channel]),
            )
        )
    return entries


def wallet_refund_channel(
    *, session_id, channel: str, generation: int, actor: str = REFUND_ACTOR
) -> LedgerEntry | None:
    """Give back what this channel's generation was charged, exactly once.

    By opaque reference (a session id, a channel name, a code generation). None when there is
    nothing to refund: a sandbox or free send, or a refund already made (a failure reported twice,
    by the task and by a provider callback, refunds once).
    """
    key = refund_key(session_id=session_id, channel=channel, generation=generation)
    if LedgerEntry.objects.filter(idempotency_key=_reversal_key(session_id, channel, generation)).exists():
        # A refund was reversed (the message had gone out after all); if it now fails for good,
        # it is owed again, once more and only once.
        key = f"{key}:after-reversal"
    return _counter_once(
        original=(LedgerKind.CHARGE, charge_key(session_id=session_id, channel=channel, generation=generation)),
        kind=LedgerKind.REFUND,
        key=key,
        actor=actor,
        channel=channel,
    )


def wallet_refund_reverse(
    *, session_id, channel: str, generation: int, actor: str = REFUND_ACTOR
) -> LedgerEntry | None:
    """Charge again, once, what a refund gave back for a message that turned out to have gone out.

    None when that generation was never refunded (or its reversal is already posted). Raises
    InsufficientBalance, changing nothing, when the balance cannot cover it: a wallet is never
    overdrawn.
    """
    return _counter_once(
        original=(LedgerKind.REFUND, refund_key(session_id=session_id, channel=channel, generation=generation)),
        kind=LedgerKind.CHARGE,
        key=_reversal_key(session_id, channel, generation),
        actor=actor,
        channel=channel,
        note="Refund reversed: the provider had accepted the message",
    )


def _reversal_key(session_id, channel: str, generation: int) -> str:
    return f"{charge_key(session_id=session_id, channel=channel, generation=generation)}:after-refund"


def _counter_once(
    *, original: tuple[str, str], kind: str, key: str, actor: str, channel: str, note: str = ""
) -> LedgerEntry | None:
    """Post, under `key` and once, the opposite of the entry (kind, key) `original`; None when that
    entry does not exist or the counter-entry was posted before."""
    original_kind, original_key = original
    entry = (
        LedgerEntry.objects.select_related("wallet").filter(kind=original_kind, idempotency_key=original_key).first()
    )
    if entry is None:
        return None
    with transaction.atomic():
        posted, created = post_once(
            wallet=entry.wallet,
            kind=kind,
            amount=-entry.amount,
            actor=actor,
            idempotency_key=key,
            session_id=entry.session_id,
            channel=channel,
            note=note,
        )
    return posted if created else None
