"""DRF permissions by API key mode: some resources hold live users' data a test key must not reach."""
from rest_framework.permissions import BasePermission

from otpservice.errors import PermissionDenied


class LiveKeyRequired(BasePermission):
    """Refuse test keys (sk_test_) with 403: their world is the sandbox, and contacts are made only
    from live verifications, so nothing here belongs to it (docs/security.md, key modes)."""

    def has_permission(self, request, view) -> bool:
        if request.auth is not None and request.auth.is_test:
            raise PermissionDenied(
                "Permission denied: test keys (sk_test_) cannot reach this resource, which holds live "
                "users' data; use the live key (sk_live_)",
                details={"key_mode": "test"},
            )
        return True
