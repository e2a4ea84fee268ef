"""Writes of the OTP flow: send, verify, resend, cancel. Views call these and nothing else."""
from .resend import ResendOutcome, session_cancel, session_resend
from .send import SendOutcome, request_fingerprint, session_send
from .verify import VerifyOutcome, session_verify

__all__ = [
    "ResendOutcome",
    "SendOutcome",
    "VerifyOutcome",
    "request_fingerprint",
    "session_cancel",
    "session_resend",
    "session_send",
    "session_verify",
]
