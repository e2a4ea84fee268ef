"""The fraud guard's endpoints (test recipients, lists, decisions) and sends to test recipients."""
import logging

import pytest

from otp.fraud.models import FraudDecision, TestRecipient
from otp.fraud.rules import Mode, Rule
from otp.models import ChannelVerification, DeliveryAttempt, OTPSession
from otp.ratelimits.policy import limits_for
from wallet.models import LedgerEntry, Wallet

pytestmark = pytest.mark.django_db

TESTS, BLOCK, ALLOW, DECISIONS = (
    "/api/v1/otp/test-recipients", "/api/v1/otp/blocklist", "/api/v1/otp/allowlist", "/api/v1/otp/fraud-decisions"
)
REVIEWER = "+14155550123"


def balance(account):
    return Wallet.objects.get(account=account).balance


# --- test recipients: the resource ----------------------------------------------------------


def test_a_test_recipient_is_created_listed_and_deleted_and_its_code_is_never_returned(api, account):
    created = api.post(TESTS, {"recipient": REVIEWER, "code": "246810"})
    assert created.status_code == 201
    body = created.json()["data"]
    assert body["recipient"] == REVIEWER and body["kind"] == "phone" and body["code_length"] == 6
    assert "246810" not in created.content.decode()
    listed = api.get(TESTS)
    assert [row["id"] for row in listed.json()["data"]] == [body["id"]] and "246810" not in listed.content.decode()
    stored = TestRecipient.objects.get()
    assert "246810" not in stored.code_sealed  # sealed, not in clear
    assert api.delete(f"{TESTS}/{body['id']}").status_code == 204
    assert api.delete(f"{TESTS}/{body['id']}").status_code == 404
    assert api.delete(f"{TESTS}/not-an-id").status_code == 404


def test_test_recipients_are_at_most_ten_one_per_canonical_recipient_and_validated(api):
    for index in range(10):
        assert api.post(TESTS, {"recipient": f"review{index}@example.com", "code": "1234"}).status_code == 201
    full = api.post(TESTS, {"recipient": "more@example.com", "code": "1234"})
    assert full.status_code == 409 and full.json()["code"] == "test_recipients_limit_reached"
    TestRecipient.objects.filter(recipient="review9@example.com").delete()
    duplicate = api.post(TESTS, {"recipient": "Review0@EXAMPLE.com", "code": "9999"})
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "test_recipient_exists"
    assert api.post(TESTS, {"recipient": "+1234567890", "code": "1234"}).json()["code"] == "invalid_recipient"
    for code in ("123", "123456789", "12a4", 1234):
        assert api.post(TESTS, {"recipient": "x@example.com", "code": code}).status_code == 400
    assert api.post(TESTS, {"recipient": "x@example.com", "code": "1234", "extra": 1}).status_code == 400


def test_the_fraud_resources_refuse_test_keys_and_are_scoped_to_the_account(api, sandbox_api, other_api):
    for path in (TESTS, BLOCK, ALLOW, DECISIONS):
        refused = sandbox_api.get(path)
        assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    assert sandbox_api.post(TESTS, {"recipient": REVIEWER, "code": "1234"}).status_code == 403
    entry = api.post(BLOCK, {"value": "+33"}).json()["data"]
    test = api.post(TESTS, {"recipient": REVIEWER, "code": "1234"}).json()["data"]
    assert other_api.get(BLOCK).json()["data"] == [] and other_api.get(TESTS).json()["data"] == []
    assert other_api.delete(f"{BLOCK}/{entry['id']}").status_code == 404
    assert other_api.delete(f"{TESTS}/{test['id']}").status_code == 404
    assert other_api.post("/api/v1/otp/send", {"channels": ["sms"], "recipients": {"sms": "+33612345678"}}).status_code == 200


# --- lists and decisions --------------------------------------------------------------------


def test_list_entries_are_created_listed_paginated_and_deleted_per_list(api):
    made = api.post(BLOCK, {"value": "@Example.com"})
    assert made.status_code == 201
    assert made.json()["data"]["value"] == "@example.com" and made.json()["data"]["kind"] == "domain"
    assert api.post(BLOCK, {"value": "@example.COM"}).json()["code"] == "list_entry_exists"
    assert api.post(ALLOW, {"value": "@example.com"}).status_code == 201  # the other list is separate
    for value in ("+33", "+44", "ada@example.org"):
        api.post(BLOCK, {"value": value})
    page = api.get(BLOCK, {"page": 2, "limit": 3}).json()
    assert page["pagination"] == {"page": 2, "limit": 3, "total": 4, "totalPages": 2}
    assert [row["value"] for row in page["data"]] == ["@example.com"]
    assert api.get(BLOCK, {"sort": "x"}).status_code == 400
    bad = api.post(BLOCK, {"value": "hello"})
    assert bad.status_code == 400 and bad.json()["details"]["field"] == "value"
    assert api.delete(f"{ALLOW}/{made.json()['data']['id']}").status_code == 404  # not on that list
    assert api.delete(f"{BLOCK}/{made.json()['data']['id']}").status_code == 204


def test_decisions_are_listed_newest_first_and_filtered_by_rule_mode_and_time(api, account, other_api):
    for rule, mode in ((Rule.BLOCKLIST, Mode.BLOCK), (Rule.COUNTRY_BUDGET, Mode.RECORD), (Rule.IP_COUNTRIES, Mode.BLOCK)):
        FraudDecision.objects.create(account=account, rule=rule, mode=mode, country="FR", ip="203.0.113.9",
                                     created_at="2026-01-15T11:00:00Z")
    newest = FraudDecision.objects.create(account=account, rule=Rule.RECIPIENT_SENDS, mode=Mode.BLOCK,
                                          recipient_hash="ab" * 32, created_at="2026-01-16T11:00:00Z")
    everything = api.get(DECISIONS).json()
    assert everything["pagination"]["total"] == 4 and everything["data"][0]["id"] == newest.pk
    assert everything["data"][0] == {
        "id": newest.pk, "rule": "recipient_sends", "mode": "block", "channel": None, "country": None,
        "recipient_hash": "ab" * 32, "ip": None, "detail": None, "created_at": "2026-01-16T11:00:00.000Z",
    }
    assert [d["rule"] for d in api.get(DECISIONS, {"mode": "record"}).json()["data"]] == ["country_budget"]
    assert [d["rule"] for d in api.get(DECISIONS, {"rule": "blocklist"}).json()["data"]] == ["blocklist"]
    assert api.get(DECISIONS, {"created_after": "2026-01-16T00:00:00Z"}).json()["pagination"]["total"] == 1
    assert api.get(DECISIONS, {"rule": "nope"}).status_code == 400
    assert other_api.get(DECISIONS).json()["data"] == []


# --- sends to test recipients ---------------------------------------------------------------


def test_a_live_send_to_a_test_recipient_delivers_nothing_charges_nothing_and_its_code_verifies(
    api, account, published, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.DEBUG)
    api.post(TESTS, {"recipient": REVIEWER, "code": "246810"})
    before = balance(account)
    with django_capture_on_commit_callbacks(execute=True):
        sent = api.post("/api/v1/otp/send", {"channels": ["sms"], "recipients": {"sms": REVIEWER}})
    assert sent.status_code == 200 and sent.json()["sandbox"] is False and "sandbox_otps" not in sent.json()
    assert published == [] and balance(account) == before and not LedgerEntry.objects.filter(kind="charge").exists()
    row = ChannelVerification.objects.get()
    assert (row.delivery_status, row.provider) == ("SENT", "test_recipient")
    assert list(DeliveryAttempt.objects.values_list("provider", "outcome")) == [("test_recipient", "sent")]
    token = sent.json()["session_token"]
    assert api.post("/api/v1/otp/verify", {"session_token": token, "otps": {"sms": "135790"}}).status_code == 400
    verified = api.post("/api/v1/otp/verify", {"session_token": token, "otps": {"sms": "246810"}})
    assert verified.json()["status"] == "VERIFIED"
    assert "246810" not in caplog.text


def test_a_mixed_send_charges_and_queues_only_the_real_recipient_and_resends_keep_the_fixed_code(
    api, account, published, django_capture_on_commit_callbacks, settings
):
    settings.OTP = {**settings.OTP, "RESEND_COOLDOWN_SECONDS": 0}
    api.post(TESTS, {"recipient": "Reviewer@Example.com", "code": "1357"})
    body = {"channels": ["email", "sms"], "recipients": {"email": "reviewer@example.com", "sms": "+14155552671"},
            "config": {"otp_length": 4}}
    with django_capture_on_commit_callbacks(execute=True):
        sent = api.post("/api/v1/otp/send", body)
    assert sent.status_code == 200
    assert list(LedgerEntry.objects.filter(kind="charge").values_list("channel", flat=True)) == ["sms"]
    assert [call["queue"] for call in published] == ["otp.sms"]
    with django_capture_on_commit_callbacks(execute=True):
        resent = api.post("/api/v1/otp/resend", {"session_token": sent.json()["session_token"], "channels": ["email"]})
    assert resent.status_code == 200 and len(published) == 1
    assert LedgerEntry.objects.filter(kind="charge").count() == 1
    verified = api.post("/api/v1/otp/verify", {"session_token": sent.json()["session_token"], "otps": {"email": "1357"}})
    assert verified.status_code == 200 and verified.json()["verified_channels"] == ["email"]


def test_a_send_to_a_test_recipient_with_another_code_length_is_refused_and_leaves_nothing(api):
    api.post(TESTS, {"recipient": REVIEWER, "code": "1234"})
    refused = api.post("/api/v1/otp/send", {"channels": ["sms"], "recipients": {"sms": REVIEWER}})
    assert refused.status_code == 400 and refused.json()["details"]["field"] == "config.otp_length"
    assert not OTPSession.objects.exists()


def test_a_sandbox_send_to_a_test_recipient_is_an_ordinary_sandbox_session(sandbox_api, api):
    api.post(TESTS, {"recipient": REVIEWER, "code": "246810"})
    sent = sandbox_api.post("/api/v1/otp/send", {"channels": ["sms"], "recipients": {"sms": REVIEWER}})
    assert sent.json()["sandbox"] is True and ChannelVerification.objects.get().delivery_status == "SANDBOX"


def test_the_daily_spend_cap_is_on_by_default(account):
    assert str(limits_for(account).daily_spend_cap) == "50"
