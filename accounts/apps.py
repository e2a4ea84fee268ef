"""Accounts app configuration."""
from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and API keys"

    def ready(self):
        # Connects the signals that drop cached keys when a key, account or policy is saved.
        from . import auth_cache  # noqa: F401
