"""Signed provider callbacks: Twilio status and SendGrid events move sent channels to DELIVERED/FAILED."""
from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest
from django.core.cache import cache

from otp.models import ChannelVerification
from otp.tests.delivery_support import (
    AUTH_TOKEN,
    SENDGRID_EVENTS,
    TWILIO_STATUS,
    channel_details,
    send,
)
from otp.tests.fakes import sendgrid_signer, twilio_signature
from wallet.models import LedgerEntry

pytestmark = pytest.mark.django_db

SIGNER = sendgrid_signer()
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def sent_sms(api, live, django_capture_on_commit_callbacks) -> ChannelVerification:
    sent = send(api, django_capture_on_commit_callbacks, ["sms"])
    row = ChannelVerification.objects.get(session_id=sent["session_id"])
    assert row.delivery_status == "SENT" and row.provider_message_id.startswith("SM")
    return row


@pytest.fixture
def sent_email(api, live, settings, django_capture_on_commit_callbacks) -> ChannelVerification:
    settings.SENDGRID_WEBHOOK_PUBLIC_KEY = SIGNER.public_key
    sent = send(api, django_capture_on_commit_callbacks, ["email"])
    row = ChannelVerification.objects.get(session_id=sent["session_id"])
    assert row.delivery_status == "SENT" and row.provider_message_id
    return row


def snapshot(row: ChannelVerification) -> tuple:
    row.refresh_from_db()
    return row.delivery_status, row.last_error, row.updated_at


def assert_forbidden(response) -> None:
    assert response.status_code == 403, response.content
    body = response.json()
    assert body["success"] is False
    assert (body["error"]["type"], body["error"]["code"]) == ("permission_error", "invalid_signature")
    assert body["code"] == body["error"]["code"]


# --- Twilio status callbacks --------------------------------------------------------------------


def twilio_post(client, params: dict, *, url: str = f"http://testserver{TWILIO_STATUS}", token: str = AUTH_TOKEN,
                signature: str | None = None, **extra):
    if signature is None:
        signature = twilio_signature(auth_token=token, url=url, params=params)
    headers = {"X-Twilio-Signature": signature} if signature else {}
    # Twilio posts a urlencoded form.
    return client.post(TWILIO_STATUS, urlencode(params), content_type=FORM, headers=headers, **extra)


def status(row: ChannelVerification, state: str, **extra) -> dict:
    return {"MessageSid": row.provider_message_id, "MessageStatus": state, "AccountSid": "AC1", **extra}


def test_signed_delivered_status_marks_the_channel_delivered(client, api, sent_sms):
    response = twilio_post(client, status(sent_sms, "delivered"))

    assert response.status_code == 200, response.content
    assert channel_details(api, str(sent_sms.session_id))["sms"]["delivery_status"] == "DELIVERED"


def test_signature_is_checked_over_the_public_base_url_when_it_is_set(client, settings, sent_sms):
    settings.PUBLIC_BASE_URL = "https://otp.example.com/"
    public = f"https://otp.example.com{TWILIO_STATUS}"
    params = status(sent_sms, "delivered")

    assert_forbidden(twilio_post(client, params))  # signed over the internal URL: refused
    assert twilio_post(client, params, url=public).status_code == 200
    assert snapshot(sent_sms)[0] == "DELIVERED"


def test_signature_covers_the_query_string(client, sent_sms):
    params = status(sent_sms, "delivered")
    url = f"http://testserver{TWILIO_STATUS}?attempt=1"
    signature = twilio_signature(auth_token=AUTH_TOKEN, url=url, params=params)

    response = client.post(
        f"{TWILIO_STATUS}?attempt=1", urlencode(params), content_type=FORM, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 200
    assert snapshot(sent_sms)[0] == "DELIVERED"


@pytest.mark.parametrize("state", ["failed", "undelivered"])
def test_failed_or_undelivered_status_marks_the_channel_failed_with_the_error(client, api, sent_sms, state):
    response = twilio_post(client, status(sent_sms, state, ErrorCode="30003"))

    assert response.status_code == 200
    detail = channel_details(api, str(sent_sms.session_id))["sms"]
    assert (detail["delivery_status"], detail["last_error"]) == ("FAILED", "Twilio error 30003")


@pytest.mark.parametrize(
    "signature", ["", "bm90IGEgc2lnbmF0dXJl", "wrong-token"], ids=["missing", "garbage", "other-token"]
)
def test_bad_or_missing_twilio_signature_is_403_and_changes_nothing(client, sent_sms, signature):
    before = snapshot(sent_sms)
    params = status(sent_sms, "failed", ErrorCode="30003")
    if signature == "wrong-token":
        signature = twilio_signature(auth_token="another-token", url=f"http://testserver{TWILIO_STATUS}", params=params)

    assert_forbidden(twilio_post(client, params, signature=signature))
    assert snapshot(sent_sms) == before


def test_tampered_twilio_params_are_403(client, sent_sms):
    before = snapshot(sent_sms)
    signature = twilio_signature(auth_token=AUTH_TOKEN, url=f"http://testserver{TWILIO_STATUS}",
                                 params=status(sent_sms, "delivered"))

    assert_forbidden(twilio_post(client, status(sent_sms, "failed"), signature=signature))
    assert snapshot(sent_sms) == before


def test_unknown_message_sid_is_200_and_changes_nothing(client, sent_sms):
    before = snapshot(sent_sms)
    params = {"MessageSid": "SM" + "f" * 32, "MessageStatus": "failed", "ErrorCode": "30003"}

    assert twilio_post(client, params).status_code == 200
    assert snapshot(sent_sms) == before


def test_twilio_callback_without_a_configured_auth_token_is_403(client, settings, sent_sms):
    before = snapshot(sent_sms)
    params = status(sent_sms, "delivered")
    signature = twilio_signature(auth_token=AUTH_TOKEN, url=f"http://testserver{TWILIO_STATUS}", params=params)
    settings.TWILIO_AUTH_TOKEN = ""

    assert_forbidden(twilio_post(client, params, signature=signature))
    # Nor does a signature keyed with the empty token get in.
    assert_forbidden(twilio_post(client, params, token=""))
    assert snapshot(sent_sms) == before


def test_a_failure_reported_twice_changes_the_row_once_and_refunds_once(client, sent_sms):
    params = status(sent_sms, "undelivered", ErrorCode="30005")
    assert twilio_post(client, params).status_code == 200
    first = snapshot(sent_sms)
    assert twilio_post(client, status(sent_sms, "failed", ErrorCode="30008")).status_code == 200

    assert snapshot(sent_sms) == first == ("FAILED", "Twilio error 30005", first[2])
    refunds = LedgerEntry.objects.filter(session_id=sent_sms.session_id, kind="refund")
    charge = LedgerEntry.objects.get(session_id=sent_sms.session_id, kind="charge")
    assert [entry.amount for entry in refunds] == [-charge.amount]


def test_delivered_after_failed_does_not_resurrect_the_channel(client, sent_sms):
    assert twilio_post(client, status(sent_sms, "failed", ErrorCode="30003")).status_code == 200
    assert twilio_post(client, status(sent_sms, "delivered")).status_code == 200
    assert snapshot(sent_sms)[0] == "FAILED"


# --- SendGrid event webhook ---------------------------------------------------------------------


def sendgrid_post(client, payload, *, timestamp: str | None = None, signature: str | None = None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    timestamp = timestamp or str(int(time.time()))
    if signature is None:
        signature = SIGNER.sign(payload=body, timestamp=timestamp)
    headers = {
        "X-Twilio-Email-Event-Webhook-Signature": signature,
        "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
    }
    return client.generic("POST", SENDGRID_EVENTS, body, content_type="application/json", headers=headers)


def event(row: ChannelVerification, name: str, **extra) -> dict:
    # SendGrid's sg_message_id is the X-Message-Id followed by a filter suffix.
    return {"event": name, "sg_message_id": f"{row.provider_message_id}.filterdrecv-1-2", "email": "a@b.c", **extra}


def test_sendgrid_delivered_event_marks_the_channel_delivered(client, api, sent_email):
    response = sendgrid_post(client, [event(sent_email, "processed"), event(sent_email, "delivered")])

    assert response.status_code == 200, response.content
    assert channel_details(api, str(sent_email.session_id))["email"]["delivery_status"] == "DELIVERED"


@pytest.mark.parametrize("name", ["bounce", "dropped"])
def test_sendgrid_bounce_or_drop_marks_the_channel_failed_with_the_reason(client, api, sent_email, name):
    response = sendgrid_post(client, [event(sent_email, name, reason="550 mailbox unavailable")])

    assert response.status_code == 200
    detail = channel_details(api, str(sent_email.session_id))["email"]
    assert detail["delivery_status"] == "FAILED"
    assert detail["last_error"] == f"SendGrid {name}: 550 mailbox unavailable"


def test_bad_sendgrid_signature_is_403_and_changes_nothing(client, sent_email):
    before = snapshot(sent_email)
    signed_for_other_body = SIGNER.sign(payload=b"[]", timestamp=str(int(time.time())))

    assert_forbidden(sendgrid_post(client, [event(sent_email, "bounce")], signature=signed_for_other_body))
    assert_forbidden(sendgrid_post(client, [event(sent_email, "bounce")], signature=""))
    assert_forbidden(sendgrid_post(client, [event(sent_email, "bounce")], signature="not-base64!"))
    assert snapshot(sent_email) == before


def test_signature_from_another_key_is_403(client, sent_email):
    before = snapshot(sent_email)
    body = json.dumps([event(sent_email, "bounce")]).encode()
    timestamp = str(int(time.time()))
    forged = sendgrid_signer().sign(payload=body, timestamp=timestamp)

    assert_forbidden(sendgrid_post(client, body, timestamp=timestamp, signature=forged))
    assert snapshot(sent_email) == before


def test_stale_but_validly_signed_sendgrid_batch_is_403(client, settings, sent_email):
    before = snapshot(sent_email)
    stale = str(int(time.time()) - settings.SENDGRID_WEBHOOK_MAX_AGE_SECONDS - 5)

    assert_forbidden(sendgrid_post(client, [event(sent_email, "bounce")], timestamp=stale))
    assert snapshot(sent_email) == before


@pytest.mark.parametrize("body", [b"[{not json", b'{"event": "delivered"}'], ids=["broken", "not-a-list"])
def test_validly_signed_malformed_json_is_400(client, sent_email, body):
    response = sendgrid_post(client, body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


def test_unknown_sg_message_id_is_ignored(client, sent_email):
    before = snapshot(sent_email)
    unknown = {"event": "bounce", "sg_message_id": "unknown0000000000000000.filter", "reason": "x"}

    assert sendgrid_post(client, [unknown, {"event": "delivered"}, "junk"]).status_code == 200
    assert snapshot(sent_email) == before


def test_sendgrid_callback_without_a_configured_public_key_is_403(client, settings, sent_email):
    settings.SENDGRID_WEBHOOK_PUBLIC_KEY = ""
    assert_forbidden(sendgrid_post(client, [event(sent_email, "delivered")]))
    assert snapshot(sent_email)[0] == "SENT"


def test_a_bounce_reported_twice_changes_the_row_once_and_refunds_once(client, sent_email):
    assert sendgrid_post(client, [event(sent_email, "bounce", reason="first")]).status_code == 200
    first = snapshot(sent_email)
    assert sendgrid_post(client, [event(sent_email, "dropped", reason="second")]).status_code == 200

    assert snapshot(sent_email) == first == ("FAILED", "SendGrid bounce: first", first[2])
    assert LedgerEntry.objects.filter(session_id=sent_email.session_id, kind="refund").count() == 1
