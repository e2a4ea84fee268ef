"""Helpers for delivery tests: live provider settings pointed at the fakes, sends, codes in messages."""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from .fakes import FakeSendGrid, FakeTwilio, RecordedRequest

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-twilio-auth-token"
SMS_FROM = "+15005550006"
WHATSAPP_FROM = "+14155238886"
SENDGRID_API_KEY = "SG.test-key"
SENDGRID_FROM = "codes@example.com"
RECIPIENTS = {"email": "ada@example.com", "sms": "+14155552671", "whatsapp": "+447911123456"}
SEND = "/api/v1/otp/send"
VERIFY = "/api/v1/otp/verify"
TWILIO_STATUS = "/api/v1/webhooks/twilio/status"
SENDGRID_EVENTS = "/api/v1/webhooks/sendgrid/events"
_CODE = re.compile(r"(?<!\d)(\d{4,8})(?!\d)")


@dataclass(frozen=True)
class Fakes:
    twilio: FakeTwilio
    sendgrid: FakeSendGrid


def live_settings(settings, *, twilio_url: str, sendgrid_url: str, **otp) -> None:
    """Every channel live through the real SDKs against the given base URLs; retries nearly instant."""
    settings.OTP = {
        **settings.OTP,
        "DELIVERY": "live",
        "DELIVERY_BY_CHANNEL": {},
        "DELIVERY_RETRY_BASE_SECONDS": 0.001,
        "DELIVERY_RETRY_MAX_SECONDS": 0.01,
        **otp,
    }
    settings.TWILIO_API_BASE_URL = twilio_url
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_SMS_FROM = SMS_FROM
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_WHATSAPP_FROM = WHATSAPP_FROM
    settings.SENDGRID_API_BASE_URL = sendgrid_url
    settings.SENDGRID_API_KEY = SENDGRID_API_KEY
    settings.SENDGRID_FROM_EMAIL = SENDGRID_FROM
    settings.PROVIDER_TIMEOUT_SECONDS = 2.0
    settings.PUBLIC_BASE_URL = ""


@pytest.fixture
def live(settings, fake_twilio: FakeTwilio, fake_sendgrid: FakeSendGrid) -> Fakes:
    """OTP_DELIVERY=live with every provider pointed at its loopback fake."""
    live_settings(settings, twilio_url=fake_twilio.url, sendgrid_url=fake_sendgrid.url)
    return Fakes(twilio=fake_twilio, sendgrid=fake_sendgrid)


@pytest.fixture
def published(monkeypatch) -> list[dict]:
    """What deliver_code publishes (a retry included), recorded instead of run eagerly."""
    from otp.tasks import deliver_code

    calls: list[dict] = []
    monkeypatch.setattr(
        deliver_code, "apply_async", lambda args=None, kwargs=None, **options: calls.append({"kwargs": kwargs, **options})
    )
    return calls


def run_as_worker(row, generation: int = 1, retries: int = 0):
    """The task body as a worker runs it (not eager): a retry is published for later, not rerun inline."""
    from otp.tasks import deliver_code

    kwargs = {"channel_row_id": row.pk, "generation": generation}
    deliver_code.push_request(
        id="worker-task", args=[], kwargs=kwargs, retries=retries, is_eager=False, called_directly=False,
        delivery_info={"exchange": "", "routing_key": f"otp.{row.channel}"},
    )
    try:
        return deliver_code.run(**kwargs)
    finally:
        deliver_code.pop_request()


def send_body(channels, **config) -> dict:
    body = {"channels": list(channels), "recipients": {channel: RECIPIENTS[channel] for channel in channels}}
    return {**body, "config": config} if config else body


def send(client, capture, channels=("sms",), **config) -> dict:
    """POST /otp/send; its on_commit delivery tasks run (eagerly) before this returns."""
    with capture(execute=True):
        response = client.post(SEND, send_body(channels, **config))
    assert response.status_code == 200, response.json()
    return response.json()


def send_queued(client, capture, channels=("sms",), **config) -> tuple[dict, list]:
    """POST /otp/send with its on_commit delivery tasks held back; returns the body and the tasks."""
    with capture(execute=False) as callbacks:
        response = client.post(SEND, send_body(channels, **config))
    assert response.status_code == 200, response.json()
    return response.json(), list(callbacks)


def code_in(text: str) -> str:
    """The one code in a rendered message (the default texts carry no other 4–8 digit run)."""
    match = _CODE.search(text)
    assert match, f"no code in {text!r}"
    return match.group(1)


def leaked(codes, text: str) -> list[str]:
    """The codes that appear in text as a number of their own (not inside a longer digit run)."""
    return sorted(code for code in codes if re.search(rf"(?<!\d){code}(?!\d)", text))


def twilio_code(request: RecordedRequest) -> str:
    return code_in(request.form["Body"])


def sendgrid_code(request: RecordedRequest) -> str:
    text, html = (part["value"] for part in request.json["content"])
    code = code_in(text)
    assert code in html
    return code


def verify(client, token: str, otps: dict[str, str]):
    return client.post(VERIFY, {"session_token": token, "otps": otps})


def channel_details(client, session_id: str) -> dict:
    response = client.get(f"/api/v1/otp/sessions/{session_id}")
    assert response.status_code == 200, response.json()
    return response.json()["data"]["channel_details"]
