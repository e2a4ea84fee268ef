"""Live providers driven through the real Twilio and SendGrid SDKs against local fake servers."""
from __future__ import annotations

import base64
import json
import logging
import socket
import time

import pytest

from otp.delivery.base import DeliveryError, Message, PermanentDeliveryError, TransientDeliveryError
from otp.delivery.sendgrid_email import SendGridEmailProvider
from otp.delivery.twilio_sms import TwilioSmsProvider
from otp.delivery.twilio_whatsapp import TwilioWhatsAppProvider

from .fakes import FakeSendGrid, FakeTwilio

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-auth-token"
CODE = "482913"
SMS = Message(channel="sms", to="+14155550123", body=f"Your code is {CODE}", code=CODE)


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def closed_port_url() -> str:
    # Bind and release a port so nothing is listening on it: the connection is refused.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def sms_provider(base_url: str, **overrides: object) -> TwilioSmsProvider:
    options: dict = {"from_number": "+15005550006", "timeout": 2, **overrides}
    return TwilioSmsProvider(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, api_base_url=base_url, **options)


def whatsapp_provider(base_url: str, **overrides: object) -> TwilioWhatsAppProvider:
    options: dict = {"from_number": "+14155238886", "timeout": 2, **overrides}
    return TwilioWhatsAppProvider(
        account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, api_base_url=base_url, **options
    )


def sendgrid_provider(base_url: str, *, timeout: float = 2) -> SendGridEmailProvider:
    return SendGridEmailProvider(
        api_key="SG.test-key", from_email="codes@example.com", from_name="Acme",
        api_base_url=base_url, timeout=timeout,
    )


EMAIL = Message(
    channel="email", to="ada@example.com", subject="Your Acme code",
    body=f"Your code is {CODE}", html=f"<p>Your code is <b>{CODE}</b></p>", code=CODE,
)


# Twilio SMS --------------------------------------------------------------------------------------


def test_sms_from_number_posts_to_from_and_body_with_basic_auth(fake_twilio: FakeTwilio) -> None:
    result = sms_provider(fake_twilio.url).send(SMS)

    request = fake_twilio.last
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.form == {"To": "+14155550123", "From": "+15005550006", "Body": f"Your code is {CODE}"}
    assert request.headers["authorization"] == basic_auth(ACCOUNT_SID, AUTH_TOKEN)
    assert result.provider == "twilio_sms"
    assert result.message_id == request.response_json["sid"]
    assert result.message_id.startswith("SM")


def test_sms_messaging_service_replaces_from_and_status_callback_is_sent(fake_twilio: FakeTwilio) -> None:
    provider = sms_provider(
        fake_twilio.url, from_number="", messaging_service_sid="MG" + "1" * 32,
        status_callback="https://otp.example.com/webhooks/twilio/status",
    )
    provider.send(SMS)

    form = fake_twilio.last.form
    assert "From" not in form
    assert form["MessagingServiceSid"] == "MG" + "1" * 32
    assert form["StatusCallback"] == "https://otp.example.com/webhooks/twilio/status"
    assert form["Body"] == f"Your code is {CODE}"


def test_sms_per_message_sender_overrides_the_configured_number(fake_twilio: FakeTwilio) -> None:
    message = Message(channel="sms", to="+14155550123", body="Code 1", sender="ACME")
    sms_provider(fake_twilio.url).send(message)

    assert fake_twilio.last.form["From"] == "ACME"


def test_base_url_override_holds_even_when_the_sdk_picks_a_region_from_the_environment(
    fake_twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_REGION", "au1")
    monkeypatch.setenv("TWILIO_EDGE", "sydney")

    sms_provider(fake_twilio.url).send(SMS)

    assert fake_twilio.last.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


def test_twilio_provider_without_any_sender_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="from_number or messaging_service_sid"):
        TwilioSmsProvider(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN)


def test_providers_never_fall_back_to_sdk_environment_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.from-env")

    with pytest.raises(ValueError, match="account_sid and auth_token"):
        TwilioWhatsAppProvider(account_sid="", auth_token="", from_number="+14155238886")
    with pytest.raises(ValueError, match="api_key and from_email"):
        SendGridEmailProvider(api_key="", from_email="codes@example.com")


# Twilio WhatsApp ---------------------------------------------------------------------------------


def test_whatsapp_prefixes_to_and_from_once(fake_twilio: FakeTwilio) -> None:
    provider = whatsapp_provider(fake_twilio.url, from_number="whatsapp:+14155238886")
    message = Message(channel="whatsapp", to="+14155550123", body=f"Your code is {CODE}")
    result = provider.send(message)

    form = fake_twilio.last.form
    assert form == {
        "To": "whatsapp:+14155550123",
        "From": "whatsapp:+14155238886",
        "Body": f"Your code is {CODE}",
    }
    assert result.provider == "twilio_whatsapp"
    assert result.message_id == fake_twilio.last.response_json["sid"]


def test_whatsapp_content_template_is_sent_instead_of_a_body(fake_twilio: FakeTwilio) -> None:
    message = Message(
        channel="whatsapp", to="whatsapp:+14155550123", body="ignored for templates",
        content_sid="HX" + "a" * 32, content_variables={"1": CODE},
    )
    whatsapp_provider(fake_twilio.url).send(message)

    form = fake_twilio.last.form
    assert form["To"] == "whatsapp:+14155550123"
    assert form["ContentSid"] == "HX" + "a" * 32
    assert json.loads(form["ContentVariables"]) == {"1": CODE}
    assert "Body" not in form


# Twilio error mapping ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "error_class"),
    [
        (500, None, TransientDeliveryError),
        (503, None, TransientDeliveryError),
        (429, None, TransientDeliveryError),
        (400, 21211, PermanentDeliveryError),
        (400, 21610, PermanentDeliveryError),
        (401, 20003, PermanentDeliveryError),
    ],
)
def test_twilio_errors_map_to_transient_or_permanent(
    fake_twilio: FakeTwilio, status: int, code: int | None, error_class: type[DeliveryError]
) -> None:
    fake_twilio.enqueue("error", status=status, code=code)

    with pytest.raises(error_class) as caught:
        sms_provider(fake_twilio.url).send(SMS)

    assert caught.value.status == status
    assert str(fake_twilio.last.response_json["code"]) in str(caught.value)
    assert CODE not in str(caught.value)


def test_twilio_rejection_never_quotes_twilio_text_that_echoes_the_body(fake_twilio: FakeTwilio) -> None:
    fake_twilio.enqueue("error", status=400, code=30007, message=f"Filtered: Your code is {CODE}")

    with pytest.raises(PermanentDeliveryError) as caught:
        sms_provider(fake_twilio.url).send(SMS)

    assert "30007" in str(caught.value)
    assert CODE not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__  # Twilio's text stays out of tracebacks too


def test_twilio_hang_is_transient_within_the_timeout(fake_twilio: FakeTwilio) -> None:
    fake_twilio.enqueue("hang", seconds=5)
    started = time.monotonic()

    with pytest.raises(TransientDeliveryError):
        sms_provider(fake_twilio.url, timeout=0.5).send(SMS)

    assert time.monotonic() - started < 3
    assert len(fake_twilio.requests) == 1  # no silent retry by the SDK


def test_twilio_connection_refused_is_transient() -> None:
    with pytest.raises(TransientDeliveryError):
        sms_provider(closed_port_url(), timeout=0.5).send(SMS)


def test_twilio_sdk_logs_no_message_body_even_at_debug(
    fake_twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    # Settings may raise these loggers; lower them all, as a misconfigured deployment would.
    for name in ("", "twilio", "twilio.http_client", "urllib3"):
        caplog.set_level(logging.DEBUG, logger=name)
    # Not code-shaped, so a code-scrubbing log filter cannot hide a leak from this test.
    message = Message(channel="sms", to="+14155550123", body="Unmistakable-body-text")
    sms_provider(fake_twilio.url).send(message)

    assert "BEGIN Twilio API Request" in caplog.text  # the SDK did log the request...
    assert "Unmistakable-body-text" not in caplog.text  # ...but not its body


# SendGrid ----------------------------------------------------------------------------------------


def test_sendgrid_sends_subject_text_html_and_from_and_returns_message_id(
    fake_sendgrid: FakeSendGrid,
) -> None:
    result = sendgrid_provider(fake_sendgrid.url).send(EMAIL)

    request = fake_sendgrid.last
    assert (request.method, request.path) == ("POST", "/v3/mail/send")
    assert request.headers["authorization"] == "Bearer SG.test-key"
    mail = request.json
    assert mail["from"] == {"email": "codes@example.com", "name": "Acme"}
    assert mail["personalizations"][0]["to"] == [{"email": "ada@example.com"}]
    assert mail["subject"] == "Your Acme code"
    assert mail["content"] == [
        {"type": "text/plain", "value": f"Your code is {CODE}"},
        {"type": "text/html", "value": f"<p>Your code is <b>{CODE}</b></p>"},
    ]
    assert result.provider == "sendgrid"
    assert result.message_id == request.response_headers["X-Message-Id"]
    assert result.message_id


def test_sendgrid_message_sender_overrides_the_default(fake_sendgrid: FakeSendGrid) -> None:
    message = Message(channel="email", to="ada@example.com", subject="S", body="text only",
                      from_email="security@brand.example", from_name="Brand")
    sendgrid_provider(fake_sendgrid.url).send(message)

    mail = fake_sendgrid.last.json
    assert mail["from"] == {"email": "security@brand.example", "name": "Brand"}
    assert mail["content"] == [{"type": "text/plain", "value": "text only"}]


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (500, TransientDeliveryError),
        (503, TransientDeliveryError),
        (429, TransientDeliveryError),
        (400, PermanentDeliveryError),
        (401, PermanentDeliveryError),
        (403, PermanentDeliveryError),
    ],
)
def test_sendgrid_errors_map_to_transient_or_permanent(
    fake_sendgrid: FakeSendGrid, status: int, error_class: type[DeliveryError]
) -> None:
    fake_sendgrid.enqueue("error", status=status)

    with pytest.raises(error_class) as caught:
        sendgrid_provider(fake_sendgrid.url).send(EMAIL)

    assert caught.value.status == status
    assert CODE not in str(caught.value)


def test_sendgrid_hang_is_transient_within_the_timeout(fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.enqueue("hang", seconds=5)
    started = time.monotonic()

    with pytest.raises(TransientDeliveryError):
        sendgrid_provider(fake_sendgrid.url, timeout=0.5).send(EMAIL)

    assert time.monotonic() - started < 3


def test_sendgrid_connection_refused_is_transient() -> None:
    with pytest.raises(TransientDeliveryError):
        sendgrid_provider(closed_port_url(), timeout=0.5).send(EMAIL)


# The fakes themselves ----------------------------------------------------------------------------


def test_fake_replies_are_consumed_in_order_and_reset_clears_everything(fake_twilio: FakeTwilio) -> None:
    fake_twilio.enqueue("error", status=503)
    provider = sms_provider(fake_twilio.url)

    with pytest.raises(TransientDeliveryError):
        provider.send(SMS)
    assert provider.send(SMS).message_id.startswith("SM")  # queue empty: success again

    fake_twilio.enqueue("error", status=500, times=3)
    fake_twilio.reset()
    assert fake_twilio.requests == []
    assert provider.send(SMS).message_id.startswith("SM")
