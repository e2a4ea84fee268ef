"""The balance primitives under every wallet write: one conditional UPDATE plus its ledger row.

wallet.services composes these; nothing else writes a balance.
"""
from __future__ import annotations

from datetime import UTC, date
from typing import NamedTuple

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from otpservice.errors import IdempotencyKeyReused

from .exceptions import InsufficientBalance
from .models import LedgerEntry, LedgerKind, Wallet
from .money import format_units


class Balanced(NamedTuple):
    wallet_id: int
    balance: int
    # Units charged on the UTC day of the change, this change included when it was a charge.
    spent_today: int


def utc_today() -> date:
    return timezone.now().astimezone(UTC).date()


def add_to_balance(*, column: str, value, delta: int, charge: bool = False) -> Balanced | None:
    """balance += delta WHERE column = value AND balance >= -delta, as one statement.

    Returns the wallet id, its new balance and what it was charged today, or None when no wallet
    matched or it would go negative. A `charge` (-delta spent) also adds to the day's spend in the
    same UPDATE, starting the count again on a new UTC day: the daily cap then costs no query and
    no scan of the day's ledger, and concurrent charges of a wallet count each other (the UPDATE
    holds the row until commit). RETURNING (PostgreSQL, SQLite >= 3.35) reads it all in the same
    statement: the ORM's update() cannot, and a second SELECT would add a query to every send.
    """
    meta = Wallet._meta
    field = meta.get_field(column)
    quote = connection.ops.quote_name
    balance, updated_at = quote(meta.get_field("balance").column), quote(meta.get_field("updated_at").column)
    spent_on, spent = quote(meta.get_field("spent_on").column), quote(meta.get_field("spent_that_day").column)
    today = meta.get_field("spent_on").get_db_prep_value(utc_today(), connection)
    params: list = [delta, meta.get_field("updated_at").get_db_prep_value(timezone.now(), connection)]
    spend = ""
    if charge:
        # The day only moves forward: a charge from a process whose clock is a little behind, just
        # after midnight, counts in the day already stored instead of starting yesterday's again.
        later = f"{spent_on} IS NULL OR {spent_on} < %s"
        spend = (f", {spent} = CASE WHEN {later} THEN %s ELSE {spent} + %s END, "
                 f"{spent_on} = CASE WHEN {later} THEN %s ELSE {spent_on} END")
        params += [today, -delta, -delta, today, today]
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {balance} = {balance} + %s, {updated_at} = %s{spend} "  # noqa: S608
        f"WHERE {quote(field.column)} = %s AND {balance} >= %s "
        f"RETURNING {quote(meta.pk.column)}, {balance}, CASE WHEN {spent_on} >= %s THEN {spent} ELSE 0 END"
    )
    params += [field.get_db_prep_value(value, connection), -delta, today]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return Balanced(*row) if row else None


def _apply(*, wallet_id: int, delta: int, charge: bool) -> int | None:
    """Add delta to one wallet; the new balance, or None if it would go negative."""
    result = add_to_balance(column="id", value=wallet_id, delta=delta, charge=charge)
    return None if result is None else result.balance


def insufficient(*, required: int, available: int, currency: str) -> InsufficientBalance:
    return InsufficientBalance(
        f"Insufficient balance: {format_units(required)} {currency} required, "
        f"{format_units(available)} {currency} available",
        details={
            "required": format_units(required),
            "available": format_units(available),
            "currency": currency,
        },
    )


def _existing(*, key: str, wallet: Wallet, kind: str, amount: int) -> LedgerEntry | None:
    entry = LedgerEntry.objects.filter(idempotency_key=key).first()
    if entry is not None and (entry.wallet_id, entry.kind, entry.amount) != (wallet.pk, kind, amount):
        raise IdempotencyKeyReused(details={"idempotency_key": key})
    return entry


def post_once(
    *,
    wallet: Wallet,
    kind: str,
    amount: int,
    actor: str,
    idempotency_key: str | None,
    session_id=None,
    channel: str = "",
    note: str = "",
) -> tuple[LedgerEntry, bool]:
    """Apply one entry; with a key already posted, return that entry and False instead."""
    if idempotency_key:
        existing = _existing(key=idempotency_key, wallet=wallet, kind=kind, amount=amount)
        if existing is not None:
            return existing, False
    try:
        # A savepoint: if a parallel transaction committed the same key first, the unique index
        # refuses our row and the balance change above it is rolled back with it.
        with transaction.atomic():
            # A charge (a refund reversed) counts towards the day's spend like a send's charge.
            balance = _apply(wallet_id=wallet.pk, delta=amount, charge=kind == LedgerKind.CHARGE)
            if balance is None:
                available = Wallet.objects.values_list("balance", flat=True).get(pk=wallet.pk)
                raise insufficient(required=-amount, available=available, currency=wallet.currency)
            entry = LedgerEntry.objects.create(
                wallet=wallet,
                kind=kind,
                amount=amount,
                balance_after=balance,
                session_id=session_id,
                channel=channel,
                actor=actor,
                note=note,
                idempotency_key=idempotency_key or None,
            )
    except IntegrityError:
        existing = idempotency_key and _existing(key=idempotency_key, wallet=wallet, kind=kind, amount=amount)
        if not existing:
            raise
        return existing, False
    wallet.balance = balance
    return entry, True
