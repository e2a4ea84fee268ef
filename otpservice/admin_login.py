"""The client address django-axes locks admin sign-ins by: the one the rate limits use."""
from django.http import HttpRequest

from otp.ratelimits.addresses import UNKNOWN
from otp.ratelimits.views import request_client_address


def admin_client_ip(request: HttpRequest) -> str | None:
    """Proxy-aware (TRUSTED_PROXY_COUNT); None when unreadable (e.g. force_login's bare request),
    which axes stores as no address rather than an invalid one."""
    address = request_client_address(request)
    return None if address == UNKNOWN else address
