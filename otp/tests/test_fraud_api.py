"""The fraud guard's rules through the API, each in block and record mode (one process, local cache)."""
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AbusePolicy
from otp.fraud.models import FraudCountryHour, FraudDecision
from otp.fraud.rules import floor_hour
from otp.models import OTPSession

pytestmark = pytest.mark.django_db

SEND, VERIFY, RESEND = "/api/v1/otp/send", "/api/v1/otp/verify", "/api/v1/otp/resend"
US, FR, DE, ES = "+14155552671", "+33612345678", "+4915123456789", "+34612345678"
IP = "198.51.100.7"


@pytest.fixture(autouse=True)
def _roomy_limits(settings):
    """The rate limits stay out of the way: these tests are about the fraud guard."""
    settings.OTP = {
        **settings.OTP, "RATE_RECIPIENT": "1000/h", "RATE_IP": "1000/h", "RATE_SEND": "1000/m",
        "RATE_VERIFY": "1000/m", "RATE_RESEND": "1000/m", "RESEND_COOLDOWN_SECONDS": 0,
    }


def policy(account, **fields):
    AbusePolicy.objects.update_or_create(account=account, defaults=fields)


def send(api, channel="sms", to=US, ip=None, **config):
    body = {"channels": [channel], "recipients": {channel: to}, "config": {"max_attempts": 10, **config}}
    if ip:
        body["metadata"] = {"ip_address": ip}
    return api.post(SEND, body)


def guess(api, sent, channel="sms"):
    return api.post(VERIFY, {"session_token": sent.json()["session_token"], "otps": {channel: "000000"}})


def decisions(**filters):
    return list(FraudDecision.objects.filter(**filters).values_list("rule", "mode"))


# --- failed verifications per recipient, across sessions --------------------------------------


def test_failed_guesses_across_sessions_lock_the_recipient_its_sessions_and_new_sends(
    api, account, django_capture_on_commit_callbacks
):
    policy(account, fraud_failed_verifications=3)
    first, second = send(api, "email", "Ada@Example.com"), send(api, "email", "ada@example.com")
    same_spelling = send(api, "email", "ada@example.com")
    assert guess(api, first, "email").json()["details"]["attempts_remaining"] == 9
    assert guess(api, first, "email").status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        last = guess(api, second, "email")
    # The guess that used the recipient's last one locks its session like a session's last attempt.
    assert last.status_code == 400 and last.json()["details"]["attempts_remaining"] == 0
    assert OTPSession.objects.get(pk=second.json()["session_id"]).status == "LOCKED"
    assert OTPSession.objects.get(pk=same_spelling.json()["session_id"]).status == "LOCKED"  # at once, after commit
    refused = guess(api, first, "email")  # another spelling: locked at its next verify, even unguessed
    assert refused.status_code == 423
    assert refused.json()["details"]["reason"] == "recipient_failed_verifications"
    assert OTPSession.objects.get(pk=first.json()["session_id"]).status == "LOCKED"

    again = send(api, "email", "ADA@example.COM")
    assert again.status_code == 429 and again.json()["code"] == "recipient_locked"
    assert again.json()["details"]["reason"] == "recipient_failed_verifications"
    assert again.json()["details"]["field"] == "recipients.email"
    assert 23 * 3600 < int(again["Retry-After"]) <= 24 * 3600
    resent = api.post(RESEND, {"session_token": first.json()["session_token"]})
    assert resent.json()["code"] == "recipient_locked"
    assert send(api, "email", "bob@example.com").status_code == 200  # only that recipient
    assert ("recipient_failed_verifications", "block") in decisions()
    assert not FraudDecision.objects.filter(recipient_hash__icontains="ada").exists()


def test_the_lock_ends_when_the_oldest_failed_guess_leaves_the_24_hour_window(api, account, time_machine):
    policy(account, fraud_failed_verifications=2)
    time_machine.move_to(timezone.now(), tick=False)
    start = timezone.now()
    sent = send(api)
    guess(api, sent)
    time_machine.move_to(start + timedelta(hours=2), tick=False)
    guess(api, send(api))
    assert send(api).json()["code"] == "recipient_locked"
    time_machine.move_to(start + timedelta(hours=24, seconds=1), tick=False)
    assert send(api).status_code == 200  # one failed guess left in the window: below the cap


def test_record_mode_counts_and_records_failed_guesses_but_blocks_nothing(api, account):
    policy(account, fraud_failed_verifications=2, fraud_failed_verifications_mode="record")
    sent = send(api)
    answers = [guess(api, sent).json()["details"]["attempts_remaining"] for _ in range(4)]
    assert answers == [9, 8, 7, 6]
    assert send(api).status_code == 200
    assert set(decisions()) == {("recipient_failed_verifications", "record")}
    assert FraudDecision.objects.count() >= 3  # two guesses over the cap and the send


def test_with_the_rule_off_failed_guesses_are_not_counted_across_sessions(api, account):
    policy(account, fraud_failed_verifications=1, fraud_failed_verifications_mode="off")
    guess(api, send(api))
    guess(api, send(api))
    assert send(api).status_code == 200 and decisions() == []


# --- sends per recipient --------------------------------------------------------------------


def test_sends_per_canonical_recipient_are_capped_across_sessions(api, account):
    policy(account, fraud_recipient_sends=2)
    assert send(api, "email", "a.d.a+1@gmail.com").status_code == 200
    assert send(api, "email", "ADA@googlemail.com").status_code == 200
    refused = send(api, "email", "ada@gmail.com")
    assert refused.status_code == 429 and refused.json()["code"] == "fraud_blocked"
    assert refused.json()["details"]["reason"] == "recipient_sends"
    assert int(refused["Retry-After"]) > 23 * 3600
    assert OTPSession.objects.count() == 2  # the refused send left nothing behind
    assert send(api, "email", "bob@gmail.com").status_code == 200
    assert decisions() == [("recipient_sends", "block")]


def test_a_resend_counts_as_a_send_and_sms_and_whatsapp_to_one_number_are_one_recipient(api, account):
    policy(account, fraud_recipient_sends=3)
    both = api.post(SEND, {"channels": ["sms", "whatsapp"], "recipients": {"sms": US, "whatsapp": US}})
    assert both.status_code == 200
    assert api.post(RESEND, {"session_token": both.json()["session_token"], "channels": ["sms"]}).status_code == 200
    assert send(api).json()["details"]["reason"] == "recipient_sends"


def test_record_mode_lets_sends_over_the_cap_through_and_records_each(api, account):
    policy(account, fraud_recipient_sends=1, fraud_recipient_sends_mode="record")
    assert [send(api).status_code for _ in range(3)] == [200, 200, 200]
    assert decisions() == [("recipient_sends", "record")] * 2


# --- one IP over phone countries ------------------------------------------------------------


def test_one_ip_reaching_a_fourth_phone_country_is_refused_the_known_ones_still_pass(api, account):
    assert [send(api, to=n, ip=IP).status_code for n in (US, FR, DE)] == [200, 200, 200]
    refused = send(api, to=ES, ip=IP)
    assert refused.status_code == 429 and refused.json()["details"]["reason"] == "ip_countries"
    assert refused.json()["details"]["country"] == "ES"
    assert send(api, to="+33698765432", ip=IP).status_code == 200
    assert send(api, to=ES, ip="198.51.100.8").status_code == 200
    decision = FraudDecision.objects.get()
    assert (decision.rule, decision.mode, decision.country, decision.ip) == ("ip_countries", "block", "ES", IP)


def test_ip_countries_in_record_mode_and_with_a_lower_threshold(api, account):
    policy(account, fraud_ip_countries=1, fraud_ip_countries_mode="record")
    assert [send(api, to=n, ip=IP).status_code for n in (US, FR, DE)] == [200, 200, 200]
    assert decisions() == [("ip_countries", "record")] * 2


def test_an_allowed_recipient_skips_the_adaptive_rules_but_not_the_caps(api, account):
    policy(account, fraud_ip_countries=1, fraud_recipient_sends=1)
    assert api.post("/api/v1/otp/allowlist", {"value": "+34"}).status_code == 201
    assert send(api, to=US, ip=IP).status_code == 200
    assert send(api, to=ES, ip=IP).status_code == 200  # a second country, but allowed
    assert send(api, to=FR, ip=IP).json()["details"]["reason"] == "ip_countries"
    assert send(api, to=ES, ip=IP).json()["details"]["reason"] == "recipient_sends"


# --- the conversion-aware country budget ----------------------------------------------------


def test_the_country_budget_records_by_default_and_blocks_when_switched_to_block(api, account, settings):
    settings.OTP = {**settings.OTP, "FRAUD_COUNTRY_HOUR_MIN": 2}
    numbers = ["+33612345671", "+33612345672", "+33612345673"]
    assert [send(api, to=n).status_code for n in numbers] == [200, 200, 200]
    assert decisions() == [("country_budget", "record")]
    policy(account, fraud_country_budget_mode="block")
    refused = send(api, to="+33612345674")
    assert refused.status_code == 429 and refused.json()["details"]["reason"] == "country_budget"
    assert refused.json()["details"]["country"] == "FR" and refused.json()["details"]["window"] == "1h"
    assert send(api, to=DE).status_code == 200  # another country has its own budget


def test_a_verified_history_raises_the_country_budget(api, account, settings):
    settings.OTP = {**settings.OTP, "FRAUD_COUNTRY_HOUR_MIN": 1, "FRAUD_COUNTRY_DAY_MIN": 1}
    policy(account, fraud_country_budget_mode="block")
    yesterday = floor_hour(timezone.now()) - timedelta(days=1)
    FraudCountryHour.objects.create(account=account, country="FR", hour=yesterday, sent=40, verified=40)
    # Peak 40 verified a day: 0.2 × 40 = 8 unverified an hour, 0.3 × 40 = 12 a day.
    assert [send(api, to=f"+3361234567{i}").status_code for i in range(9)] == [200] * 8 + [429]


def test_a_verified_live_code_counts_for_its_country(api, account, outbox_file, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sent = send(api, to=FR)
    code = outbox_file.read_text().split('"body": "')[1].split("OTP")[0]
    code = "".join(ch for ch in code if ch.isdigit())[:6]
    verified = api.post(VERIFY, {"session_token": sent.json()["session_token"], "otps": {"sms": code}})
    assert verified.json()["status"] == "VERIFIED"
    assert FraudCountryHour.objects.values_list("country", "sent", "verified").get() == ("FR", 1, 1)


# --- lists and high-risk destinations -------------------------------------------------------


def test_a_blocked_prefix_is_403_a_more_specific_allowed_number_passes(api, account, sandbox_api):
    api.post("/api/v1/otp/blocklist", {"value": "+33"})
    refused = send(api, to="+33698765432")
    assert refused.status_code == 403 and refused.json()["code"] == "recipient_blocked"
    assert refused.json()["details"]["reason"] == "blocklist"
    assert send(sandbox_api, to="+33698765432").status_code == 403  # sandbox meets the lists too
    api.post("/api/v1/otp/allowlist", {"value": FR})
    assert send(api, to=FR).status_code == 200
    assert decisions() == [("blocklist", "block")] * 2


def test_blocked_emails_and_domains_match_canonically_and_record_mode_only_records(api, account):
    api.post("/api/v1/otp/blocklist", {"value": "ada@gmail.com"})
    api.post("/api/v1/otp/blocklist", {"value": "@Example.com"})
    assert send(api, "email", "A.D.A+promo@googlemail.com").status_code == 403
    assert send(api, "email", "bob@EXAMPLE.com").status_code == 403
    assert send(api, "email", "bob@example.org").status_code == 200
    policy(account, fraud_blocklist_mode="record")
    assert send(api, "email", "bob@example.com").status_code == 200
    assert decisions(mode="record") == [("blocklist", "record")]


def test_satellite_ranges_are_refused_until_an_operator_allows_them(api, account, sandbox_api):
    refused = send(api, to="+881612345678")
    assert refused.status_code == 400 and refused.json()["code"] == "destination_not_allowed"
    assert refused.json()["details"]["reason"] == "high_risk_destination"
    assert refused.json()["details"]["calling_code"] == "+881"
    assert send(sandbox_api, to="+881612345678").status_code == 400
    assert decisions() == [("high_risk_destination", "block")] * 2
    policy(account, high_risk_destinations_allowed="+881")
    assert send(api, to="+881612345678").status_code == 200
