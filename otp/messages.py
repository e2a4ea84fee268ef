"""Built-in message texts per channel; custom templates plug in here later (templates_app)."""
from otp.delivery.base import Message

_DEFAULTS = {
    "email": {
        "subject": "Your {app_name} verification code",
        "body": "Your {app_name} verification code is {otp}. It expires in {expiry_minutes} minutes.\n"
        "If you did not ask for it, ignore this message.",
        "html": "<p>Your {app_name} verification code is <strong>{otp}</strong>.</p>"
        "<p>It expires in {expiry_minutes} minutes. If you did not ask for it, ignore this message.</p>",
    },
    "sms": {"body": "{otp} is your {app_name} code. It expires in {expiry_minutes} min."},
    "whatsapp": {"body": "{otp} is your {app_name} verification code. It expires in {expiry_minutes} minutes."},
}


def message_render(
    *, channel: str, to: str, code: str, expiry_minutes: int, app_name: str, session_id: str
) -> Message:
    texts = _DEFAULTS[channel]
    values = {"otp": code, "expiry_minutes": expiry_minutes, "app_name": app_name}
    return Message(
        channel=channel,
        to=to,
        subject=texts.get("subject", "").format(**values),
        body=texts["body"].format(**values),
        html=texts.get("html", "").format(**values),
        session_id=session_id,
        code=code,
    )
