"""Fixed-point money: amounts are stored as integers of 1/10,000 currency units."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

PLACES = 4
QUANTUM = Decimal(1).scaleb(-PLACES)  # Decimal("0.0001")


class MoneyError(ValueError):
    """An amount that is not a finite decimal with at most four places."""


def to_units(amount: Decimal | str | int) -> int:
    """Decimal("0.0150") -> 150; refuses floats and more than four decimal places."""
    if isinstance(amount, float):
        raise MoneyError("Use Decimal or str for money, never float")
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise MoneyError(f"Not a decimal amount: {amount!r}") from exc
    if not value.is_finite():
        raise MoneyError(f"Not a finite amount: {amount!r}")
    units = value.scaleb(PLACES)
    if units != units.to_integral_value():
        raise MoneyError(f"At most {PLACES} decimal places: {amount!r}")
    return int(units)


def from_units(units: int) -> Decimal:
    """150 -> Decimal("0.0150")."""
    return Decimal(int(units)).scaleb(-PLACES).quantize(QUANTUM)


def format_units(units: int) -> str:
    """150 -> "0.0150", -150 -> "-0.0150": the API's decimal strings with four places."""
    return f"{from_units(units):.{PLACES}f}"
