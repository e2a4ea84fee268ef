"""Rate limits and abuse controls through the API, on the local-memory cache (one process)."""
import socket
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AbusePolicy
from otp.models import OTPSession
from wallet.models import Wallet

pytestmark = pytest.mark.django_db

SMS = "+14155552671"
T0 = datetime(2026, 1, 15, 11, 0, tzinfo=UTC)


@pytest.fixture
def otp_settings(settings):
    """otp_settings(RATE_SEND="3/m", …) overrides keys of the OTP dict for this test."""

    def apply(**values):
        settings.OTP = {**settings.OTP, **values}

    return apply


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return lambda seconds: time_machine.move_to(T0 + timedelta(seconds=seconds), tick=False)


def send(client, sms=SMS, key=None, **extra):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post("/api/v1/otp/send", {"channels": ["sms"], "recipients": {"sms": sms}, **extra}, **headers)


def limit_headers(response):
    return {name: response.headers.get(name) for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")}


# --- the account's endpoint limit and its headers ------------------------------------------------


def test_headers_count_down_then_the_account_limit_answers_429_with_retry_after(sandbox_api, otp_settings, clock):
    otp_settings(RATE_SEND="3/m")
    responses = [send(sandbox_api) for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["2", "1", "0", "0"]
    assert {r.headers["X-RateLimit-Limit"] for r in responses} == {"3"}
    resets = {int(r.headers["X-RateLimit-Reset"]) for r in responses}
    assert len(resets) == 1 and 1 <= resets.pop() <= 60  # the clock is frozen: one window
    refused = responses[-1]
    body = refused.json()
    assert body["code"] == body["error"]["code"] == "rate_limited"
    assert body["error"]["type"] == "rate_limit_error"
    assert body["details"] | {"retry_after_seconds": 0} == {
        "limit": "account", "scope": "send", "rate": "3/m", "retry_after_seconds": 0
    }
    assert refused.headers["Retry-After"] == refused.headers["X-RateLimit-Reset"]
    assert body["details"]["retry_after_seconds"] == int(refused.headers["Retry-After"])


def test_the_window_resets_exactly_when_x_ratelimit_reset_says(sandbox_api, otp_settings, clock):
    otp_settings(RATE_VERIFY="2/m")
    bad = {"session_token": "nope", "otps": {"sms": "123456"}}
    first = sandbox_api.post("/api/v1/otp/verify", bad)
    reset = int(first.headers["X-RateLimit-Reset"])
    sandbox_api.post("/api/v1/otp/verify", bad)
    assert sandbox_api.post("/api/v1/otp/verify", bad).status_code == 429
    clock(reset - 1)
    assert sandbox_api.post("/api/v1/otp/verify", bad).status_code == 429
    clock(reset)
    again = sandbox_api.post("/api/v1/otp/verify", bad)
    assert again.status_code == 400
    assert again.headers["X-RateLimit-Remaining"] == "1"
    assert again.headers["X-RateLimit-Reset"] == "60"  # a fresh one-minute window


def test_error_responses_carry_the_headers_and_count(api, otp_settings):
    otp_settings(RATE_VERIFY="5/m")
    invalid_token = api.post("/api/v1/otp/verify", {"session_token": "nope", "otps": {"sms": "123456"}})
    malformed = api.post("/api/v1/otp/verify", "{not json", content_type="application/json")
    unknown_field = api.post("/api/v1/otp/verify", {"session_token": "x", "otps": {"sms": "1"}, "typo": 1})
    assert [r.status_code for r in (invalid_token, malformed, unknown_field)] == [400, 400, 400]
    assert [r.headers["X-RateLimit-Remaining"] for r in (invalid_token, malformed, unknown_field)] == ["4", "3", "2"]


def test_each_endpoint_has_its_own_account_limit(sandbox_api, otp_settings):
    otp_settings(RATE_SEND="2/m", RATE_VERIFY="7/m", RATE_RESEND="4/m")
    sent = send(sandbox_api)
    verify = sandbox_api.post("/api/v1/otp/verify", {"session_token": sent.json()["session_token"], "otps": {"sms": "1"}})
    resend = sandbox_api.post("/api/v1/otp/resend", {"session_token": sent.json()["session_token"]})
    assert limit_headers(sent)["X-RateLimit-Limit"] == "2"
    assert limit_headers(verify)["X-RateLimit-Limit"] == "7"
    assert limit_headers(resend)["X-RateLimit-Limit"] == "4"
    assert [h["X-RateLimit-Remaining"] for h in map(limit_headers, (sent, verify, resend))] == ["1", "6", "3"]


def test_the_account_limit_is_per_account(sandbox_api, account_keys, otp_settings):
    from conftest import _client, funded_account

    otp_settings(RATE_SEND="1/m")
    other = _client(funded_account("Other").test_key)
    assert send(sandbox_api).status_code == 200
    assert send(sandbox_api).status_code == 429
    assert send(other).status_code == 200


def test_unauthenticated_and_wrong_method_responses_have_no_headers(client, api):
    unauthenticated = client.post("/api/v1/otp/send", {}, content_type="application/json")
    wrong_method = api.get("/api/v1/otp/send")
    assert (unauthenticated.status_code, wrong_method.status_code) == (401, 405)
    assert "X-RateLimit-Limit" not in unauthenticated.headers
    assert "X-RateLimit-Limit" not in wrong_method.headers


def test_session_endpoints_are_not_limited_and_carry_no_headers(api, otp_settings):
    otp_settings(RATE_SEND="1/m")
    response = api.get("/api/v1/otp/sessions")
    assert response.status_code == 200
    assert "X-RateLimit-Limit" not in response.headers


# --- per recipient and per IP ----------------------------------------------------------------------


def test_the_sixth_send_to_one_recipient_within_five_minutes_is_429(api):
    responses = [send(api) for _ in range(6)]
    assert [r.status_code for r in responses] == [200] * 5 + [429]
    body = responses[-1].json()
    assert body["details"]["limit"] == "recipient"
    assert body["details"]["scope"] == "recipients.sms"
    assert body["details"]["rate"] == "5/5m"
    assert 1 <= int(responses[-1].headers["Retry-After"]) <= 300
    # The refusal still carries (and counted in) the account's endpoint headers.
    assert responses[-1].headers["X-RateLimit-Remaining"] == "94"
    assert OTPSession.objects.count() == 5
    assert send(api, sms="+14155552672").status_code == 200


def test_a_refused_send_creates_nothing_and_charges_nothing(api, account, otp_settings):
    otp_settings(RATE_RECIPIENT="1/5m")
    assert send(api).status_code == 200
    balance = Wallet.objects.get(account=account).balance
    assert send(api).status_code == 429
    assert Wallet.objects.get(account=account).balance == balance
    assert OTPSession.objects.count() == 1


def test_an_idempotent_replay_sends_nothing_and_counts_nothing(api, otp_settings):
    otp_settings(RATE_RECIPIENT="1/5m")
    first = send(api, key="k-1")
    replays = [send(api, key="k-1") for _ in range(3)]
    assert {r.status_code for r in [first, *replays]} == {200}
    assert {r.json()["session_id"] for r in replays} == {first.json()["session_id"]}
    assert send(api, key="k-2").status_code == 429  # the one real send used the budget


def test_recipient_limits_are_per_account(api, other_api, otp_settings):
    otp_settings(RATE_RECIPIENT="1/5m")
    assert send(api).status_code == 200
    assert send(api).status_code == 429
    assert send(other_api).status_code == 200


def test_recipient_limits_count_each_channel_of_a_multi_channel_send(api, otp_settings):
    otp_settings(RATE_RECIPIENT="1/5m")
    both = {"channels": ["email", "sms"], "recipients": {"email": "a@example.com", "sms": SMS}}
    assert api.post("/api/v1/otp/send", both).status_code == 200
    again = api.post("/api/v1/otp/send", {"channels": ["email"], "recipients": {"email": "a@EXAMPLE.COM"}})
    assert again.status_code == 429
    assert again.json()["details"]["scope"] == "recipients.email"  # the normalized address counted


def test_metadata_ip_address_is_the_end_user_ip(api, otp_settings):
    otp_settings(RATE_IP="2/h")
    numbers = [f"+1415555{n:04d}" for n in range(2671, 2675)]
    meta = {"ip_address": "198.51.100.9"}
    statuses = [send(api, sms=number, metadata=meta).status_code for number in numbers[:3]]
    assert statuses == [200, 200, 429]
    refused = send(api, sms=numbers[3], metadata=meta).json()
    assert refused["details"] | {"retry_after_seconds": 0} == {
        "limit": "ip", "scope": "metadata.ip_address", "rate": "2/h", "retry_after_seconds": 0
    }
    assert send(api, sms=numbers[3], metadata={"ip_address": "198.51.100.10"}).status_code == 200


def test_without_a_valid_metadata_ip_the_client_address_is_limited(api, otp_settings):
    otp_settings(RATE_IP="2/h")
    numbers = [f"+1415555{n:04d}" for n in range(2671, 2674)]
    assert send(api, sms=numbers[0]).status_code == 200
    assert send(api, sms=numbers[1], metadata={"ip_address": "not-an-ip"}).status_code == 200
    refused = send(api, sms=numbers[2])
    assert refused.status_code == 429
    assert refused.json()["details"]["scope"] == "client_address"


def test_behind_a_trusted_proxy_a_spoofed_forwarded_for_prefix_does_not_reset_the_ip_limit(api, otp_settings, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    otp_settings(RATE_IP="2/h")
    numbers = [f"+1415555{n:04d}" for n in range(2671, 2676)]

    def via_proxy(number, spoofed, client="203.0.113.5"):
        return api.post(
            "/api/v1/otp/send",
            {"channels": ["sms"], "recipients": {"sms": number}},
            HTTP_X_FORWARDED_FOR=f"{spoofed}, {client}",
            REMOTE_ADDR="10.0.0.2",
        )

    statuses = [via_proxy(number, f"192.0.2.{i}").status_code for i, number in enumerate(numbers[:4])]
    assert statuses == [200, 200, 429, 429]
    # Another real client behind the same proxy has its own budget.
    assert via_proxy(numbers[4], "192.0.2.1", client="203.0.113.6").status_code == 200


def test_ipv6_clients_are_limited_by_their_64(api, otp_settings):
    otp_settings(RATE_IP="1/h")
    first = send(api, metadata={"ip_address": "2001:db8:1:2::1"})
    second = send(api, sms="+14155552672", metadata={"ip_address": "2001:db8:1:2:ffff::9"})
    assert (first.status_code, second.status_code) == (200, 429)


# --- sandbox, resend, per-account overrides --------------------------------------------------------


def test_sandbox_skips_recipient_and_ip_limits_but_counts_against_the_endpoint_limit(sandbox_api, otp_settings):
    otp_settings(RATE_RECIPIENT="1/5m", RATE_IP="1/h", RATE_SEND="8/m")
    responses = [send(sandbox_api, metadata={"ip_address": "198.51.100.9"}) for _ in range(9)]
    assert [r.status_code for r in responses] == [200] * 8 + [429]
    assert responses[-1].json()["details"]["limit"] == "account"


def test_sandbox_mode_flag_on_a_live_key_also_skips_recipient_limits(api, otp_settings):
    otp_settings(RATE_RECIPIENT="1/5m")
    assert [send(api, sandbox_mode=True).status_code for _ in range(3)] == [200] * 3
    assert send(api).status_code == 200  # the live budget was untouched by sandbox sends


def test_a_live_resend_counts_against_the_recipient_limit(api, otp_settings):
    otp_settings(RATE_RECIPIENT="2/5m", RESEND_COOLDOWN_SECONDS=0)
    token = send(api).json()["session_token"]
    assert api.post("/api/v1/otp/resend", {"session_token": token}).status_code == 200
    refused = api.post("/api/v1/otp/resend", {"session_token": token})
    assert refused.status_code == 429
    assert refused.json()["details"]["limit"] == "recipient"
    assert OTPSession.objects.get().resend_count == 1  # the refused resend changed nothing


def test_a_sandbox_resend_skips_the_recipient_limit(sandbox_api, otp_settings):
    otp_settings(RATE_RECIPIENT="1/5m", RESEND_COOLDOWN_SECONDS=0)
    token = send(sandbox_api).json()["session_token"]
    assert [sandbox_api.post("/api/v1/otp/resend", {"session_token": token}).status_code for _ in range(3)] == [200] * 3


def test_per_account_overrides_replace_the_global_defaults(api, other_api, account):
    AbusePolicy.objects.create(account=account, recipient_rate="2/m", send_rate="50/m")
    statuses = [send(api).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert send(api, sms="+14155552672").headers["X-RateLimit-Limit"] == "50"
    # Another account keeps the defaults.
    assert [send(other_api).status_code for _ in range(3)] == [200] * 3
    assert send(other_api).headers["X-RateLimit-Limit"] == "100"


def test_blank_override_fields_fall_back_to_the_settings(api, account, otp_settings):
    otp_settings(RATE_SEND="7/m")
    AbusePolicy.objects.create(account=account, recipient_rate="9/m")
    assert send(api).headers["X-RateLimit-Limit"] == "7"


# --- destination controls and the daily spend cap -----------------------------------------------


def test_premium_rate_numbers_are_refused_before_counting_or_charging(api, account):
    balance = Wallet.objects.get(account=account).balance
    refused = send(api, sms="+19005551234")
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "number_type_not_allowed"
    assert body["details"]["number_type"] == "PREMIUM_RATE"
    assert body["details"]["field"] == "recipients.sms"
    assert Wallet.objects.get(account=account).balance == balance
    assert OTPSession.objects.count() == 0


def test_sandbox_sends_follow_the_destination_rules_too(sandbox_api):
    assert send(sandbox_api, sms="+442071838750").json()["code"] == "number_type_not_allowed"


def test_allowed_countries_are_per_account_and_per_channel(api, account):
    AbusePolicy.objects.create(account=account, sms_destinations="US, CA", whatsapp_destinations="+44")
    refused = send(api, sms="+447911123456")
    assert refused.status_code == 400
    assert refused.json()["code"] == "destination_not_allowed"
    assert refused.json()["details"]["calling_code"] == "+44"
    ok = api.post("/api/v1/otp/send", {"channels": ["whatsapp"], "recipients": {"whatsapp": "+447911123456"}})
    assert ok.status_code == 200
    wrong = api.post("/api/v1/otp/send", {"channels": ["whatsapp"], "recipients": {"whatsapp": SMS}})
    assert wrong.json()["code"] == "destination_not_allowed"


def test_an_account_can_allow_fixed_lines(api, account):
    AbusePolicy.objects.create(account=account, allowed_number_types="MOBILE, FIXED_LINE_OR_MOBILE, FIXED_LINE")
    assert send(api, sms="+442071838750").status_code == 200


def test_the_daily_spend_cap_refuses_the_send_that_would_pass_it(api, account):
    AbusePolicy.objects.create(account=account, daily_spend_cap=Decimal("0.0300"))  # two SMS at 0.0150
    wallet = Wallet.objects.get(account=account)
    before = wallet.balance
    numbers = ["+14155552671", "+14155552672", "+14155552673"]
    responses = [send(api, sms=number) for number in numbers]
    assert [r.status_code for r in responses] == [200, 200, 429]
    body = responses[-1].json()
    assert body["code"] == "daily_spend_cap_reached"
    assert body["error"]["type"] == "rate_limit_error"
    assert body["details"]["daily_spend_cap"] == "0.0300"
    assert int(responses[-1].headers["Retry-After"]) <= 24 * 3600
    wallet.refresh_from_db()
    assert wallet.balance == before - 2 * 150
    assert OTPSession.objects.count() == 2  # the refused send was rolled back with its charge
    assert wallet.entries.filter(kind="charge").count() == 2


def test_the_spend_cap_counts_today_only(api, account, clock):
    AbusePolicy.objects.create(account=account, daily_spend_cap=Decimal("0.0150"))
    assert send(api).status_code == 200
    assert send(api, sms="+14155552672").status_code == 429
    clock(13 * 3600)  # past midnight UTC
    assert send(api, sms="+14155552672").status_code == 200


def test_a_global_daily_spend_cap_applies_without_an_override(api, otp_settings):
    otp_settings(DAILY_SPEND_CAP="0.0100")
    assert send(api).json()["code"] == "daily_spend_cap_reached"
    # Email at 0.0015 fits under the cap.
    assert api.post("/api/v1/otp/send", {"channels": ["email"], "recipients": {"email": "a@example.com"}}).status_code == 200


# --- the cache: unreachable, fail open, switched off ------------------------------------------


@pytest.fixture
def dead_redis(settings):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now: connections are refused
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": f"redis://127.0.0.1:{port}/0"}
    }


@pytest.fixture
def hanging_redis(settings):
    """A server that accepts connections and never answers: the client's socket timeout fires."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{server.getsockname()[1]}/0",
            "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3},
        }
    }
    yield
    server.close()


@pytest.mark.parametrize("client_fixture", ["api", "sandbox_api"])
def test_with_the_cache_unreachable_otp_endpoints_answer_503(request, client_fixture, dead_redis):
    client = request.getfixturevalue(client_fixture)
    sent = send(client)
    assert sent.status_code == 503
    body = sent.json()
    assert body["code"] == "service_unavailable"
    assert body["error"]["type"] == "server_error"
    assert sent.headers["Retry-After"] == "5"
    assert "X-RateLimit-Limit" not in sent.headers
    verify = client.post("/api/v1/otp/verify", {"session_token": "x", "otps": {"sms": "123456"}})
    assert verify.status_code == 503
    assert OTPSession.objects.count() == 0


def test_with_the_cache_hanging_the_socket_timeout_answers_503(api, hanging_redis):
    started = time.monotonic()
    response = send(api)
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert time.monotonic() - started < 5


def test_reads_that_need_no_limiter_still_work_with_the_cache_unreachable(api, dead_redis):
    assert api.get("/api/v1/otp/sessions").status_code == 200


def test_fail_open_runs_without_limits_when_the_cache_is_unreachable(api, dead_redis, settings, otp_settings):
    settings.RATELIMIT_FAIL_OPEN = True
    otp_settings(RATE_RECIPIENT="1/5m")
    responses = [send(api) for _ in range(2)]
    assert [r.status_code for r in responses] == [200, 200]
    assert "X-RateLimit-Limit" not in responses[0].headers


def test_ratelimit_enable_off_turns_every_limit_off(api, settings, otp_settings):
    settings.RATELIMIT_ENABLE = False
    otp_settings(RATE_RECIPIENT="1/5m", RATE_SEND="1/m", RATE_IP="1/h")
    responses = [send(api) for _ in range(3)]
    assert [r.status_code for r in responses] == [200] * 3
    assert "X-RateLimit-Limit" not in responses[0].headers
    # Destination rules are not rate limits: they still hold.
    assert send(api, sms="+19005551234").status_code == 400


def test_override_fields_are_validated(account):
    policy = AbusePolicy(account=account, recipient_rate="5/x", sms_destinations="Narnia", allowed_number_types="FAX")
    with pytest.raises(ValidationError) as caught:
        policy.full_clean()
    assert set(caught.value.message_dict) == {"recipient_rate", "sms_destinations", "allowed_number_types"}


# --- admin ----------------------------------------------------------------------------------------------


def test_the_account_admin_page_edits_the_overrides_inline(admin_client, account):
    page = admin_client.get(f"/admin/accounts/account/{account.pk}/change/")
    assert page.status_code == 200
    for field in ("recipient_rate", "ip_rate", "send_rate", "sms_destinations", "allowed_number_types", "daily_spend_cap"):
        assert f"abuse_policy-0-{field}" in page.content.decode()
