"""System check of the metrics settings: every OTP_METRICS_ALLOW entry is an address or network."""
from django.core.checks import Error, register

from .views import allowed_networks


@register()
def metrics_allow_check(app_configs, **kwargs):
    try:
        allowed_networks()
    except ValueError as exc:
        return [Error(f"OTP_METRICS_ALLOW: {exc}", id="otp.E020")]
    return []
