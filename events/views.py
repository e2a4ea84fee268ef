"""Webhooks API: thin DRF actions over the events services and selectors (writes need the live key)."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import LiveKeyRequired
from otpservice.api.schemas import ERRORS
from otpservice.query import query_values

from . import selectors, services
from .serializers import (
    DeliveryListQuery,
    DeliveryListResponseSerializer,
    DeliveryResponseSerializer,
    WebhookCreateSerializer,
    WebhookListResponseSerializer,
    WebhookResponseSerializer,
    WebhookSecretResponseSerializer,
    WebhookUpdateSerializer,
)

WEBHOOK_ID = OpenApiParameter("webhook_id", str, OpenApiParameter.PATH, description="The endpoint's id (a UUID)")
DELIVERY_ID = OpenApiParameter("delivery_id", str, OpenApiParameter.PATH, description="The delivery's id (a UUID)")
WEBHOOK_ERRORS = {
    400: OpenApiResponse(
        ERRORS[400].response,
        description="invalid_request, invalid_json (details.field); invalid_webhook_url (details.reason: "
        "https_required, loopback, private, link_local, metadata, unresolvable, …)",
    ),
    401: ERRORS[401],
    403: OpenApiResponse(ERRORS[403].response, description="permission_denied: a test key (sk_test_) changing a webhook endpoint or redelivering"),
    404: OpenApiResponse(ERRORS[404].response, description="webhook_not_found, delivery_not_found"),
    409: OpenApiResponse(
        ERRORS[409].response, description="webhook_limit_reached, delivery_in_progress, webhook_disabled"
    ),
    413: ERRORS[413],
    415: ERRORS[415],
    500: ERRORS[500],
    503: OpenApiResponse(ERRORS[503].response, description="service_unavailable: the database is unreachable"),
}


def _body(request: Request, serializer_class: type[serializers.Serializer]) -> dict:
    serializer = serializer_class(data=request.data if request.data is not None else {})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _no_query(request: Request) -> None:
    query_values(request.query_params, ())


def _with_secret(created: services.EndpointWithSecret):
    endpoint = created.endpoint
    endpoint.secret = created.secret  # for this answer only; never stored in plain
    return WebhookSecretResponseSerializer(endpoint).data


# Changing where events go, or what is sent again, needs the live key; reading does not: endpoints
# are the account's configuration and a delivery shows its status, never the event's data
# (docs/webhooks.md, key modes).
WRITES = {"create", "partial_update", "destroy", "rotate_secret", "redeliver"}


class WebhookViewSet(viewsets.GenericViewSet):
    def get_permissions(self):
        if self.action in WRITES:
            return [IsAuthenticated(), LiveKeyRequired()]
        return [IsAuthenticated()]

    @extend_schema(operation_id="webhooks_list", responses={200: WebhookListResponseSerializer, **WEBHOOK_ERRORS})
    def list(self, request: Request) -> Response:
        _no_query(request)
        rows = selectors.webhook_list(account=request.user)
        return Response(WebhookListResponseSerializer({"items": rows}).data)

    @extend_schema(
        operation_id="webhooks_create", request=WebhookCreateSerializer,
        responses={201: WebhookSecretResponseSerializer, **WEBHOOK_ERRORS},
    )
    def create(self, request: Request) -> Response:
        _no_query(request)
        created = services.webhook_create(account=request.user, **_body(request, WebhookCreateSerializer))
        return Response(_with_secret(created), status=201)

    @extend_schema(
        operation_id="webhooks_retrieve", parameters=[WEBHOOK_ID],
        responses={200: WebhookResponseSerializer, **WEBHOOK_ERRORS},
    )
    def retrieve(self, request: Request, webhook_id: str) -> Response:
        _no_query(request)
        endpoint = selectors.webhook_get(account=request.user, endpoint_id=webhook_id)
        return Response(WebhookResponseSerializer(endpoint).data)

    @extend_schema(
        operation_id="webhooks_update", parameters=[WEBHOOK_ID], request=WebhookUpdateSerializer,
        responses={200: WebhookResponseSerializer, **WEBHOOK_ERRORS},
    )
    def partial_update(self, request: Request, webhook_id: str) -> Response:
        _no_query(request)
        fields = _body(request, WebhookUpdateSerializer)
        endpoint = services.webhook_update(account=request.user, endpoint_id=webhook_id, fields=fields)
        return Response(WebhookResponseSerializer(endpoint).data)

    @extend_schema(operation_id="webhooks_destroy", parameters=[WEBHOOK_ID], responses={204: None, **WEBHOOK_ERRORS})
    def destroy(self, request: Request, webhook_id: str) -> Response:
        _no_query(request)
        services.webhook_delete(account=request.user, endpoint_id=webhook_id)
        return Response(status=204)

    @extend_schema(
        operation_id="webhooks_rotate_secret", parameters=[WEBHOOK_ID], request=None,
        responses={200: WebhookSecretResponseSerializer, **WEBHOOK_ERRORS},
    )
    def rotate_secret(self, request: Request, webhook_id: str) -> Response:
        _no_query(request)
        created = services.webhook_secret_rotate(account=request.user, endpoint_id=webhook_id)
        return Response(_with_secret(created))

    @extend_schema(
        operation_id="webhooks_deliveries", parameters=[WEBHOOK_ID, DeliveryListQuery],
        responses={200: DeliveryListResponseSerializer, **WEBHOOK_ERRORS},
    )
    def deliveries(self, request: Request, webhook_id: str) -> Response:
        query = DeliveryListQuery(data=query_values(request.query_params, DeliveryListQuery().fields))
        query.is_valid(raise_exception=True)
        page = selectors.delivery_list(account=request.user, endpoint_id=webhook_id, **query.validated_data)
        return Response(DeliveryListResponseSerializer(page).data)

    @extend_schema(
        operation_id="webhooks_redeliver", parameters=[WEBHOOK_ID, DELIVERY_ID], request=None,
        responses={202: DeliveryResponseSerializer, **WEBHOOK_ERRORS},
    )
    def redeliver(self, request: Request, webhook_id: str, delivery_id: str) -> Response:
        _no_query(request)
        delivery = services.delivery_redeliver(account=request.user, endpoint_id=webhook_id, delivery_id=delivery_id)
        return Response(DeliveryResponseSerializer(delivery).data, status=202)
