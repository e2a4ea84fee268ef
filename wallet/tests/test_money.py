"""Money helpers: decimals to 1/10,000 units and back, exactly, with four-place strings."""
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wallet.money import MoneyError, format_units, from_units, to_units


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_units_survive_a_round_trip_through_decimal_and_string(units):
    assert to_units(from_units(units)) == units
    assert to_units(format_units(units)) == units
    assert len(format_units(units).split(".")[1]) == 4


@pytest.mark.parametrize(
    ("amount", "units"), [("0.0015", 15), ("0.015", 150), ("10", 100_000), ("-0.01", -100), (Decimal("1.2300"), 12_300)]
)
def test_decimals_become_units_of_a_ten_thousandth(amount, units):
    assert to_units(amount) == units


@pytest.mark.parametrize("amount", ["0.00001", "abc", "NaN", "Infinity", 0.5])
def test_more_than_four_places_floats_and_non_numbers_are_refused(amount):
    with pytest.raises(MoneyError):
        to_units(amount)


def test_amounts_are_formatted_with_four_places_and_a_sign():
    assert (format_units(0), format_units(150), format_units(-15), format_units(100_000)) == (
        "0.0000", "0.0150", "-0.0015", "10.0000",
    )
