"""Request examples of the OTP endpoints: the docs show them, and schemathesis sends them first."""
from drf_spectacular.utils import OpenApiExample

_TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzaWQiOiIuLi4ifQ.c2lnbmF0dXJl"  # noqa: S105 (a placeholder)
SEND_EXAMPLES = [
    OpenApiExample(
        "Email and SMS, both to be verified",
        value={
            "channels": ["email", "sms"],
            "recipients": {"email": "ada@example.com", "sms": "+14155552671"},
            "config": {"otp_length": 6, "expiry_minutes": 10, "max_attempts": 3, "verification_strategy": "all"},
            "metadata": {"user_id": "42"},
        },
        request_only=True,
    ),
    OpenApiExample(
        "WhatsApp in sandbox mode",
        value={"channels": ["whatsapp"], "recipients": {"whatsapp": "+447911123456"}, "sandbox_mode": True},
        request_only=True,
    ),
]
VERIFY_EXAMPLES = [
    OpenApiExample(
        "Codes for two channels", value={"session_token": _TOKEN, "otps": {"email": "123456", "sms": "654321"}},
        request_only=True,
    ),
]
RESEND_EXAMPLES = [
    OpenApiExample("Only SMS", value={"session_token": _TOKEN, "channels": ["sms"]}, request_only=True),
]
