"""Live sends carry the account's templates: custom text, the built-in default once it is
deactivated, the send's locale, autofill, and which template served each channel."""
import json

import pytest

from accounts.models import Account

pytestmark = pytest.mark.django_db

SMS = "+14155552671"


def send(api, capture, channels=("email", "sms"), **config):
    recipients = {"email": "ada@example.com", "sms": SMS, "whatsapp": "+447911123456"}
    body = {"channels": list(channels), "recipients": {ch: recipients[ch] for ch in channels}}
    if config:
        body["config"] = config
    with capture(execute=True):
        response = api.post("/api/v1/otp/send", body)
    assert response.status_code == 200, response.json()
    return response.json()


def outbox(path) -> dict[str, dict]:
    return {line["channel"]: line for line in map(json.loads, path.read_text().splitlines())}


def served(api, session_id) -> dict:
    details = api.get(f"/api/v1/otp/sessions/{session_id}").json()["data"]["channel_details"]
    return {channel: detail["template"] for channel, detail in details.items()}


def test_custom_templates_write_the_messages_and_the_session_says_which(
    api, outbox_file, django_capture_on_commit_callbacks
):
    created = api.post(
        "/api/v1/otp/templates",
        {"key": "otp_email", "subject": "Sign in to Acme", "body": "Code {{ otp }}, valid {{ expiry_minutes }} min."},
    )
    assert created.status_code == 201, created.json()
    api.post("/api/v1/otp/templates", {"key": "otp_sms", "body": "Acme: {{ otp }}"})

    sent = send(api, django_capture_on_commit_callbacks)

    messages = outbox(outbox_file)
    assert messages["email"]["subject"] == "Sign in to Acme"
    assert messages["email"]["body"].startswith("Code ") and messages["email"]["body"].endswith(", valid 10 min.")
    assert messages["sms"]["body"].startswith("Acme: ")
    assert served(api, sent["session_id"]) == {
        "email": {"source": "custom", "key": "otp_email", "locale": "", "version": 1},
        "sms": {"source": "custom", "key": "otp_sms", "locale": "", "version": 1},
    }


def test_a_deactivated_template_gives_way_to_the_built_in_default(api, outbox_file, django_capture_on_commit_callbacks):
    api.post("/api/v1/otp/templates", {"key": "otp_sms", "body": "Acme: {{ otp }}"})
    assert api.delete("/api/v1/otp/templates/otp_sms").status_code == 204

    sent = send(api, django_capture_on_commit_callbacks, channels=("sms",))

    assert " is your OTP Service code." in outbox(outbox_file)["sms"]["body"]
    assert served(api, sent["session_id"])["sms"] == {"source": "default", "key": "otp_sms", "locale": "en", "version": None}


def test_the_send_locale_picks_the_built_in_language(api, outbox_file, django_capture_on_commit_callbacks):
    sent = send(api, django_capture_on_commit_callbacks, locale="fr-CA")

    messages = outbox(outbox_file)
    assert messages["email"]["subject"] == "Votre code de vérification OTP Service"
    assert " est votre code OTP Service." in messages["sms"]["body"]
    assert {t["locale"] for t in served(api, sent["session_id"]).values()} == {"fr"}


def test_an_unknown_locale_is_no_error_and_falls_back_to_english(api, outbox_file, django_capture_on_commit_callbacks):
    sent = send(api, django_capture_on_commit_callbacks, channels=("email",), locale="tlh-Latn-XX")
    assert outbox(outbox_file)["email"]["subject"] == "Your OTP Service verification code"
    assert served(api, sent["session_id"])["email"]["locale"] == "en"


def test_sms_carries_the_autofill_line_and_the_android_hash(api, account, outbox_file, django_capture_on_commit_callbacks):
    Account.objects.filter(pk=account.pk).update(webotp_domain="login.example.com")
    send(api, django_capture_on_commit_callbacks, channels=("sms",), android_app_hash="FA+9qCX9VSu")

    lines = outbox(outbox_file)["sms"]["body"].splitlines()
    # WebOTP wants the origin-bound line last; the SMS Retriever finds its hash anywhere.
    assert lines[-1].startswith("@login.example.com #") and "FA+9qCX9VSu" in lines


@pytest.mark.parametrize("value", ["short", "FA+9qCX9VSu1", "FA-9qCX9VSu", 12345678901])
def test_a_malformed_android_hash_is_refused(api, value):
    response = api.post(
        "/api/v1/otp/send",
        {"channels": ["sms"], "recipients": {"sms": SMS}, "config": {"android_app_hash": value}},
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "config.android_app_hash"


def test_sandbox_sessions_record_no_template(sandbox_api):
    sent = sandbox_api.post("/api/v1/otp/send", {"channels": ["sms"], "recipients": {"sms": SMS}}).json()
    assert served(sandbox_api, sent["session_id"]) == {"sms": None}
