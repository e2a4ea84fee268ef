"""DRF glue: the account's endpoint limit on every OTP request, and its X-RateLimit-* headers."""
from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from drf_spectacular.utils import OpenApiParameter

from ..fraud.decisions import decisions_kept
from .addresses import client_address
from .guards import account_endpoint_hit
from .limiter import Usage, rate_limited
from .policy import ENDPOINTS


def request_client_address(request: HttpRequest) -> str:
    """The end user's address per TRUSTED_PROXY_COUNT (see addresses.client_address)."""
    return client_address(
        remote_addr=request.META.get("REMOTE_ADDR", ""),
        forwarded_for=request.META.get("HTTP_X_FORWARDED_FOR", ""),
        trusted_proxies=getattr(settings, "TRUSTED_PROXY_COUNT", 0),
    )


class AccountRateLimitMixin:
    """For a viewset whose actions are endpoint names (send, verify, resend).

    Every authenticated request counts, before its body is even parsed, so malformed and failing
    requests (brute force) use up the budget too; the response, error or not, carries the
    headers. Unauthenticated requests (401) have no account and so no headers; nor have 405s.
    """

    ratelimit_usage: Usage | None = None

    def dispatch(self, request, *args, **kwargs):
        # Fraud decisions of a refused request must outlive its rolled-back transaction (otp.fraud.decisions).
        with decisions_kept():
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.action not in ENDPOINTS:
            return  # e.g. a method the endpoint does not have (405): not a request of that endpoint
        usage, rate = account_endpoint_hit(account=request.user, endpoint=self.action)
        self.ratelimit_usage = usage
        if usage is not None and usage.exceeded:
            raise rate_limited(limit="account", scope=self.action, rate=rate, usage=usage)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.ratelimit_usage is not None:
            for name, value in self.ratelimit_usage.headers().items():
                response[name] = value
        return response


def _response_header(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(
        name, int, OpenApiParameter.HEADER, required=False, response=True, description=description
    )


# For extend_schema(parameters=…) of the limited endpoints: the headers every response carries.
RATE_LIMIT_HEADERS = [
    _response_header("X-RateLimit-Limit", "Requests the account may make to this endpoint per window."),
    _response_header("X-RateLimit-Remaining", "Requests left in the current window (0 once refused)."),
    _response_header("X-RateLimit-Reset", "Seconds until the current window ends and the count starts again."),
]
