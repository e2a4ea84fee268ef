"""Output serializers of the wallet API: they render its responses and are what the schema documents."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from otpservice.api.schemas import PaginationSchema
from otpservice.api.serializers import OptionalCharField, SuccessEnvelope, TimestampField
from otpservice.query import PageQuery

from .models import LedgerKind
from .money import format_units


class AmountField(serializers.CharField):
    """Integer units as a decimal string with 4 places (150 → "0.0150")."""

    def to_representation(self, value) -> str:
        return format_units(value)


class WalletSerializer(serializers.Serializer):
    """Takes {"wallet": Wallet, "prices": {channel: units}}."""

    balance = AmountField(source="wallet.balance", help_text="Decimal string with 4 places, e.g. \"10.0000\".")
    currency = serializers.CharField(source="wallet.currency")
    prices = serializers.DictField(child=AmountField(), help_text="Price per message by channel.")


class WalletResponseSerializer(SuccessEnvelope):
    data = WalletSerializer(source="*")


class TransactionSerializer(serializers.Serializer):
    """A ledger entry."""

    id = serializers.IntegerField(source="pk")
    kind = serializers.ChoiceField(choices=LedgerKind.choices)
    amount = AmountField(help_text="Decimal string with 4 places, e.g. \"0.0150\"; negative for charges.")
    balance_after = AmountField()
    session_id = serializers.UUIDField(allow_null=True)
    channel = OptionalCharField()
    created_at = TimestampField()


# One envelope object, not a list of them: drf-spectacular would wrap a `list` action's response in an array.
@extend_schema_serializer(many=False)
class WalletTransactionListResponseSerializer(SuccessEnvelope):
    data = TransactionSerializer(many=True, source="items")
    pagination = PaginationSchema()


class TransactionFilterSerializer(PageQuery):
    kind = serializers.ChoiceField(choices=LedgerKind.choices, required=False)
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)
