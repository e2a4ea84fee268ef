"""A first end-to-end pass through send and verify in sandbox mode."""
import pytest


@pytest.mark.django_db
def test_sandbox_send_then_verify_every_channel_verifies_the_session(sandbox_api):
    sent = sandbox_api.post(
        "/api/v1/otp/send",
        {"channels": ["email", "sms"], "recipients": {"email": "a@example.com", "sms": "+14155552671"}},
    )
    assert sent.status_code == 200, sent.json()
    codes = sent.json()["sandbox_otps"]
    verified = sandbox_api.post("/api/v1/otp/verify", {"session_token": sent.json()["session_token"], "otps": codes})
    assert verified.status_code == 200, verified.json()
    assert verified.json()["status"] == "VERIFIED"
