"""OpenAPI shapes every app's endpoints share: the error envelope and the pagination block."""
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorDetailSchema(serializers.Serializer):
    type = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.DictField()


class ErrorSchema(serializers.Serializer):
    success = serializers.BooleanField()
    error = ErrorDetailSchema()
    message = serializers.CharField()
    code = serializers.CharField()
    details = serializers.DictField()


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSchema, description=description)


ERRORS = {
    400: _error(
        "invalid_request, invalid_json, invalid_recipient, invalid_token, invalid_otp, "
        "destination_not_allowed, number_type_not_allowed"
    ),
    401: _error("authentication_failed"),
    402: _error("insufficient_balance"),
    403: _error("permission_denied: a test key on a resource that holds live data (contacts)"),
    404: _error("session_not_found"),
    409: _error("already_verified, session_cancelled"),
    410: _error("otp_expired"),
    413: _error("payload_too_large"),
    415: _error("unsupported_media_type"),
    422: _error("idempotency_key_reused"),
    423: _error("max_attempts_exceeded"),
    429: _error("rate_limited, resend_cooldown, max_resends_exceeded, daily_spend_cap_reached (with Retry-After)"),
    500: _error("server_error"),
    503: _error("service_unavailable: the rate limiter's cache is unreachable (with Retry-After)"),
}


class PaginationSchema(serializers.Serializer):
    page = serializers.IntegerField()
    limit = serializers.IntegerField()
    total = serializers.IntegerField()
    totalPages = serializers.IntegerField()  # noqa: N815 (the Node SDK's spelling)
