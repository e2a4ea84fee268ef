"""System checks for OTP settings and provider credentials."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.core.checks import run_checks

from otp.checks import check_otp_settings

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {"SECRET_KEY": "s" * 40, "OTP_PEPPER": "p" * 40, "OTP_TOKEN_SECRET": "t" * 40}
CREDENTIALS = (
    "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_SMS_FROM", "TWILIO_MESSAGING_SERVICE_SID",
    "TWILIO_WHATSAPP_FROM", "SENDGRID_API_KEY", "SENDGRID_FROM_EMAIL",
)


@pytest.fixture
def no_credentials(settings):
    for name in CREDENTIALS:
        setattr(settings, name, "")
    return settings


def ids(errors) -> list[str]:
    return sorted(error.id for error in errors)


def messages(errors) -> str:
    return "\n".join(error.msg for error in errors)


def test_outbox_delivery_needs_no_credentials(no_credentials):
    no_credentials.OTP = {**no_credentials.OTP, "DELIVERY": "outbox", "DELIVERY_BY_CHANNEL": {}}
    assert check_otp_settings() == []


def test_live_delivery_without_credentials_is_flagged_per_channel(no_credentials):
    no_credentials.OTP = {**no_credentials.OTP, "DELIVERY": "live", "DELIVERY_BY_CHANNEL": {}}
    errors = check_otp_settings()

    assert set(ids(errors)) == {"otp.E004"}
    text = messages(errors)
    for expected in (
        "email is delivered live but SENDGRID_API_KEY is not set",
        "email is delivered live but SENDGRID_FROM_EMAIL is not set",
        "sms is delivered live but TWILIO_AUTH_TOKEN is not set",
        "sms is delivered live but TWILIO_SMS_FROM or TWILIO_MESSAGING_SERVICE_SID is not set",
        "whatsapp is delivered live but TWILIO_WHATSAPP_FROM is not set",
    ):
        assert expected in text


def test_a_channel_made_live_by_override_is_checked_alone(no_credentials):
    no_credentials.OTP = {**no_credentials.OTP, "DELIVERY": "outbox", "DELIVERY_BY_CHANNEL": {"sms": "live"}}
    errors = check_otp_settings()

    assert errors and all(error.msg.startswith("sms is delivered live") for error in errors)


def test_a_messaging_service_stands_in_for_the_sms_sender(no_credentials):
    no_credentials.OTP = {**no_credentials.OTP, "DELIVERY": "outbox", "DELIVERY_BY_CHANNEL": {"sms": "live"}}
    no_credentials.TWILIO_ACCOUNT_SID, no_credentials.TWILIO_AUTH_TOKEN = "AC1", "token"
    no_credentials.TWILIO_MESSAGING_SERVICE_SID = "MG1"
    assert check_otp_settings() == []


def test_live_delivery_with_every_credential_passes(no_credentials):
    no_credentials.OTP = {**no_credentials.OTP, "DELIVERY": "live", "DELIVERY_BY_CHANNEL": {}}
    for name in CREDENTIALS:
        setattr(no_credentials, name, "x")
    assert check_otp_settings() == []


def test_unknown_otp_keys_are_flagged_by_name(settings):
    settings.OTP = {**settings.OTP, "DELIVERY_MAX_TRIEZ": 3, "BCRYPT_ROUND": 4}
    errors = check_otp_settings()

    assert ids(errors) == ["otp.E001"]
    assert "BCRYPT_ROUND, DELIVERY_MAX_TRIEZ" in errors[0].msg


@pytest.mark.parametrize(
    ("otp", "field", "error_id"),
    [
        ({"DELIVERY": "smtp"}, "OTP_DELIVERY", "otp.E003"),
        ({"DELIVERY_BY_CHANNEL": {"sms": "carrier-pigeon"}}, "OTP_DELIVERY_SMS", "otp.E009"),
    ],
)
def test_unknown_delivery_modes_are_flagged(settings, otp, field, error_id):
    settings.OTP = {**settings.OTP, **otp}
    errors = check_otp_settings()
    assert error_id in ids(errors)
    assert field in messages(errors)


def test_unknown_channel_in_delivery_by_channel_is_flagged(settings):
    # A typo here would otherwise leave that channel on the default mode without a word.
    settings.OTP = {**settings.OTP, "DELIVERY_BY_CHANNEL": {"mail": "outbox", "sms": ""}}
    errors = check_otp_settings()
    assert ids(errors) == ["otp.E008"]
    assert "mail" in errors[0].msg


def test_missing_pepper_is_flagged(settings):
    settings.OTP_PEPPER = ""
    assert "OTP_PEPPER is not set" in messages(check_otp_settings())


@pytest.mark.parametrize(
    ("timeout", "lease", "visibility"),
    [(10, 5, 300), (10, 300, 300), (10, 400, 300), (120, 120, 300)],
)
def test_delivery_timings_out_of_order_are_flagged(settings, timeout, lease, visibility):
    settings.PROVIDER_TIMEOUT_SECONDS = timeout
    settings.OTP = {**settings.OTP, "DELIVERY_LEASE_SECONDS": lease}
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": visibility}
    assert "otp.E005" in ids(check_otp_settings())


def test_default_delivery_timings_are_in_order():
    assert "otp.E005" not in ids(check_otp_settings())


def test_the_check_is_registered_with_django(settings):
    settings.OTP = {**settings.OTP, "NOT_A_SETTING": 1}
    assert "otp.E001" in ids(run_checks())
