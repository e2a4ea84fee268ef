"""Test recipients' fixed codes sealed at rest: Fernet under a key derived from OTP_PEPPER (HKDF-SHA256).

The code has to be readable again (each send hashes it into the session's row like a generated
one), so it is encrypted rather than hashed; a database dump alone does not reveal it.
"""
from __future__ import annotations

import base64

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_INFO = b"otpservice otp: test recipient codes"


def _fernet() -> Fernet:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(settings.OTP_PEPPER.encode())
    return Fernet(base64.urlsafe_b64encode(raw))


def code_seal(code: str) -> str:
    return _fernet().encrypt(code.encode()).decode()


def code_open(sealed: str) -> str:
    return _fernet().decrypt(sealed.encode()).decode()
