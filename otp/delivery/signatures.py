"""Webhook signature checks for Twilio status callbacks and SendGrid event webhooks."""
from __future__ import annotations

import binascii
from collections.abc import Mapping

from sendgrid.helpers.eventwebhook import EventWebhook
from twilio.request_validator import RequestValidator


def twilio_signature_valid(*, auth_token: str, url: str, params: Mapping[str, str], signature: str) -> bool:
    """`url` is the full URL Twilio called (scheme, host, path and query); `params` the POST form.

    An empty auth token raises ValueError: an HMAC keyed with nothing is one anybody can forge.
    """
    if not auth_token:
        raise ValueError("Twilio auth token is not configured")
    if not signature:
        return False
    return bool(RequestValidator(auth_token).validate(url, params, signature))


def sendgrid_signature_valid(*, public_key: str, payload: bytes, signature: str, timestamp: str) -> bool:
    """`public_key` is the base64 ECDSA key from SendGrid's settings; `payload` the raw request body.

    A malformed public key raises ValueError: that is our configuration, not the caller's input,
    and must not look like a stream of forged requests.
    """
    if not public_key:
        raise ValueError("SendGrid event webhook public key is not configured")
    webhook = EventWebhook(public_key)
    if not (signature and timestamp):
        return False
    try:
        # The SDK signs timestamp + body as text; bytes that are not UTF-8 cannot have been signed.
        body = payload.decode("utf-8")
        return bool(webhook.verify_signature(body, signature, timestamp))
    except (UnicodeDecodeError, binascii.Error, ValueError):
        return False
