"""OTP app configuration."""
from django.apps import AppConfig


class OtpConfig(AppConfig):
    name = "otp"
    verbose_name = "OTP sessions"

    def ready(self) -> None:
        from . import (
            admin_templates,  # noqa: F401  (the template editor's send test)
            checks,  # noqa: F401  (registers system checks)
        )
        from .fraud import admin as fraud_admin  # noqa: F401  (the fraud guard's admin pages)
        from .metrics import checks as metrics_checks  # noqa: F401
        from .ratelimits import checks as ratelimit_checks  # noqa: F401
