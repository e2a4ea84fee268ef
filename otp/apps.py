"""OTP app configuration."""
from django.apps import AppConfig


class OtpConfig(AppConfig):
    name = "otp"
    verbose_name = "OTP sessions"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers system checks)
        from .ratelimits import checks as ratelimit_checks  # noqa: F401
