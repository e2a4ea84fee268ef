"""Built-in message texts per channel; custom templates plug in here later (templates_app)."""
import html

from django.conf import settings

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


def _whatsapp_content(values: dict) -> tuple[str, dict[str, str]]:
    """An approved Twilio Content template (needed outside WhatsApp's 24-hour session window):
    its SID and the numbered variables mapped to our values, e.g. {"1": "otp", "2": "expiry_minutes"}."""
    sid = settings.TWILIO_WHATSAPP_CONTENT_SID
    if not sid:
        return "", {}
    mapping = settings.TWILIO_WHATSAPP_CONTENT_VARIABLES
    return sid, {number: str(values[name]) for number, name in mapping.items()}


def message_render(
    *, channel: str, to: str, code: str, expiry_minutes: int, app_name: str, session_id: str
) -> Message:
    texts = _DEFAULTS[channel]
    values = {"otp": code, "expiry_minutes": expiry_minutes, "app_name": app_name}
    html_values = {**values, "app_name": html.escape(app_name)}
    content_sid, content_variables = _whatsapp_content(values) if channel == "whatsapp" else ("", {})
    return Message(
        channel=channel,
        to=to,
        subject=texts.get("subject", "").format(**values),
        body=texts["body"].format(**values),
        html=texts.get("html", "").format(**html_values),
        session_id=session_id,
        content_sid=content_sid,
        content_variables=content_variables,
        code=code,
    )
