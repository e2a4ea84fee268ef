"""Admin forms that take money as decimals and store it as 1/10,000 units."""
from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms

from .models import Price
from .money import format_units, to_units


class UnitsField(forms.DecimalField):
    """Shows units as a 4-place decimal and cleans a decimal back into units."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 4)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return format_units(value)
        return super().prepare_value(value)

    def clean(self, value):
        amount = super().clean(value)
        return None if amount is None else to_units(amount)

    def has_changed(self, initial, data):
        try:
            cleaned = self.clean(data)
        except forms.ValidationError:
            return True
        return initial != cleaned


class PriceForm(forms.ModelForm):
    amount = UnitsField(min_value=Decimal(0), help_text="Price of one message, up to 4 decimal places.")

    class Meta:
        model = Price
        fields = ("account", "channel", "amount")


class TopUpForm(forms.Form):
    amount = forms.DecimalField(
        max_digits=18, decimal_places=4, min_value=Decimal("0.0001"), help_text="Credited to every selected wallet."
    )
    note = forms.CharField(max_length=255, required=False)
    # One per opening of the form, posted as the ledger idempotency key: a double submit credits once.
    token = forms.UUIDField(
        widget=forms.HiddenInput,
        initial=uuid.uuid4,
        error_messages={"required": "This form has expired: start the top-up again from the wallet list."},
    )
