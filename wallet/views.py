"""Read-only wallet API: balance and prices, and the ledger as a paginated list."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from otpservice.api.pagination import paginate
from otpservice.api.schemas import ERRORS
from otpservice.query import query_values

from .selectors import ledger_list, price_map, wallet_get
from .serializers import (
    TransactionFilterSerializer,
    WalletResponseSerializer,
    WalletTransactionListResponseSerializer,
)


class WalletViewSet(viewsets.GenericViewSet):
    @extend_schema(
        operation_id="wallet_retrieve",
        responses={200: WalletResponseSerializer, **ERRORS},
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
        summary = {"wallet": wallet_get(account=request.user), "prices": price_map(account=request.user)}
        return Response(WalletResponseSerializer(summary).data)

    @extend_schema(
        operation_id="wallet_transactions_list",
        parameters=[TransactionFilterSerializer],
        responses={200: WalletTransactionListResponseSerializer, **ERRORS},
    )
    def transactions(self, request: Request) -> Response:
        params = query_values(request.query_params, TransactionFilterSerializer().fields)
        query = TransactionFilterSerializer(data=params)
        query.is_valid(raise_exception=True)
        values = dict(query.validated_data)
        page, limit = values.pop("page"), values.pop("limit")
        result = paginate(ledger_list(account=request.user, **values), page=page, limit=limit)
        return Response(WalletTransactionListResponseSerializer(result).data)
