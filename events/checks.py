"""System check: every configured webhook encryption key is a Fernet key."""
from __future__ import annotations

from cryptography.fernet import Fernet
from django.core import checks

from .conf import webhook_setting


@checks.register(checks.Tags.security)
def encryption_keys_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    keys = webhook_setting("OTP_WEBHOOKS_ENCRYPTION_KEYS")
    if not isinstance(keys, (list, tuple)):
        return [checks.Error("OTP_WEBHOOKS_ENCRYPTION_KEYS must be a list of Fernet keys", id="events.E001")]
    problems = []
    for index, key in enumerate(keys):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            problems.append(
                checks.Error(
                    f"OTP_WEBHOOKS_ENCRYPTION_KEYS[{index}] is not a Fernet key (32 url-safe base64 bytes)",
                    hint="Make one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'",
                    id="events.E002",
                )
            )
    return problems
