"""Provider callbacks take bodies of their real size (up to 1 MB) while the public API keeps 64 KB;
what a signed batch holds never becomes a 500 (issue 8, sections 2 and 8)."""
from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest

from otp.models import ChannelVerification
from otp.tests.delivery_support import AUTH_TOKEN, SENDGRID_EVENTS, TWILIO_STATUS, channel_details, send
from otp.tests.fakes import sendgrid_signer, twilio_signature
from otp.webhooks import PROVIDER_BODY_MAX_BYTES
from otpservice.tests.envelope import assert_error

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

SIGNER = sendgrid_signer()


@pytest.fixture
def sent_email(api, live, settings, django_capture_on_commit_callbacks) -> ChannelVerification:
    settings.SENDGRID_WEBHOOK_PUBLIC_KEY = SIGNER.public_key
    sent = send(api, django_capture_on_commit_callbacks, ["email"])
    return ChannelVerification.objects.get(session_id=sent["session_id"])


@pytest.fixture
def sent_sms(api, live, django_capture_on_commit_callbacks) -> ChannelVerification:
    sent = send(api, django_capture_on_commit_callbacks, ["sms"])
    return ChannelVerification.objects.get(session_id=sent["session_id"])


def sendgrid_post(client, body: bytes):
    timestamp = str(int(time.time()))
    headers = {
        "X-Twilio-Email-Event-Webhook-Signature": SIGNER.sign(payload=body, timestamp=timestamp),
        "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
    }
    return client.generic("POST", SENDGRID_EVENTS, body, content_type="application/json", headers=headers)


def batch_of_size(row: ChannelVerification, size: int) -> bytes:
    """A SendGrid-like batch of about `size` bytes: opens of other messages, then our delivery."""
    other = {"event": "open", "sg_message_id": "other0000000000000000.filter0001", "email": "x@example.com",
             "useragent": "Mozilla/5.0 " + "x" * 150, "timestamp": 1765000000}
    ours = {"event": "delivered", "sg_message_id": f"{row.provider_message_id}.filterdrecv-1", "email": "a@b.c"}
    count = size // len(json.dumps(other))
    return json.dumps([other] * count + [ours]).encode()


def test_a_500_kb_signed_sendgrid_batch_is_accepted_while_the_api_keeps_64_kb(client, api, sent_email):
    body = batch_of_size(sent_email, 500 * 1024)
    assert 490 * 1024 < len(body) < PROVIDER_BODY_MAX_BYTES

    response = sendgrid_post(client, body)

    assert response.status_code == 200, response.content
    assert channel_details(api, str(sent_email.session_id))["email"]["delivery_status"] == "DELIVERED"
    api_body = json.dumps({"channels": ["email"], "recipients": {"email": "a@example.com"}, "metadata": {"k": "x" * 65 * 1024}})
    refused = api.generic("POST", "/api/v1/otp/send", api_body, content_type="application/json")
    assert_error(refused, 413, "payload_too_large")


def test_a_sendgrid_batch_over_1_mb_is_payload_too_large_and_changes_nothing(client, api, sent_email):
    body = batch_of_size(sent_email, PROVIDER_BODY_MAX_BYTES + 1024)

    response = sendgrid_post(client, body)

    body = assert_error(response, 413, "payload_too_large")
    assert body["message"] == "Request body over 1 MB"
    assert channel_details(api, str(sent_email.session_id))["email"]["delivery_status"] == "SENT"


def test_a_twilio_status_callback_over_64_kb_is_accepted(client, api, sent_sms):
    params = {"MessageSid": sent_sms.provider_message_id, "MessageStatus": "delivered", "Body": "x" * 100 * 1024}
    signature = twilio_signature(auth_token=AUTH_TOKEN, url=f"http://testserver{TWILIO_STATUS}", params=params)

    response = client.post(
        TWILIO_STATUS, urlencode(params), content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )

    assert response.status_code == 200, response.content
    assert channel_details(api, str(sent_sms.session_id))["sms"]["delivery_status"] == "DELIVERED"


def test_nul_in_a_signed_sendgrid_event_is_escaped_or_ignored_not_a_500(client, api, sent_email):
    ours = {"event": "bounce", "sg_message_id": f"{sent_email.provider_message_id}.f", "reason": "550\u0000 no"}
    odd = {"event": "bounce", "sg_message_id": "\u0000\ud800.filter", "reason": "x"}

    response = sendgrid_post(client, json.dumps([odd, ours]).encode())

    assert response.status_code == 200, response.content
    detail = channel_details(api, str(sent_email.session_id))["email"]
    assert (detail["delivery_status"], detail["last_error"]) == ("FAILED", "SendGrid bounce: 550\\u0000 no")


def test_nul_in_a_signed_twilio_message_sid_is_ignored_not_a_500(client, sent_sms):
    params = {"MessageSid": "SM\u0000" + "0" * 32, "MessageStatus": "delivered"}
    signature = twilio_signature(auth_token=AUTH_TOKEN, url=f"http://testserver{TWILIO_STATUS}", params=params)

    response = client.post(
        TWILIO_STATUS, urlencode(params), content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )

    assert response.status_code == 200, response.content
    sent_sms.refresh_from_db()
    assert sent_sms.delivery_status == "SENT"


def test_a_signed_sendgrid_batch_nested_thousands_deep_is_invalid_json(client, sent_email):
    response = sendgrid_post(client, b"[" * 50_000 + b"]" * 50_000)

    assert_error(response, 400, "invalid_json")
