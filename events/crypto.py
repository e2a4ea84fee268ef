"""Endpoint secrets: generated in the Standard Webhooks form and sealed at rest with Fernet.

A secret has to be readable to sign with it (HMAC needs the key itself), so it cannot be hashed
like an API key; it is encrypted instead, so a database dump or backup alone does not leak it.
"""
from __future__ import annotations

import base64
import secrets

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from .conf import webhook_setting

SECRET_PREFIX = "whsec_"  # noqa: S105 (the Standard Webhooks prefix, not a secret)
SECRET_BYTES = 32  # Standard Webhooks asks for 24 to 64 random bytes
_DERIVATION_INFO = b"otpservice events: webhook endpoint secrets"


def secret_generate() -> str:
    """A new `whsec_` + base64 secret, as the standardwebhooks package reads it."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def derived_key(secret_key: str) -> bytes:
    """The Fernet key used when OTP_WEBHOOKS_ENCRYPTION_KEYS is empty (HKDF-SHA256 of SECRET_KEY)."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_DERIVATION_INFO).derive(secret_key.encode())
    return base64.urlsafe_b64encode(raw)


def _keys() -> list[bytes]:
    configured = [key.encode() if isinstance(key, str) else key for key in webhook_setting("OTP_WEBHOOKS_ENCRYPTION_KEYS")]
    return configured or [derived_key(settings.SECRET_KEY)]


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in _keys()])


def secret_seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def secret_open(sealed: str) -> str:
    return _fernet().decrypt(sealed.encode()).decode()
