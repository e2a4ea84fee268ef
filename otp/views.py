"""Thin DRF viewsets for the OTP endpoints: validate, call one service, render an output serializer."""
from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from otpservice.api.schemas import ERRORS
from otpservice.api.serializers import rendered
from otpservice.errors import InvalidRequest
from otpservice.query import header_token, query_values

from . import selectors, services
from .ratelimits.views import RATE_LIMIT_HEADERS, AccountRateLimitMixin, request_client_address
from .serializers.examples import RESEND_EXAMPLES, SEND_EXAMPLES, VERIFY_EXAMPLES
from .serializers.inputs import ResendSerializer, SendSerializer, SessionFilterSerializer, VerifySerializer
from .serializers.outputs import (
    ResendResponseSerializer,
    SendResponseSerializer,
    SessionListResponseSerializer,
    SessionResponseSerializer,
    VerifyResponseSerializer,
)


def _is_sandbox(request: Request, requested: bool) -> bool:
    return requested or request.auth.is_test


def _replay_body(outcome: services.SendOutcome) -> dict[str, Any]:
    """What a repeat of a send with its Idempotency-Key answers: the first body, without codes."""
    return rendered(SendResponseSerializer, outcome, codes=False)


class OtpViewSet(AccountRateLimitMixin, viewsets.GenericViewSet):
    @extend_schema(
        operation_id="otp_send",
        request=SendSerializer,
        responses={200: SendResponseSerializer, **ERRORS},
        examples=SEND_EXAMPLES,
        parameters=[
            OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False),
            *RATE_LIMIT_HEADERS,
        ],
    )
    def send(self, request: Request) -> Response:
        serializer = SendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        sandbox = _is_sandbox(request, values["sandbox_mode"])
        key = header_token(request.headers, "Idempotency-Key", max_length=255)
        outcome = services.session_send(
            account=request.user,
            recipients=values["recipients"],
            channels=values["channels"],
            config=values["config"],
            metadata=values["metadata"],
            add_contact=values["add_contact"],
            sandbox=sandbox,
            test_key=request.auth.is_test,
            idempotency_key=key,
            fingerprint=services.request_fingerprint(body=request.data, sandbox=sandbox) if key else "",
            client_address=request_client_address(request),
            respond=_replay_body,
        )
        if outcome.replay is not None:
            return Response(outcome.replay, headers={"Idempotent-Replayed": "true"})
        return Response(rendered(SendResponseSerializer, outcome))

    @extend_schema(
        operation_id="otp_verify",
        request=VerifySerializer,
        responses={200: VerifyResponseSerializer, **ERRORS},
        examples=VERIFY_EXAMPLES,
        parameters=RATE_LIMIT_HEADERS,
    )
    def verify(self, request: Request) -> Response:
        serializer = VerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        outcome = services.session_verify(
            account=request.user,
            sandbox_only=request.auth.is_test,
            token=serializer.validated_data["session_token"],
            codes=serializer.validated_data["otps"],
        )
        return Response(rendered(VerifyResponseSerializer, outcome))

    @extend_schema(
        operation_id="otp_resend",
        request=ResendSerializer,
        responses={200: ResendResponseSerializer, **ERRORS},
        examples=RESEND_EXAMPLES,
        parameters=RATE_LIMIT_HEADERS,
    )
    def resend(self, request: Request) -> Response:
        serializer = ResendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        outcome = services.session_resend(
            account=request.user,
            sandbox_only=request.auth.is_test,
            token=serializer.validated_data["session_token"],
            channels=serializer.validated_data.get("channels"),
        )
        return Response(rendered(ResendResponseSerializer, outcome))


class SessionViewSet(viewsets.GenericViewSet):
    lookup_field = "session_id"

    @extend_schema(
        operation_id="otp_sessions_list",
        parameters=[
            SessionFilterSerializer,
            OpenApiParameter(
                "metadata.KEY", str, OpenApiParameter.QUERY, required=False,
                description="Match sessions whose metadata has this string value at KEY (repeatable).",
            ),
        ],
        responses={200: SessionListResponseSerializer, **ERRORS},
    )
    def list(self, request: Request) -> Response:
        params = query_values(request.query_params, SessionFilterSerializer().fields, prefixes=("metadata.",))
        serializer = SessionFilterSerializer(data={key: params[key] for key in params if not key.startswith("metadata.")})
        serializer.is_valid(raise_exception=True)
        metadata = {key[len("metadata.") :]: params[key] for key in params if key.startswith("metadata.")}
        if any(not key for key in metadata):
            raise InvalidRequest("metadata.: a metadata filter needs a key", details={"field": "metadata"})
        page = selectors.session_list(
            account=request.user, sandbox_only=request.auth.is_test, metadata=metadata, **serializer.validated_data
        )
        return Response(rendered(SessionListResponseSerializer, page))

    @extend_schema(operation_id="otp_sessions_retrieve", responses={200: SessionResponseSerializer, **ERRORS})
    def retrieve(self, request: Request, session_id: str) -> Response:
        session = selectors.session_get(account=request.user, sandbox_only=request.auth.is_test, session_id=session_id)
        return Response(rendered(SessionResponseSerializer, session))

    @extend_schema(operation_id="otp_sessions_cancel", request=None, responses={200: SessionResponseSerializer, **ERRORS})
    def cancel(self, request: Request, session_id: str) -> Response:
        scope = {"account": request.user, "sandbox_only": request.auth.is_test}
        session = services.session_cancel(**scope, session_id=session_id)
        session = selectors.session_get(**scope, session_id=str(session.id))
        return Response(rendered(SessionResponseSerializer, session))
