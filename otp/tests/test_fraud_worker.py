"""Test recipients through a real Celery worker: the real recipient is delivered, the test one never
reaches a provider and is never charged, and its fixed code verifies."""
import pytest

from otp.models import ChannelVerification
from otp.tests.delivery_support import twilio_code, verify
from otp.tests.worker_support import wait_for
from wallet.models import LedgerEntry

from .test_worker_e2e import broker, workers  # noqa: F401 (the real worker's fixtures)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]


def test_a_test_recipient_beside_a_real_one_reaches_no_provider_and_is_not_charged(
    api, workers, fake_twilio, fake_sendgrid  # noqa: F811
):
    workers.start()
    assert api.post("/api/v1/otp/test-recipients", {"recipient": "reviewer@example.com", "code": "864200"}).status_code == 201
    body = {"channels": ["email", "sms"], "recipients": {"email": "Reviewer@example.com", "sms": "+14155552671"}}
    sent = api.post("/api/v1/otp/send", body).json()

    def sms_sent():
        row = ChannelVerification.objects.get(session_id=sent["session_id"], channel="sms")
        return row.delivery_status == "SENT"

    wait_for(sms_sent, timeout=30, what="the sms to be sent", logs=workers.output)
    email = ChannelVerification.objects.get(session_id=sent["session_id"], channel="email")
    assert (email.delivery_status, email.provider) == ("SENT", "test_recipient")
    assert fake_sendgrid.requests == [] and len(fake_twilio.requests) == 1
    assert list(LedgerEntry.objects.filter(kind="charge").values_list("channel", flat=True)) == ["sms"]
    codes = {"email": "864200", "sms": twilio_code(fake_twilio.requests[0])}
    verified = verify(api, sent["session_token"], codes)
    assert verified.status_code == 200 and verified.json()["status"] == "VERIFIED"
    assert "864200" not in workers.output()
