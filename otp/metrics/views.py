"""GET /metrics: Prometheus text, for a bearer token or an allowed address (DESIGN §3).

OTP_METRICS_TOKEN (sent as `Authorization: Bearer …`) and OTP_METRICS_ALLOW (addresses or
networks, comma-separated, matched against the client address the rate limits use). With neither
set, only a DEBUG server (make run) answers; production refuses to serve metrics open.
"""
from __future__ import annotations

import hmac
import ipaddress
import os

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from otpservice.errors import AuthenticationFailed, PermissionDenied, ServiceError, error_json_response

from ..conf import otp_setting
from ..ratelimits.views import request_client_address
from .queues import QueueDepthCollector


def allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """OTP_METRICS_ALLOW parsed; a bad entry fails loudly (check otp.E011 reports it at start-up)."""
    entries = [entry.strip() for entry in otp_setting("METRICS_ALLOW").split(",") if entry.strip()]
    return [ipaddress.ip_network(entry, strict=False) for entry in entries]


def _refusal(request) -> ServiceError | None:
    token, networks = otp_setting("METRICS_TOKEN"), allowed_networks()
    if not token and not networks:
        if settings.DEBUG:
            return None
        return PermissionDenied("Metrics are off: set OTP_METRICS_TOKEN or OTP_METRICS_ALLOW")
    sent = request.headers.get("Authorization", "")
    if token and sent.startswith("Bearer ") and hmac.compare_digest(sent[7:].encode(), token.encode()):
        return None
    try:
        address = ipaddress.ip_address(request_client_address(request))
    except ValueError:
        address = None
    if address is not None and any(address in network for network in networks):
        return None
    if token:
        return AuthenticationFailed("A valid metrics bearer token is required")
    return PermissionDenied("This address may not read the metrics")


def metrics_text() -> bytes:
    """Every process's counters (multiprocess mode) or this one's, then the queue depth."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    queues = CollectorRegistry()
    queues.register(QueueDepthCollector())
    return generate_latest(counted) + generate_latest(queues)


@require_GET
def metrics_view(request):
    refusal = _refusal(request)
    if refusal is not None:
        response = error_json_response(refusal)
        if isinstance(refusal, AuthenticationFailed):
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)
