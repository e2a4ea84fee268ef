"""Read-only wallet API: balance and prices, and the ledger as a paginated list."""
from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from otpservice.api.pagination import paginate
from otpservice.api.schemas import ERRORS, PaginationSchema
from otpservice.api.timestamps import iso
from otpservice.query import PageQuery, query_values

from .models import LedgerEntry, LedgerKind
from .money import format_units
from .selectors import ledger_list, price_map, wallet_get

AMOUNT_HELP = "Decimal string with 4 places, e.g. \"0.0150\"; negative for charges."


class WalletSchema(serializers.Serializer):
    balance = serializers.CharField(help_text="Decimal string with 4 places, e.g. \"10.0000\".")
    currency = serializers.CharField()
    prices = serializers.DictField(child=serializers.CharField(), help_text="Price per message by channel.")


class TransactionSchema(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=LedgerKind.choices)
    amount = serializers.CharField(help_text=AMOUNT_HELP)
    balance_after = serializers.CharField()
    session_id = serializers.UUIDField(allow_null=True)
    channel = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()


class TransactionFilterSerializer(PageQuery):
    kind = serializers.ChoiceField(choices=LedgerKind.choices, required=False)
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)


def transaction_data(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "amount": format_units(entry.amount),
        "balance_after": format_units(entry.balance_after),
        "session_id": str(entry.session_id) if entry.session_id else None,
        "channel": entry.channel or None,
        "created_at": iso(entry.created_at),
    }


class WalletViewSet(viewsets.GenericViewSet):
    @extend_schema(
        operation_id="wallet_retrieve",
        responses={
            200: inline_serializer("WalletResponse", {"success": serializers.BooleanField(), "data": WalletSchema()}),
            **ERRORS,
        },
        examples=[
            OpenApiExample(
                "Wallet",
                value={
                    "success": True,
                    "data": {
                        "balance": "9.9685",
                        "currency": "USD",
                        "prices": {"email": "0.0015", "sms": "0.0150", "whatsapp": "0.0100"},
                    },
                },
                response_only=True,
            )
        ],
    )
    def retrieve(self, request: Request) -> Response:
        wallet = wallet_get(account=request.user)
        prices = price_map(account=request.user)
        data = {
            "balance": format_units(wallet.balance),
            "currency": wallet.currency,
            "prices": {channel: format_units(amount) for channel, amount in prices.items()},
        }
        return Response({"success": True, "data": data})

    @extend_schema(
        operation_id="wallet_transactions_list",
        parameters=[TransactionFilterSerializer],
        responses={
            200: inline_serializer(
                "WalletTransactionListResponse",
                {
                    "success": serializers.BooleanField(),
                    "data": TransactionSchema(many=True),
                    "pagination": PaginationSchema(),
                },
            ),
            **ERRORS,
        },
    )
    def transactions(self, request: Request) -> Response:
        params = query_values(request.query_params, TransactionFilterSerializer().fields)
        query = TransactionFilterSerializer(data=params)
        query.is_valid(raise_exception=True)
        values = dict(query.validated_data)
        page, limit = values.pop("page"), values.pop("limit")
        result = paginate(ledger_list(account=request.user, **values), page=page, limit=limit)
        return Response(
            {
                "success": True,
                "data": [transaction_data(entry) for entry in result.items],
                "pagination": result.pagination,
            }
        )
