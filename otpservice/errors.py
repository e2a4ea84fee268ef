"""One exception hierarchy and one DRF exception handler that renders the error envelope."""
from __future__ import annotations

import logging
import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response

logger = logging.getLogger("otpservice.errors")

# The database cannot serve the request: OperationalError is a refused or lost connection, a server
# shutting down or out of connections, a statement timeout, and also a transaction the server
# aborted (a deadlock, a serialization failure); InterfaceError is a connection already closed. All
# are transient, so 503 and retry. DataError, IntegrityError and ProgrammingError are bad input or a
# bug, never "the database is down": they stay a 500 (and input checks keep DataError away).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
DATABASE_RETRY_AFTER_SECONDS = 5
# An aborted transaction (SQLSTATE class 40) may well pass when tried again at once.
TRANSACTION_ABORTED_RETRY_AFTER_SECONDS = 1


class ServiceError(Exception):
    """A domain error with a stable code; apps subclass it in their own exceptions.py."""

    status_code = 400
    code = "invalid_request"
    type = "validation_error"
    message = "Invalid request"

    def __init__(
        self,
        message: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        retry_after: float | None = None,
        code: str | None = None,
        status_code: int | None = None,
        type: str | None = None,
    ) -> None:
        self.message = message or self.message
        self.code = code or self.code
        self.status_code = status_code or self.status_code
        self.type = type or self.type
        self.details = details or {}
        self.retry_after = retry_after
        super().__init__(self.message)


class InvalidRequest(ServiceError):
    pass


class InvalidJSON(ServiceError):
    code = "invalid_json"
    message = "Malformed JSON in request body"


class UnsupportedMediaType(ServiceError):
    status_code = 415
    code = "unsupported_media_type"
    message = "Unsupported media type: send application/json"


class PayloadTooLarge(ServiceError):
    status_code = 413
    code = "payload_too_large"
    message = "Request body over 64 KB"


class AuthenticationFailed(ServiceError):
    status_code = 401
    code = "authentication_failed"
    type = "authentication_error"
    message = "Invalid API key"


class PermissionDenied(ServiceError):
    status_code = 403
    code = "permission_denied"
    type = "permission_error"
    message = "Permission denied"


class NotFound(ServiceError):
    status_code = 404
    code = "not_found"
    type = "not_found_error"
    message = "Not found"


def path_not_found(path: str) -> NotFound:
    """The answer to a path no route matches (DEBUG on or off)."""
    return NotFound(
        f"Not found: no endpoint at {path} (the API is under /api/v1/; see /api/docs/)", details={"path": path}
    )


class MethodNotAllowed(ServiceError):
    status_code = 405
    code = "method_not_allowed"
    message = "Method not allowed"


class IdempotencyKeyReused(ServiceError):  # noqa: N818 (named by its error code, like the others)
    # Shared: a send's Idempotency-Key and a ledger entry's key are refused alike (otp, wallet).
    status_code = 422
    code = "idempotency_key_reused"
    message = "Idempotency key reused with a different request"


class RateLimited(ServiceError):
    status_code = 429
    code = "rate_limited"
    type = "rate_limit_error"
    message = "Rate limit exceeded"


class ServiceUnavailable(ServiceError):
    status_code = 503
    code = "service_unavailable"
    type = "server_error"
    message = "Service temporarily unavailable"


def error_body(*, type: str, code: str, message: str, details: dict[str, Any]) -> dict[str, Any]:
    """The envelope of DESIGN.md §6, with the top-level mirror the Node SDK reads."""
    return {
        "success": False,
        "error": {"type": type, "code": code, "message": message, "details": details},
        "message": message,
        "code": code,
        "details": details,
    }


def error_json_response(error: ServiceError) -> JsonResponse:
    """The envelope as a plain Django response, for views outside DRF."""
    response = JsonResponse(
        error_body(type=error.type, code=error.code, message=error.message, details=error.details),
        status=error.status_code,
    )
    if error.retry_after is not None:
        response["Retry-After"] = str(max(1, math.ceil(error.retry_after)))
    return response


def error_response(error: ServiceError) -> Response:
    response = Response(
        error_body(type=error.type, code=error.code, message=error.message, details=error.details),
        status=error.status_code,
    )
    if error.retry_after is not None:
        response["Retry-After"] = str(max(1, math.ceil(error.retry_after)))
    return response


# Field error codes that keep their own name in the envelope; every other one is invalid_request.
PUBLIC_FIELD_CODES = {"invalid_recipient"}


def _from_validation_error(exc: drf.ValidationError) -> ServiceError:
    errors = _flatten(exc.detail)
    field = next(iter(errors), None)
    first = errors[field][0] if field else "Invalid request"
    code = _first_code(exc.get_codes(), field)
    message = f"{field}: {first}" if field and field != "non_field_errors" else str(first)
    if code in PUBLIC_FIELD_CODES:
        message = f"Invalid recipient: {message}"
    else:
        code = "invalid_request"
    return InvalidRequest(message, details={"field": field, "errors": errors}, code=code)


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error detail into {"recipients.sms": ["…"]}."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            # A nested serializer's own errors (e.g. recipients not an object) belong to its field.
            path = prefix if key == "non_field_errors" and prefix else f"{prefix}.{key}" if prefix else str(key)
            out.update(_flatten(value, path))
        return out
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {prefix or "non_field_errors": [str(item) for item in detail]}
        out = {}
        for index, item in enumerate(detail):
            out.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return out
    return {prefix or "non_field_errors": [str(detail)]}


def _first_code(codes: Any, field: str | None) -> str:
    """The code DRF attached to the first error, following the flattened field path."""
    node = codes
    for part in (field or "").split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
    while isinstance(node, (list, dict)):
        if not node:
            return "invalid_request"
        node = node[0] if isinstance(node, list) else next(iter(node.values()))
    return str(node)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception of an API view becomes the envelope."""
    error = error_for(exc, context.get("request"))
    view = context.get("view")
    if not isinstance(exc, drf.MethodNotAllowed) or view is None:
        return error_response(error)
    # DRF sets the Allow header itself; OPTIONS, which it lists, is refused too (no metadata class).
    error.details = {"allowed": [method for method in view.allowed_methods if method != "OPTIONS"]}
    return error_response(error)


def error_for(exc: Exception, request: Any) -> ServiceError:
    """The ServiceError an exception answers as; anything unforeseen is a logged server_error."""
    error: ServiceError
    if isinstance(exc, ServiceError):
        error = exc
    elif isinstance(exc, drf.ValidationError):
        error = _from_validation_error(exc)
    elif isinstance(exc, drf.UnsupportedMediaType):
        error = UnsupportedMediaType()
    elif isinstance(exc, RequestDataTooBig):
        # DRF reads request.body before our parser sees the stream, so Django's limit fires first.
        error = PayloadTooLarge()
    elif isinstance(exc, drf.ParseError):
        error = InvalidJSON()
    elif isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
        error = AuthenticationFailed(
            "Invalid API key"
            if isinstance(exc, drf.AuthenticationFailed)
            else "Invalid API key: send it in the X-API-Key header"
        )
    elif isinstance(exc, (drf.PermissionDenied, DjangoPermissionDenied)):
        error = PermissionDenied()
    elif isinstance(exc, (drf.NotFound, Http404)):
        error = NotFound()
    elif isinstance(exc, drf.MethodNotAllowed):
        error = MethodNotAllowed(f"Method {request.method} not allowed")
    elif isinstance(exc, drf.NotAcceptable):
        error = InvalidRequest(
            "Not acceptable: this API answers application/json", code="not_acceptable", status_code=406
        )
    elif isinstance(exc, drf.Throttled):
        error = RateLimited(retry_after=exc.wait)
    elif isinstance(exc, DATABASE_UNAVAILABLE):
        error = _database_unavailable(exc, getattr(request, "request_id", ""))
    else:
        request_id = getattr(request, "request_id", "") if request is not None else ""
        logger.exception("Unhandled error (request %s)", request_id)
        error = ServiceError(
            f"Internal server error; quote request id {request_id}",
            details={"request_id": request_id},
            code="server_error",
            status_code=500,
            type="server_error",
        )
    return error


def _database_unavailable(exc: Exception, request_id: str) -> ServiceUnavailable:
    """Nothing the client sent is wrong and trying again may work. Django closes the broken
    connection when the request ends, so the next request reconnects by itself."""
    sqlstate = getattr(exc.__cause__, "sqlstate", None) or ""
    if sqlstate.startswith("40"):
        # Transient, but the lock order of every path should rule deadlocks out: a sign of a path
        # that takes its locks in another order, so logged with the traceback that names it.
        logger.error("Database aborted the transaction (SQLSTATE %s, request %s)", sqlstate, request_id, exc_info=exc)
        return ServiceUnavailable(
            "Service temporarily unavailable: the database aborted the transaction; retry",
            details={"dependency": "database", "reason": "transaction_aborted"},
            retry_after=TRANSACTION_ABORTED_RETRY_AFTER_SECONDS,
        )
    # An outage is the operator's to see once per request, not a traceback per request.
    logger.warning("Database unavailable (%s %s, request %s)", type(exc).__name__, sqlstate or "-", request_id)
    return ServiceUnavailable(
        "Service temporarily unavailable: the database cannot be reached; retry shortly",
        details={"dependency": "database", "reason": "unreachable"},
        retry_after=DATABASE_RETRY_AFTER_SECONDS,
    )
