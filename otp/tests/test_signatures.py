"""Webhook signature checks accept what Twilio and SendGrid sign and nothing else."""
from __future__ import annotations

import json

import pytest

from otp.delivery.signatures import sendgrid_signature_valid, twilio_signature_valid

from .fakes import sendgrid_signer, twilio_signature

AUTH_TOKEN = "test-auth-token"
URL = "https://otp.example.com/api/v1/webhooks/twilio/status"
PARAMS = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered", "To": "+14155550123"}


def test_twilio_signature_over_url_and_params_is_accepted() -> None:
    signature = twilio_signature(auth_token=AUTH_TOKEN, url=URL, params=PARAMS)

    assert twilio_signature_valid(auth_token=AUTH_TOKEN, url=URL, params=PARAMS, signature=signature)


@pytest.mark.parametrize(
    ("auth_token", "url", "params"),
    [
        (AUTH_TOKEN, URL, {**PARAMS, "MessageStatus": "failed"}),
        (AUTH_TOKEN, URL, {**PARAMS, "ErrorCode": "30003"}),
        (AUTH_TOKEN, URL, {k: v for k, v in PARAMS.items() if k != "To"}),
        (AUTH_TOKEN, URL + "?session=other", PARAMS),
        (AUTH_TOKEN, "https://evil.example.com/api/v1/webhooks/twilio/status", PARAMS),
        ("another-token", URL, PARAMS),
    ],
    ids=["changed-param", "added-param", "removed-param", "changed-query", "other-host", "other-token"],
)
def test_twilio_signature_rejects_anything_tampered(
    auth_token: str, url: str, params: dict[str, str]
) -> None:
    signature = twilio_signature(auth_token=AUTH_TOKEN, url=URL, params=PARAMS)

    assert not twilio_signature_valid(auth_token=auth_token, url=url, params=params, signature=signature)


def test_twilio_missing_signature_is_rejected() -> None:
    assert not twilio_signature_valid(auth_token=AUTH_TOKEN, url=URL, params=PARAMS, signature="")


def test_twilio_missing_auth_token_is_a_configuration_error_not_an_empty_key() -> None:
    forged = twilio_signature(auth_token=" ", url=URL, params=PARAMS)

    with pytest.raises(ValueError, match="auth token"):
        twilio_signature_valid(auth_token="", url=URL, params=PARAMS, signature=forged)


PAYLOAD = json.dumps(
    [{"event": "delivered", "sg_message_id": "abc.filter", "email": "ada@example.com"}]
).encode()
TIMESTAMP = "1700000000"


def test_sendgrid_signature_from_the_matching_key_is_accepted() -> None:
    signer = sendgrid_signer()
    signature = signer.sign(payload=PAYLOAD, timestamp=TIMESTAMP)

    assert sendgrid_signature_valid(
        public_key=signer.public_key, payload=PAYLOAD, signature=signature, timestamp=TIMESTAMP
    )


@pytest.mark.parametrize(
    ("payload", "timestamp"),
    [
        (PAYLOAD.replace(b"delivered", b"bounce"), TIMESTAMP),
        (PAYLOAD + b" ", TIMESTAMP),
        (PAYLOAD, "1700000001"),
        (PAYLOAD, ""),
        (b"\xff\xfe" + PAYLOAD, TIMESTAMP),
    ],
    ids=["changed-payload", "appended-byte", "changed-timestamp", "no-timestamp", "not-utf8"],
)
def test_sendgrid_signature_rejects_tampered_payload_or_timestamp(payload: bytes, timestamp: str) -> None:
    signer = sendgrid_signer()
    signature = signer.sign(payload=PAYLOAD, timestamp=TIMESTAMP)

    assert not sendgrid_signature_valid(
        public_key=signer.public_key, payload=payload, signature=signature, timestamp=timestamp
    )


@pytest.mark.parametrize(
    "signature", ["", "not base64!!", "c2lnbmF0dXJl"], ids=["empty", "garbage", "not-der"]
)
def test_sendgrid_malformed_signature_is_rejected(signature: str) -> None:
    signer = sendgrid_signer()

    assert not sendgrid_signature_valid(
        public_key=signer.public_key, payload=PAYLOAD, signature=signature, timestamp=TIMESTAMP
    )


def test_sendgrid_signature_from_another_key_is_rejected() -> None:
    signature = sendgrid_signer().sign(payload=PAYLOAD, timestamp=TIMESTAMP)

    assert not sendgrid_signature_valid(
        public_key=sendgrid_signer().public_key, payload=PAYLOAD, signature=signature, timestamp=TIMESTAMP
    )


def test_sendgrid_missing_public_key_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="public key"):
        sendgrid_signature_valid(public_key="", payload=PAYLOAD, signature="x", timestamp=TIMESTAMP)
