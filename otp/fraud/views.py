"""Fraud guard API: test recipients, allow and block lists, decisions. Live keys only: these set
what live sends do (a test key that could add a test recipient would learn a live user's code)."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import LiveKeyRequired
from otpservice.api.pagination import paginate
from otpservice.api.schemas import ERRORS
from otpservice.query import query_values

from . import lists, selectors, testrecipients
from .exceptions import FraudEntryNotFound
from .models import FraudListEntry
from .serializers import (
    DecisionFilterSerializer,
    DecisionListResponseSerializer,
    ListEntryInputSerializer,
    ListEntryListResponseSerializer,
    ListEntryResponseSerializer,
    ListFilterSerializer,
    TestRecipientInputSerializer,
    TestRecipientListResponseSerializer,
    TestRecipientResponseSerializer,
)


def _entry_id(value: str) -> int:
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise FraudEntryNotFound()
    return int(value)


def _id_param(name: str) -> OpenApiParameter:
    return OpenApiParameter(name, str, OpenApiParameter.PATH, description="The id the list answered.")


class FraudViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, LiveKeyRequired]


class TestRecipientViewSet(FraudViewSet):
    __test__ = False

    @extend_schema(operation_id="otp_test_recipients_list", responses={200: TestRecipientListResponseSerializer, **ERRORS})
    def list(self, request: Request) -> Response:
        query_values(request.query_params, ())
        rows = selectors.test_recipient_list(account=request.user)
        return Response(TestRecipientListResponseSerializer(rows).data)

    @extend_schema(
        operation_id="otp_test_recipients_create", request=TestRecipientInputSerializer,
        responses={201: TestRecipientResponseSerializer, **ERRORS},
    )
    def create(self, request: Request) -> Response:
        serializer = TestRecipientInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = testrecipients.test_recipient_create(account=request.user, **serializer.validated_data)
        return Response(TestRecipientResponseSerializer(row).data, status=201)

    @extend_schema(
        operation_id="otp_test_recipients_destroy", parameters=[_id_param("test_recipient_id")],
        responses={204: None, **ERRORS},
    )
    def destroy(self, request: Request, test_recipient_id: str) -> Response:
        testrecipients.test_recipient_delete(account=request.user, test_recipient_id=_entry_id(test_recipient_id))
        return Response(status=204)


class ListEntryViewSet(FraudViewSet):
    """The allow list or the block list, by `kind` (the two subclasses below)."""

    kind: str

    @extend_schema(parameters=[ListFilterSerializer], responses={200: ListEntryListResponseSerializer, **ERRORS})
    def list(self, request: Request) -> Response:
        query = ListFilterSerializer(data=query_values(request.query_params, ListFilterSerializer().fields))
        query.is_valid(raise_exception=True)
        page = paginate(selectors.list_entries(account=request.user, kind=self.kind), **query.validated_data)
        return Response(ListEntryListResponseSerializer(page).data)

    @extend_schema(request=ListEntryInputSerializer, responses={201: ListEntryResponseSerializer, **ERRORS})
    def create(self, request: Request) -> Response:
        serializer = ListEntryInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = lists.list_entry_add(account=request.user, kind=self.kind, value=serializer.validated_data["value"])
        return Response(ListEntryResponseSerializer(entry).data, status=201)

    @extend_schema(parameters=[_id_param("entry_id")], responses={204: None, **ERRORS})
    def destroy(self, request: Request, entry_id: str) -> Response:
        lists.list_entry_remove(account=request.user, kind=self.kind, entry_id=_entry_id(entry_id))
        return Response(status=204)


def _named(name: str) -> dict:
    return {action: extend_schema(operation_id=f"otp_{name}_{action}") for action in ("list", "create", "destroy")}


@extend_schema_view(**_named("blocklist"))
class BlocklistViewSet(ListEntryViewSet):
    kind = FraudListEntry.Kind.BLOCK


@extend_schema_view(**_named("allowlist"))
class AllowlistViewSet(ListEntryViewSet):
    kind = FraudListEntry.Kind.ALLOW


class DecisionViewSet(FraudViewSet):
    @extend_schema(
        operation_id="otp_fraud_decisions_list", parameters=[DecisionFilterSerializer],
        responses={200: DecisionListResponseSerializer, **ERRORS},
    )
    def list(self, request: Request) -> Response:
        query = DecisionFilterSerializer(data=query_values(request.query_params, DecisionFilterSerializer().fields))
        query.is_valid(raise_exception=True)
        values = dict(query.validated_data)
        page, limit = values.pop("page"), values.pop("limit")
        result = paginate(selectors.decision_list(account=request.user, **values), page=page, limit=limit)
        return Response(DecisionListResponseSerializer(result).data)
